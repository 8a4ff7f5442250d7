import { defineCorruption, type SeverityTable } from '../types.js';
import { randomSign, warpAboutCentre } from './affine.js';

/**
 * Radians, in even steps of 0.1 about MNIST-C's benchmark constant 0.4 (severity 3). MNIST-C's
 * own table, `shear(x, severity)`, is [0.2, 0.4, 0.6, 0.8, 1.0] with 0.4 at severity 2; with the
 * 1/cos φ stretch its 0.8 and 1.0 turn a filled Fashion-MNIST garment into diagonal bands, so the
 * ramp stops at its 0.6, the strongest level that leaves the class recognisable.
 */
const ANGLES: SeverityTable<number> = [0.2, 0.3, 0.4, 0.5, 0.6];

/**
 * Shear about the image centre by ±φ (random sign, as MNIST-C), bilinear with zero fill.
 *
 * The matrix is the one scikit-image built for `AffineTransform(shear=φ)` when MNIST-C was made
 * (before 0.21): [[1, −sin φ], [0, cos φ]] in (x, y), used as the inverse map. It tilts the
 * y axis by φ while keeping it unit length, so besides the horizontal slant the content is
 * stretched vertically by 1/cos φ. scikit-image 0.21 (PR #6717) changed the matrix to
 * [[1, −tan φ], [0, 1]]; we keep the one that produced the MNIST-C data.
 */
export const shear = defineCorruption<number>({
  id: 'shear',
  group: 'mnist-c',
  summary: 'shear about the centre by ± an angle (skimage<0.21 convention), zero fill; parameter: shear angle in radians',
  // An angle does not depend on the image size: one table for every profile.
  table: { imagenet224: ANGLES, cifar32: ANGLES, mnist28: ANGLES },
  channels: 'any',
  preservesConstant: false,
  apply: (image, magnitude, random) => {
    const angle = randomSign(random) * magnitude;
    return { data: warpAboutCentre(image, [1, -Math.sin(angle), 0, Math.cos(angle)]), sampled: { shear: angle } };
  },
});
