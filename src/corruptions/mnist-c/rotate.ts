import { defineCorruption, type SeverityTable } from '../types.js';
import { randomSign, warpAboutCentre } from './affine.js';

/** MNIST-C's own five-level table, `rotate(x, severity)`: radians; its benchmark default is severity 2 (0.4 rad ≈ 23°). */
const ANGLES: SeverityTable<number> = [0.2, 0.4, 0.6, 0.8, 1.0];

/**
 * Rotation about the image centre by ±angle (the sign drawn at random, as MNIST-C does), bilinear
 * with zero fill. skimage's `AffineTransform(rotation=θ)` used as the inverse map turns the content
 * counter-clockwise on screen for θ > 0; `sampled.angle` is that signed θ.
 */
export const rotate = defineCorruption<number>({
  id: 'rotate',
  group: 'mnist-c',
  summary: 'rotation about the centre by ± an angle, zero fill; parameter: angle in radians',
  // An angle does not depend on the image size: one table for every profile.
  table: { imagenet224: ANGLES, cifar32: ANGLES, mnist28: ANGLES },
  channels: 'any',
  preservesConstant: false,
  apply: (image, magnitude, random) => {
    const angle = randomSign(random) * magnitude;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    return { data: warpAboutCentre(image, [cos, -sin, sin, cos]), sampled: { angle } };
  },
});
