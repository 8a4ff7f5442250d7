import { defineCorruption } from '../types.js';

const WORDS_PER_BLOCK = 4096;

/** Salt-and-pepper noise: each value flips to 0 or 1 (evenly) with probability `amount`. */
export const impulseNoise = defineCorruption<number>({
  id: 'impulse_noise',
  group: 'noise',
  summary: 'salt-and-pepper noise; parameter: fraction of values flipped to 0 or 1',
  table: {
    imagenet224: [0.03, 0.06, 0.09, 0.17, 0.27],
    cifar32: [0.01, 0.02, 0.03, 0.05, 0.07],
    // MNIST-C uses ImageNet-C's s4 (0.17); the ramp is ImageNet-C's.
    mnist28: [0.03, 0.06, 0.09, 0.17, 0.27],
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, amount, random) => {
    // The words fillUniform would draw for the whole image, a block at a time (no image-sized
    // buffer of draws): u = (word >>> 8)/2²⁴, as fillUniform makes it.
    // slice() copies in bulk; Float32Array.from would iterate the source value by value (~50× slower).
    const out = image.data.slice();
    const words = new Uint32Array(Math.min(out.length, WORDS_PER_BLOCK));
    for (let start = 0; start < out.length; start += words.length) {
      const block = out.length - start < words.length ? words.subarray(0, out.length - start) : words;
      random.fillUint32(block);
      for (let b = 0; b < block.length; b++) {
        const u = (block[b]! >>> 8) / 16777216;
        if (u < amount) out[start + b] = u < amount / 2 ? 0 : 1;
      }
    }
    return { data: out };
  },
});
