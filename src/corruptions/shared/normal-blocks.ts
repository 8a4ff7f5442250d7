import { drawEngine } from '../../engine/simd.js';
import type { RandomStream } from '../../random/stream.js';
import { engineZiggurat, fillNormalOnEngine, type EngineZiggurat } from '../../random/ziggurat.js';
import { addProportionalClipped, addScaledClipped } from './pixels.js';

/** Values per block: part of the seeded stream's meaning (which words the rejections take). */
export const NORMAL_BLOCK = 16384;

/** From this many values on, the blocks are drawn on the wasm engine and copied out once (crossover: 512 to 768). */
const ON_ENGINE_FROM = 768;

/**
 * Fills `out` with independent N(0, 1) draws, one block after another. The blocks date from when
 * RandomStream.fillNormal allocated a word buffer as long as its target (costly for a 224×224×3
 * image); it no longer does, but the blocks stay: each block's rare rejections draw their words
 * after that block's, so merging blocks would change every seeded noise image.
 */
export function fillNormalInBlocks(random: RandomStream, out: Float32Array): Float32Array {
  const engine = out.length >= ON_ENGINE_FROM ? drawEngine() : undefined;
  if (engine) {
    engine.arena.reset();
    const ziggurat = engineZiggurat(engine, NORMAL_BLOCK);
    const at = engine.arena.alloc(out.length);
    fillNormalBlocksOnEngine(ziggurat, random, at, out.length);
    out.set(engine.arena.f32.subarray(at >>> 2, (at >>> 2) + out.length));
    return out;
  }
  for (let start = 0; start < out.length; start += NORMAL_BLOCK) random.fillNormal(out.subarray(start, Math.min(start + NORMAL_BLOCK, out.length)));
  return out;
}

/**
 * fillNormalInBlocks into the n float32 values at byte address `at` of the engine's memory, the
 * same bits (for callers that go on working there). The ziggurat needs a capacity of a block.
 */
export function fillNormalBlocksOnEngine(ziggurat: EngineZiggurat, random: RandomStream, at: number, n: number): void {
  for (let start = 0; start < n; start += NORMAL_BLOCK) fillNormalOnEngine(ziggurat, random, at + 4 * start, Math.min(NORMAL_BLOCK, n - start));
}

/**
 * Noise of N(0, scale²) per value over `base`, clipped to [0, 1], as a new array:
 * clip(x + scale·z) ('additive') or clip(x + x·scale·z) ('proportional'), z from
 * fillNormalInBlocks. On the wasm engine the draws and the sums stay in its memory and only
 * the result is copied out; the bits are those of the JavaScript functions in pixels.ts.
 */
export function clippedNormalNoise(base: Float32Array, random: RandomStream, scale: number, form: 'additive' | 'proportional'): Float32Array {
  const n = base.length;
  const engine = n >= ON_ENGINE_FROM ? drawEngine() : undefined;
  if (!engine) {
    // The noise buffer becomes the result: one array and no call per value.
    const noise = fillNormalInBlocks(random, new Float32Array(n));
    return form === 'additive' ? addScaledClipped(noise, base, scale) : addProportionalClipped(noise, base, scale);
  }
  const { arena, kernels } = engine;
  arena.reset();
  const ziggurat = engineZiggurat(engine, NORMAL_BLOCK);
  const noise = arena.alloc(n);
  const values = arena.alloc(n);
  fillNormalBlocksOnEngine(ziggurat, random, noise, n);
  arena.f32.set(base, values >>> 2);
  if (form === 'additive') kernels.addScaledClipped(noise, values, n, scale);
  else kernels.addProportionalClipped(noise, values, n, scale);
  return arena.f32.slice(noise >>> 2, (noise >>> 2) + n);
}
