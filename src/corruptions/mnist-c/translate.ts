import { warpAffine } from '../shared/sampling.js';
import { defineCorruption } from '../types.js';
import { clipInPlace, randomSign } from './affine.js';
import { ramp, scaled } from './tables.js';

export interface TranslateParams {
  /** Shift along each axis, in pixels of an image `side` pixels wide. */
  readonly shift: number;
  /** The profile's image side: on other sizes the shift scales with the image. */
  readonly side: number;
}

/**
 * Translation by ±shift pixels in x and ±shift in y (two independent random signs, as MNIST-C),
 * zero fill. An image w × h moves by shift·w/side columns and shift·h/side rows, so the move is
 * the same fraction of any image; at the profile's own size it is exactly the table's pixels.
 * `sampled.dx`/`dy` are the content's move in pixels (positive: right / down).
 */
export const translate = defineCorruption<TranslateParams>({
  id: 'translate',
  group: 'mnist-c',
  summary: 'content shifted by ± pixels along both axes, zero fill; parameter: shift in pixels',
  table: {
    // ×224/28 = 8: the same fraction of the image as on 28 px.
    imagenet224: ramp([8, 16, 24, 32, 40], (shift) => ({ shift, side: 224 })),
    // ×32/28 ≈ 1.14, rounded to whole pixels.
    cifar32: ramp([1, 2, 3, 5, 6], (shift) => ({ shift, side: 32 })),
    // MNIST-C's own table, `translate(x, severity)`; its benchmark default is severity 3 (3 px).
    mnist28: ramp([1, 2, 3, 4, 5], (shift) => ({ shift, side: 28 })),
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, { shift, side }, random) => {
    const dx = randomSign(random) * scaled(shift, side, image.width);
    const dy = randomSign(random) * scaled(shift, side, image.height);
    return { data: clipInPlace(warpAffine(image, [1, 0, -dy, 0, 1, -dx], 'constant')), sampled: { dx, dy } };
  },
});
