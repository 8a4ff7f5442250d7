import { BlurJob, diskColumns } from './operations.js';
import { defineBlurCorruption } from './define.js';

/** (disk radius in pixels, σ of the Gaussian that anti-aliases the disk's edge). */
export type DefocusParams = readonly [radius: number, aliasSigma: number];

/**
 * OpenCV's getGaussianKernel(size, σ) for σ > 0: exp(−(i − (size − 1)/2)²/2σ²), normalised.
 * The original anti-aliases its disk with cv2.GaussianBlur, ksize 3×3 for r ≤ 8 and 5×5 above.
 */
export function cvGaussianKernel(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - (size - 1) / 2;
    sum += kernel[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
  }
  return kernel.map((v) => v / sum);
}

/** The anti-aliasing kernel of the original's disk(): 3 taps for r ≤ 8, 5 above. */
export function aliasKernel(radius: number, aliasSigma: number): Float64Array {
  return cvGaussianKernel(radius <= 8 ? 3 : 5, aliasSigma);
}

/**
 * The 2-D kernel defocus blur correlates with, as a dense row-major (2·reach + 1)² matrix
 * centred on its middle element: the binary disk x² + y² ≤ r² normalised to sum 1, convolved
 * with the anti-aliasing Gaussian. (The blur itself never builds it: see defocusBlur.)
 */
export function defocusKernel(radius: number, aliasSigma: number): { readonly size: number; readonly reach: number; readonly weights: Float64Array } {
  const columns = diskColumns(radius);
  const diskReach = (columns.length - 1) / 2;
  const alias = aliasKernel(radius, aliasSigma);
  const aliasReach = (alias.length - 1) / 2;
  const reach = diskReach + aliasReach;
  const size = 2 * reach + 1;
  let count = 0;
  for (const w of columns) count += 2 * w + 1;
  const weights = new Float64Array(size * size);
  for (let i = 0; i < columns.length; i++) {
    const dx = i - diskReach;
    for (let dy = -columns[i]!; dy <= columns[i]!; dy++) {
      for (let a = -aliasReach; a <= aliasReach; a++) {
        for (let b = -aliasReach; b <= aliasReach; b++) {
          weights[(dy + a + reach) * size + dx + b + reach]! += (alias[a + aliasReach]! * alias[b + aliasReach]!) / count;
        }
      }
    }
  }
  return { size, reach, weights };
}

/**
 * Defocus blur, as the original ImageNet-C generator: cv2.filter2D of every channel with an
 * anti-aliased disk (reflect-101 border, OpenCV's default; the 'mirror' border here).
 *
 * The kernel is applied in two exact steps, disk then anti-aliasing Gaussian: the mean over the
 * binary disk (diskFilter: vertical runs, O(r) per pixel), then the separable 3- or 5-tap
 * Gaussian. Both kernels are symmetric, so with mirrored borders the two steps equal one
 * correlation with their convolution (defocusKernel), borders included.
 *
 * Where this differs from the original: it builds its kernel on a fixed grid (17×17 for r ≤ 8,
 * (2r + 1)² above) and blurs it with cv2.GaussianBlur's reflect-101 border. For r ≤ 6 the
 * anti-aliasing tail fits in the grid and the kernels are equal (all of cifar32 and mnist28, and
 * imagenet224 s1–s3). For r = 8 and r = 10 (imagenet224 s4, s5) the disk touches the grid's edge
 * and the tail of its four extreme points is folded back inside: the original's kernel sums to
 * 1.013 (r = 8) and 1.011 (r = 10), brightening every image by about 1%, and differs from ours
 * by 0.017 and 0.014 in L1. We keep the kernel normalised (sum 1), as a blur should be.
 * An anti-aliasing Gaussian whose side taps are below 1e-12 (σ = 0.1 in a 3×3 window: 2e-22) is
 * skipped: it changes no value by more than 1e-12.
 */
export const defocusBlur = defineBlurCorruption<DefocusParams>({
  id: 'defocus_blur',
  group: 'blur',
  summary: 'convolution with an anti-aliased disk; parameters: (disk radius px, anti-alias σ)',
  table: {
    imagenet224: [
      [3, 0.1],
      [4, 0.5],
      [6, 0.5],
      [8, 0.5],
      [10, 0.5],
    ],
    cifar32: [
      [0.3, 0.4],
      [0.4, 0.5],
      [0.5, 0.6],
      [1, 0.2],
      [1.5, 0.1],
    ],
    // MNIST-C has no defocus blur (it dropped it). CIFAR-10-C's 32-px constants as they are: the
    // disk lives on the pixel grid, so scaling radii by 28/32 would change few kernels and no
    // ramp (r < 1 is one pixel, r = 1 a 5-pixel cross, r = 1.5 a 3×3 square). Relative to the
    // side, s5 (r = 1.5 of 28 px: 5.4%) sits with both references' s5 (CIFAR 4.7%, ImageNet
    // 10/224 = 4.5%), and its 3×3 mean leaves a garment's outline in place.
    mnist28: [
      [0.3, 0.4],
      [0.4, 0.5],
      [0.5, 0.6],
      [1, 0.2],
      [1.5, 0.1],
    ],
  },
  channels: 'any',
  preservesConstant: true,
  applyOn: (engine, image, [radius, aliasSigma]) => {
    const job = new BlurJob(image, engine);
    const disk = diskColumns(radius).length > 1 ? job.disk('input', radius, 'mirror') : job.input();
    const alias = aliasKernel(radius, aliasSigma);
    const centre = (alias.length - 1) / 2;
    const aliased = alias.every((w, i) => i === centre || w < 1e-12) ? disk : job.separable(disk, alias, alias, 'mirror');
    return { data: job.read(job.clip(aliased)) };
  },
});
