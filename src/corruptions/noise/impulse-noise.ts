import { defineCorruption } from '../types.js';

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
    // One uniform per value decides both whether it flips (u < amount) and to what (which half).
    const draws = random.fillUniform(new Float32Array(image.data.length));
    const out = Float32Array.from(image.data);
    for (let i = 0; i < out.length; i++) {
      const u = draws[i]!;
      if (u < amount) out[i] = u < amount / 2 ? 0 : 1;
    }
    return { data: out };
  },
});
