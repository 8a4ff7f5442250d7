import { BlurJob } from './operations.js';
import { defineBlurCorruption } from './define.js';

/** The zoom factors averaged (1 included, as np.arange starts there). */
export type ZoomFactors = readonly number[];

/*
 * The factor lists, written out. The references build them with np.arange(1, stop, step), whose
 * length ⌈(stop − 1)/step⌉ in floating point makes some lists include their stop (ImageNet-C s1,
 * arange(1, 1.11, 0.01), has 12 factors, up to 1.11) and others not. The values are the doubles
 * np.arange yields, 1 + i·step, which is why 1.1400000000000001 (1 + 7·0.02 and 1 + 14·0.01,
 * one ulp above 1.14) appears: it changes ⌈n/z⌉ for some sizes (n = 57: ⌈50.000000000000007⌉ = 51
 * with 1.14, 50 with numpy's factor).
 */

/** ImageNet-C: arange(1, 1.11, .01), (1, 1.16, .01), (1, 1.21, .02), (1, 1.26, .02), (1, 1.31, .03). */
const IMAGENET_FACTORS = [
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11],
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11, 1.12, 1.13, 1.1400000000000001, 1.15],
  [1, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.1400000000000001, 1.16, 1.18, 1.2],
  [1, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.1400000000000001, 1.16, 1.18, 1.2, 1.22, 1.24],
  [1, 1.03, 1.06, 1.09, 1.12, 1.15, 1.18, 1.21, 1.24, 1.27, 1.3],
] as const satisfies readonly ZoomFactors[];

/** CIFAR-10-C: arange(1, 1.06 / 1.11 / 1.16 / 1.21 / 1.26, .01). */
const CIFAR_FACTORS = [
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06],
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11],
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11, 1.12, 1.13, 1.1400000000000001, 1.15],
  [1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11, 1.12, 1.13, 1.1400000000000001, 1.15, 1.16, 1.17, 1.18, 1.19, 1.2],
  [
    1, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.1, 1.11, 1.12, 1.13, 1.1400000000000001, 1.15, 1.16, 1.17, 1.18, 1.19, 1.2, 1.21, 1.22, 1.23,
    1.24, 1.25,
  ],
] as const satisfies readonly ZoomFactors[];

/**
 * Zoom blur, as the original ImageNet-C generator: the mean of the image and its clipped zooms,
 * (x + Σ_z clipped_zoom(x, z)) / (count + 1), where clipped_zoom takes the centre ⌈n/z⌉ crop,
 * enlarges it with scipy.ndimage.zoom(order=1) (bilinear, corners aligned, output size rounded
 * half to even as Python's round) and trims it back to n. The factor 1 is the identity, so the
 * image counts twice. Each axis is cropped by its own length; the original uses the height for
 * both, the same on its square images.
 */
export const zoomBlur = defineBlurCorruption<ZoomFactors>({
  id: 'zoom_blur',
  group: 'blur',
  summary: 'mean of the image and its centre zooms; parameter: list of zoom factors',
  table: {
    imagenet224: IMAGENET_FACTORS,
    cifar32: CIFAR_FACTORS,
    // MNIST-C has no zoom blur (it dropped it). Zoom factors are ratios, independent of the image
    // size, so the choice is between the two ramps: CIFAR-10-C's (0.01 steps, up to 1.06 at s1 and
    // 1.25 at s5) is the milder for small images; ImageNet-C's reaches 1.11 at s1, and its 1.30 at
    // s5 moves a garment's outline, 13 px from the centre of a 28-px image, by 3 px.
    mnist28: CIFAR_FACTORS,
  },
  channels: 'any',
  preservesConstant: true,
  applyOn: (engine, image, factors) => {
    const job = new BlurJob(image, engine);
    return { data: job.read(job.zoomMean('input', factors)) };
  },
});
