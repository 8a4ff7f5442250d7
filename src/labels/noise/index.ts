import type { AnyLabelNoiseModel } from '../types.js';
import { asymmetricNoise } from './asymmetric.js';
import { instanceDependentNoise } from './instance-dependent.js';
import { pairFlipNoise } from './pair-flip.js';
import { symmetricNoise } from './symmetric.js';
import { uniformMixNoise } from './uniform-mix.js';

/** The noise models, one module each. */
export const noiseModels: readonly AnyLabelNoiseModel[] = [symmetricNoise, uniformMixNoise, pairFlipNoise, asymmetricNoise, instanceDependentNoise];
