import { lineKernel } from '../shared/line-kernel.js';
import { BlurJob } from './operations.js';
import { defineBlurCorruption } from './define.js';

/** (ImageMagick radius: the line has 2⌈r⌉ + 1 taps, Gaussian σ of the tap weights). */
export type MotionParams = readonly [radius: number, sigma: number];

/**
 * Motion blur, as the original ImageNet-C generator: ImageMagick's MotionBlurImage(r, σ, θ)
 * through Wand, θ ~ U(−45°, 45°). Each output pixel is a weighted mean of 2⌈r⌉ + 1 pixels along
 * a ray from it at angle θ (one-sided: the pixel itself has the largest weight), weights
 * exp(−i²/2σ²) normalised, offsets rounded as ImageMagick does (shared/line-kernel, which snow
 * uses too). Outside the image it reads the nearest edge pixel, ImageMagick's default virtual
 * pixels, so no kernel mass is lost and a constant image stays constant.
 *
 * Where the references differ, this follows the original: imagecorruptions' NumPy port stops
 * adding taps once a shift leaves the image, so small images lose kernel mass and darken (a flat
 * 32×32 image at s5 drops from 128 to 124.4); TFDS's port always uses θ = −45° (it draws
 * uniform(−45, −45)). The angle drawn for each image is recorded in `sampled.angle` (degrees,
 * x to the right, y downwards).
 */
export const motionBlur = defineBlurCorruption<MotionParams>({
  id: 'motion_blur',
  group: 'blur',
  summary: 'ImageMagick motion blur along a random angle in ±45°; parameters: (radius px, σ px)',
  table: {
    imagenet224: [
      [10, 3],
      [15, 5],
      [15, 8],
      [15, 12],
      [20, 15],
    ],
    cifar32: [
      [6, 1],
      [6, 1.5],
      [6, 2],
      [8, 2],
      [9, 2.5],
    ],
    // MNIST-C's one level, (10, 3), is stronger for a 28-px image than either reference's s5:
    // σ is 0.107 of the side, against 0.078 in CIFAR-10-C (2.5/32) and 0.067 in ImageNet-C
    // (15/224); the radius matters less (taps beyond 3σ weigh < 1%). So CIFAR-10-C's ramp scaled
    // by 28/32 (σ 0.875, 1.31, 1.75, 1.75, 2.19; radius 5.25, 5.25, 5.25, 7, 7.9) instead,
    // rounded, with its s3/s4 plateau (σ = 2 at both in CIFAR-10-C; only the radius, i.e.
    // negligible taps, grows) split so that every severity blurs more: σ/side 0.032 … 0.079,
    // CIFAR-10-C's range.
    mnist28: [
      [5, 0.9],
      [5, 1.3],
      [5, 1.75],
      [7, 2],
      [8, 2.2],
    ],
  },
  channels: 'any',
  preservesConstant: true,
  applyOn: (engine, image, [radius, sigma], random) => {
    const angle = -45 + 90 * random.float();
    const kernel = lineKernel(radius, sigma, angle);
    const job = new BlurJob(image, engine);
    return { data: job.read(job.clip(job.sparse('input', kernel, 'nearest'))), sampled: { angle } };
  },
});
