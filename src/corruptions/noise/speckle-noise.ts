import { clippedNormalNoise } from '../shared/normal-blocks.js';
import { defineCorruption } from '../types.js';

/** Multiplicative noise: clip(x + x·N(0, σ²)); black stays black. */
export const speckleNoise = defineCorruption<number>({
  id: 'speckle_noise',
  group: 'holdout',
  summary: 'multiplicative Gaussian noise; parameter: σ',
  table: {
    imagenet224: [0.15, 0.2, 0.35, 0.45, 0.6],
    cifar32: [0.06, 0.1, 0.12, 0.16, 0.2],
    mnist28: [0.15, 0.2, 0.35, 0.45, 0.6],
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, sigma, random) => ({ data: clippedNormalNoise(image.data, random, sigma, 'proportional') }),
});
