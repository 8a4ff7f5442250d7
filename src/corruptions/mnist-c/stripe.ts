import { defineCorruption } from '../types.js';
import { ramp, scaled } from './tables.js';

export interface StripeParams {
  /** Width of each of the two inverted bands (left and right edge), in pixels of an image `side` wide. */
  readonly band: number;
  /** The profile's image side: on other widths the bands scale with the image. */
  readonly side: number;
}

/** Columns in each edge band of an image `width` wide: the scaled width, rounded, at most half the image. */
export function stripeBandColumns({ band, side }: StripeParams, width: number): number {
  return Math.min(Math.floor(width / 2), Math.round(scaled(band, side, width)));
}

/**
 * Stripe: the leftmost and rightmost `band` columns are inverted (x → 1 − x in every channel).
 * MNIST-C inverts columns 0–6 and 21–27 of 28, half the image; here that is severity 3 and the
 * bands widen by 2 px a level (6, 10, 14, 18, 22 of 28 columns inverted), so the distance from the
 * clean image can only grow.
 */
export const stripe = defineCorruption<StripeParams>({
  id: 'stripe',
  group: 'mnist-c',
  summary: 'left and right column bands inverted (1 − x); parameter: band width in pixels',
  table: {
    // ×8, the same fraction of the width as on 28 px.
    imagenet224: ramp([24, 40, 56, 72, 88], (band) => ({ band, side: 224 })),
    // ×32/28 rounded to whole columns.
    cifar32: ramp([3, 6, 8, 10, 13], (band) => ({ band, side: 32 })),
    mnist28: ramp([3, 5, 7, 9, 11], (band) => ({ band, side: 28 })),
  },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, params) => {
    const band = stripeBandColumns(params, width);
    const out = data.slice();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (x >= band && x < width - band) continue;
        const o = (y * width + x) * channels;
        for (let c = 0; c < channels; c++) out[o + c] = 1 - data[o + c]!;
      }
    }
    return { data: out };
  },
});
