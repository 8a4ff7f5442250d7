import { clippedNormalNoise } from '../shared/normal-blocks.js';
import { defineCorruption } from '../types.js';

/** Additive Gaussian noise: clip(x + N(0, σ²)), independently per pixel and channel. */
export const gaussianNoise = defineCorruption<number>({
  id: 'gaussian_noise',
  group: 'noise',
  summary: 'additive Gaussian noise; parameter: σ',
  table: {
    imagenet224: [0.08, 0.12, 0.18, 0.26, 0.38],
    cifar32: [0.04, 0.06, 0.08, 0.09, 0.1],
    // Per-pixel noise does not depend on scale; 28-px objects stay legible at ImageNet's σ up to s4, so s5 is capped lower.
    mnist28: [0.08, 0.12, 0.18, 0.26, 0.32],
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, sigma, random) => ({ data: clippedNormalNoise(image.data, random, sigma, 'additive') }),
});
