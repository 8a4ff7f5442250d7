import { defineCorruption } from '../types.js';

/**
 * Blend weights towards the negative. An even ramp from 0 would pass through 0.5, where every
 * image is uniform gray (contrast |1 − 2w| = 0) and no class is recognisable; from 0.6 every level
 * is a negative whose contrast grows 0.2, 0.4, …, 1, ending at MNIST-C's full inverse (severity 5).
 */
const WEIGHTS = [0.6, 0.7, 0.8, 0.9, 1] as const;

/** Inverse, as MNIST-C's `inverse` (1 − x): x + w·(1 − 2x), blended towards the negative. */
export const inverse = defineCorruption<number>({
  id: 'inverse',
  group: 'mnist-c',
  summary: 'blend towards the negative 1 − x; parameter: blend weight (1 = full inverse)',
  // A blend weight does not depend on the image size: one table for every profile.
  table: { imagenet224: WEIGHTS, cifar32: WEIGHTS, mnist28: WEIGHTS },
  channels: 'any',
  preservesConstant: true,
  apply: ({ data }, weight) => {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const x = data[i]!;
      out[i] = weight === 1 ? 1 - x : Math.min(1, Math.max(0, x + weight * (1 - 2 * x)));
    }
    return { data: out };
  },
});
