import type { RandomStream } from '../../random/stream.js';

/**
 * MNIST-C's line primitive (`line_from_points`): a segment from (c0, r0) to (c1, r1), drawn on the
 * columns floor(c0) ≤ c < ceil(c1) with the profile 1 + log(1 − d/reach), clipped to [0, 1], where
 * d is the *vertical* distance |r − f(c)| from the pixel to the line. The profile is 1 on the line
 * and reaches 0 at d = reach·(1 − 1/e); MNIST-C's reach is 2.3 px, so lines are ≈ 2.9 px thick.
 */
export interface LineCanvas {
  /** Line intensity per pixel, height × width, summed over everything drawn (callers clip). */
  readonly mask: Float32Array;
  readonly height: number;
  readonly width: number;
}

export function newCanvas(height: number, width: number): LineCanvas {
  return { mask: new Float32Array(height * width), height, width };
}

/** The line profile at vertical distance d from the line (0 beyond reach·(1 − 1/e)). */
export function lineProfile(distance: number, reach: number): number {
  if (distance >= reach) return 0;
  const v = 1 + Math.log(1 - distance / reach);
  return v > 0 ? v : 0;
}

/**
 * Adds one segment to the canvas. A segment drawn right to left is drawn left to right (MNIST-C
 * would draw nothing; its segments never run backwards); a vertical one draws nothing, as there.
 * `keepColumn`, if given, masks columns out (the dots of a dotted line).
 */
export function addSegment(
  canvas: LineCanvas,
  c0: number,
  r0: number,
  c1: number,
  r1: number,
  reach: number,
  keepColumn?: (column: number) => boolean,
): void {
  if (c1 < c0) [c0, r0, c1, r1] = [c1, r1, c0, r0];
  if (!(c1 > c0) || !(reach > 0)) return;
  const { mask, height, width } = canvas;
  const slope = (r1 - r0) / (c1 - c0);
  const zero = reach * (1 - 1 / Math.E);
  const first = Math.max(0, Math.floor(c0));
  const end = Math.min(width, Math.ceil(c1));
  for (let c = first; c < end; c++) {
    if (keepColumn && !keepColumn(c)) continue;
    const centre = slope * (c - c0) + r0;
    const top = Math.max(0, Math.ceil(centre - zero));
    const bottom = Math.min(height - 1, Math.floor(centre + zero));
    for (let r = top; r <= bottom; r++) mask[r * width + c]! += lineProfile(Math.abs(r - centre), reach);
  }
}

/**
 * A start row for line k of n on an image `height` rows high: a uniform integer in the k-th of n
 * equal bands of [0, height − 2] (MNIST-C's `randint(0, 27)` on 28 rows when n = 1). Spreading
 * several lines over the height keeps them from piling onto one another, so each added line adds
 * about the same ink and the distance from the clean image grows steadily with the count.
 */
export function stratifiedRow(random: RandomStream, k: number, n: number, height: number): number {
  const rows = Math.max(1, height - 1);
  const low = Math.floor((k * rows) / n);
  const high = Math.max(low, Math.floor(((k + 1) * rows) / n) - 1);
  return random.int(low, high);
}

/** clip(x + line) in every channel: lines are white and only ever brighten (MNIST-C adds, then clips). */
export function addCanvas(data: Float32Array, channels: number, canvas: LineCanvas): Float32Array {
  const out = data.slice();
  const { mask } = canvas;
  for (let p = 0; p < mask.length; p++) {
    const v = mask[p]!;
    if (v === 0) continue;
    for (let c = 0; c < channels; c++) {
      const i = p * channels + c;
      out[i] = Math.min(1, out[i]! + v);
    }
  }
  return out;
}
