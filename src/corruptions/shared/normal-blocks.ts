import type { RandomStream } from '../../random/stream.js';

/** Values per block: part of the seeded stream's meaning (which words the rejections take). */
const BLOCK = 16384;

/**
 * Fills `out` with independent N(0, 1) draws, one block after another. The blocks date from when
 * RandomStream.fillNormal allocated a word buffer as long as its target (costly for a 224×224×3
 * image); it no longer does, but the blocks stay: each block's rare rejections draw their words
 * after that block's, so merging blocks would change every seeded noise image.
 */
export function fillNormalInBlocks(random: RandomStream, out: Float32Array): Float32Array {
  for (let start = 0; start < out.length; start += BLOCK) random.fillNormal(out.subarray(start, Math.min(start + BLOCK, out.length)));
  return out;
}
