import type { RandomStream } from '../../random/stream.js';

/** Values per block: the stream's word buffer for a block (64 KiB) is reused memory, not fresh pages. */
const BLOCK = 16384;

/**
 * Fills `out` with independent N(0, 1) draws, one block after another. RandomStream.fillNormal
 * draws a word per value into a buffer as long as its target; for a 224×224×3 image that buffer
 * costs more to allocate (fresh pages) than the draws themselves.
 */
export function fillNormalInBlocks(random: RandomStream, out: Float32Array): Float32Array {
  for (let start = 0; start < out.length; start += BLOCK) random.fillNormal(out.subarray(start, Math.min(start + BLOCK, out.length)));
  return out;
}
