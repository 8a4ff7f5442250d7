import { fillPoisson, PoissonTableCache } from '../shared/poisson.js';
import { defineCorruption } from '../types.js';

/**
 * The Poisson sampler's alias tables, kept between images: they depend only on λ's cap, not on
 * the image, so the same draws come out as with fresh ones, without remaking them per image.
 */
const keptTables = new PoissonTableCache();

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
  apply: (image, lambda, random) => {
    // Counts from ⌈λ⌉ on all clip to 1, so the sampler may stop counting there.
    const counts = fillPoisson(image.data, lambda, new Float32Array(image.data.length), random, Math.ceil(lambda), keptTables);
    return { data: divideAndClip(counts, lambda) };
  },
});

/**
 * min(count/λ, 1), in place. A loop of its own: in the middle of apply, V8's on-the-fly
 * compilation of the loop would lack type feedback for the code after it and be dropped there.
 */
function divideAndClip(counts: Float32Array, lambda: number): Float32Array {
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i]! / lambda;
    counts[i] = v > 1 ? 1 : v;
  }
  return counts;
}
