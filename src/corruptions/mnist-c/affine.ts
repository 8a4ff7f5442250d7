import type { RandomStream } from '../../random/stream.js';
import { clip01 } from '../shared/pixels.js';
import { warpAffine, type InverseAffine } from '../shared/sampling.js';
import type { Image } from '../types.js';

/**
 * A 2×2 linear map in scikit-image's (x = column, y = row) order, [[m00, m01], [m10, m11]],
 * read as the inverse map, as MNIST-C passes it to `transform.warp(x, inverse_map=aff)`.
 */
export type LinearXY = readonly [m00: number, m01: number, m10: number, m11: number];

/** The image centre in pixel coordinates: (13.5, 13.5) on 28×28, as MNIST-C fixes it. */
export function centreOf(image: Pick<Image, 'height' | 'width'>): { cx: number; cy: number } {
  return { cx: (image.width - 1) / 2, cy: (image.height - 1) / 2 };
}

/**
 * Warps about the image centre: output (x, y) reads the input at M·(x − cx, y − cy) + (cx, cy),
 * bilinear with a constant zero fill (scikit-image's warp defaults, order 1, mode 'constant').
 */
export function warpAboutCentre(image: Image, [m00, m01, m10, m11]: LinearXY): Float32Array {
  const { cx, cy } = centreOf(image);
  // Row and column of the input, from the output's (row y, column x):
  // row = m10·(x − cx) + m11·(y − cy) + cy, column = m00·(x − cx) + m01·(y − cy) + cx.
  const map: InverseAffine = [m11, m10, cy - m11 * cy - m10 * cx, m01, m00, cx - m00 * cx - m01 * cy];
  return clipInPlace(warpAffine(image, map, 'constant'));
}

/** Bilinear weights sum to 1 only up to rounding: keep the promise of [0, 1] exactly. */
export function clipInPlace(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = clip01(data[i]!);
  return data;
}

/** −1 or +1 with equal probability (MNIST-C's `np.random.choice([-1, 1])`). */
export function randomSign(random: RandomStream): -1 | 1 {
  return random.int(0, 1) === 0 ? -1 : 1;
}
