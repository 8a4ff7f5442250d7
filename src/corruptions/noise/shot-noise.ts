import { poisson } from '../shared/poisson.js';
import { mapClipped } from '../shared/pixels.js';
import { defineCorruption } from '../types.js';

/** Photon (shot) noise: Poisson(x·λ)/λ, so darker pixels are relatively noisier. */
export const shotNoise = defineCorruption<number>({
  id: 'shot_noise',
  group: 'noise',
  summary: 'Poisson photon noise; parameter: λ (photons at full intensity; lower is noisier)',
  table: {
    imagenet224: [60, 25, 12, 5, 3],
    cifar32: [500, 250, 100, 75, 50],
    // MNIST-C's shot noise is ImageNet-C's s5 (λ = 3); the ramp up to it is ImageNet-C's.
    mnist28: [60, 25, 12, 5, 3],
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, lambda, random) => ({ data: mapClipped(image.data, (x) => poisson(x * lambda, random) / lambda) }),
});
