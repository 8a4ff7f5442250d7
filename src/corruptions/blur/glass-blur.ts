import { scipyGaussianKernel } from '../shared/scipy-gaussian-kernel.js';
import { BlurJob } from './operations.js';
import { defineBlurCorruption } from './define.js';

/** (Gaussian σ, maximum shift δ in pixels, shuffle passes, probability that a position swaps). */
export type GlassParams = readonly [sigma: number, maxDelta: number, iterations: number, swapProbability: number];

/**
 * Glass blur, as the original ImageNet-C generator:
 *   x ← np.uint8(gaussian(x, σ)·255)          (scikit-image: nearest border, truncate 4σ)
 *   for each pass, for h from H − δ down to δ + 1, for w from W − δ down to δ + 1:
 *     dx, dy ← randint(−δ, δ)                 (upper bound excluded: offsets in [−δ, δ − 1])
 *     x[h, w], x[h + dy, w + dx] = x[h + dy, w + dx], x[h, w]
 *   x ← clip(gaussian(x/255, σ))
 *
 * Kept from the original, and said here because each is easy to "fix" by accident:
 * - The 8-bit truncation between the blurs: a constant image stays constant but may drop by up
 *   to 1/255.
 * - The bottom-right to top-left order and the half-open randint, which make the shuffle drift
 *   up and left; row 0 and column 0 never take part.
 * - The "swap" does not swap colour pixels. On an H×W×3 array, x[h, w] is a view, so the tuple
 *   assignment first copies pixel (h′, w′) into (h, w) and then copies (h, w), which now holds
 *   the same values, back into (h′, w′): the visited pixel takes its neighbour's value and the
 *   neighbour keeps it (numpy/numpy#14428 describes the mechanism; imagecorruptions has the same
 *   line). ImageNet-C and CIFAR-10-C images were made so, and so are multi-channel images here.
 *   MNIST-C's 2-D gray arrays hold scalars, which do swap: single-channel images swap.
 *   (To swap colour pixels too, pass copy = false to BlurJob.shuffle.)
 * The original loops over range(224 − δ, δ, −1) for both axes; here each axis uses its own size
 * (as imagecorruptions does), the same at 224×224. MNIST-C's variant moves a pixel only with
 * probability 0.5 (swapProbability).
 *
 * Speed: this loop is the hot spot of the Python reference (seconds per image). Here all offsets
 * (then coins) are cut from 32-bit words drawn from the stream in one pass, before any pixel
 * moves, and the loop runs in the wasm kernel (SimdKernels.glassSwaps): no call into the stream
 * and no allocation per pixel.
 */
export const glassBlur = defineBlurCorruption<GlassParams>({
  id: 'glass_blur',
  group: 'blur',
  summary: 'Gaussian blur, local pixel shuffle, Gaussian blur; parameters: (σ, max shift δ px, passes, swap probability)',
  table: {
    imagenet224: [
      [0.7, 1, 2, 1],
      [0.9, 2, 1, 1],
      [1, 2, 3, 1],
      [1.1, 3, 2, 1],
      [1.5, 4, 2, 1],
    ],
    cifar32: [
      [0.05, 1, 1, 1],
      [0.25, 1, 1, 1],
      [0.4, 1, 1, 1],
      [0.25, 1, 2, 1],
      [0.4, 1, 2, 1],
    ],
    // MNIST-C's glass blur (ImageNet-C's s1, (0.7, 1, 2), with each swap taken with probability
    // 0.5) is its one calibrated level, chosen to keep the label: it is s5 here. s1–s4 ramp σ up
    // to it in 0.1 steps, with CIFAR-10-C's passes (1, 1, 2, 2) and MNIST-C's probability 0.5.
    // δ stays 1, as in all of CIFAR-10-C: one pixel is already 3.6% of a 28-px side, twice
    // ImageNet-C's largest jump (4 of 224 px). As in CIFAR-10-C, the small σ of s1–s2 leave the
    // shuffle visible as pixel noise; the larger σ of s4–s5 smooth it into the frosted look.
    mnist28: [
      [0.3, 1, 1, 0.5],
      [0.4, 1, 1, 0.5],
      [0.5, 1, 2, 0.5],
      [0.6, 1, 2, 0.5],
      [0.7, 1, 2, 0.5],
    ],
  },
  channels: 'any',
  preservesConstant: true,
  applyOn: (engine, image, [sigma, delta, iterations, swapProbability], random) => {
    const kernel = scipyGaussianKernel(sigma);
    const job = new BlurJob(image, engine);
    const quantized = job.quantize(job.separable('input', kernel, kernel, 'nearest'));
    const shuffled = job.shuffle(quantized, delta, iterations, swapProbability, image.channels > 1, random);
    // gaussian(x / 255, σ): the division folded into the row pass's weights.
    const scaled = kernel.map((w) => w / 255);
    return { data: job.read(job.clip(job.separable(shuffled, scaled, kernel, 'nearest'))) };
  },
});
