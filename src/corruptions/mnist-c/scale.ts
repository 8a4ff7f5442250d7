import { defineCorruption, type SeverityTable } from '../types.js';
import { warpAboutCentre } from './affine.js';

/**
 * MNIST-C's own five-level table, `scale(x, severity)` = 1/0.9 … 1/0.5 as the inverse map, written
 * here as the size the content shrinks to; its benchmark default is severity 3 (70 %).
 */
const FRACTIONS: SeverityTable<number> = [0.9, 0.8, 0.7, 0.6, 0.5];

/** Shrinks the content about the image centre to a fraction of its size, bilinear with zero fill. */
export const scale = defineCorruption<number>({
  id: 'scale',
  group: 'mnist-c',
  summary: 'content shrunk about the centre, zero fill; parameter: linear size fraction kept',
  // A fraction of the image does not depend on its size: one table for every profile.
  table: { imagenet224: FRACTIONS, cifar32: FRACTIONS, mnist28: FRACTIONS },
  channels: 'any',
  preservesConstant: false,
  apply: (image, fraction) => {
    const inverse = 1 / fraction;
    return { data: warpAboutCentre(image, [inverse, 0, 0, inverse]) };
  },
});
