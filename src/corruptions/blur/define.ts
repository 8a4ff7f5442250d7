import type { RandomStream } from '../../random/stream.js';
import { defineCorruption, type Corruption, type CorruptionOutput, type Image } from '../types.js';
import { simdEngine, type SimdEngine } from '../../engine/simd.js';

/**
 * A blur corruption: its work is written against an explicit engine (`applyOn`), and `apply`
 * runs it on the shared default engine. Tests compare engines by calling `applyOn` with each,
 * so nothing ever has to swap the engine the catalogue uses.
 */
export interface BlurCorruption<P> extends Corruption<P> {
  applyOn(engine: SimdEngine, image: Image, params: P, random: RandomStream): CorruptionOutput;
}

/** Declares a blur corruption from its engine-explicit form. */
export function defineBlurCorruption<P>(definition: Omit<BlurCorruption<P>, 'apply'>): BlurCorruption<P> {
  return {
    ...defineCorruption<P>({ ...definition, apply: (image, params, random) => definition.applyOn(simdEngine(), image, params, random) }),
    applyOn: definition.applyOn,
  };
}
