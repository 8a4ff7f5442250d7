import type { RandomStream } from '../../random/stream.js';
import { affineRow, sampleBilinearTwiceClipped } from '../shared/sampling.js';
import type { InverseAffine } from '../shared/sampling.js';
import { defineCorruption } from '../types.js';
import { smoothedUniformField } from './gaussian-field.js';

/** (α, σ, affine jitter), all in pixels of the profile's image size. */
export type ElasticParams = readonly [alpha: number, sigma: number, affine: number];

/** What one elastic transform draws: the affine map and the displacement fields. */
export interface ElasticDraw {
  /** Output (row, column) → input (row, column) of the affine step (identity under 3 px). */
  readonly inverseAffine: InverseAffine;
  /** The three triangle corners (x, y) before and after their jitter. */
  readonly corners: readonly (readonly [x: number, y: number])[];
  readonly moved: readonly (readonly [x: number, y: number])[];
  /** Displacement along columns (x) and rows (y), each α·smoothed U(−1, 1): |d| ≤ α. */
  readonly dx: Float32Array;
  readonly dy: Float32Array;
}

/**
 * Draws the random part of ImageNet-C's elastic transform (make_imagenet_c.py, the original, not
 * imagecorruptions' re-parameterised one without the affine step), in the reference's order:
 * 1. the affine: a triangle of corners c + (s, s), c + (s, −s), c − (s, s) in (x, y), with
 *    c = (⌊W/2⌋, ⌊H/2⌋) and s = ⌊min(H, W)/3⌋, each coordinate moved by U(−affine, affine);
 *    the map sending the corners to the moved ones (cv2.getAffineTransform) is inverted as
 *    cv2.warpAffine does (a singular map inverts to zeros, as cv2's invertAffineTransform).
 *    The reference takes c = (⌊H/2⌋, ⌊W/2⌋) as (x, y), the same for the square images it was
 *    written for. Images under 3 px have no triangle (s = 0): their affine step is the identity.
 * 2. dx then dy, each α · gaussian(U(−1, 1), σ, mode='reflect', truncate=3) (gaussian-field.ts).
 */
export function drawElastic(height: number, width: number, [alpha, sigma, affine]: ElasticParams, random: RandomStream): ElasticDraw {
  const cx = Math.floor(width / 2);
  const cy = Math.floor(height / 2);
  const s = Math.floor(Math.min(height, width) / 3);
  const corners = [[cx + s, cy + s], [cx + s, cy - s], [cx - s, cy - s]] as const;
  const moved = corners.map(([x, y]) => [x + affine * (2 * random.float() - 1), y + affine * (2 * random.float() - 1)] as const);
  const inverseAffine: InverseAffine = s > 0 ? invertToRowColumn(affineFromTriangles(corners, moved)) : [1, 0, 0, 0, 1, 0];
  if (alpha === 0) return { inverseAffine, corners, moved, dx: new Float32Array(height * width), dy: new Float32Array(height * width) };
  const dx = scaleInPlace(smoothedUniformField(height, width, sigma, 3, random), alpha);
  const dy = scaleInPlace(smoothedUniformField(height, width, sigma, 3, random), alpha);
  return { inverseAffine, corners, moved, dx, dy };
}

/**
 * field ← α·field, in place. Each pixel loop sits in a function of its own: V8 compiles a long
 * loop while it runs, and code after it that had not yet run lacks type feedback, so a loop
 * inline in a longer function is compiled, then dropped on leaving it, call after call.
 */
function scaleInPlace(field: Float32Array, alpha: number): Float32Array {
  for (let i = 0; i < field.length; i++) field[i]! *= alpha;
  return field;
}

/**
 * Elastic transform, the original ImageNet-C version: a random affine warp (bilinear,
 * BORDER_REFLECT_101, i.e. 'mirror': d c b | a b c d | c b a), then every pixel moved by the
 * smoothed random displacement (dx, dy) and resampled bilinearly with scipy's
 * map_coordinates(order=1, mode='reflect') border (d c b a | a b c d). Two interpolations, as the
 * reference. cv2 quantises warp coordinates to 1/32 px; here they stay exact. No rounding to 8
 * bits in between. Nothing sampled is recorded (drawElastic gives the fields for inspection).
 *
 * Constants (α, σ, affine) are in pixels, so each profile holds them for its own scale.
 */
export const elasticTransform = defineCorruption<ElasticParams>({
  id: 'elastic_transform',
  group: 'digital',
  summary: 'random affine jitter then a Gaussian-smoothed random displacement field; parameters: (α, σ, affine jitter) in px',
  table: {
    // The original's constants, written as it writes them ("244 should have been 224, but
    // ultimately nothing is incorrect"): (488, 170.8, 24.4), (488, 19.52, 48.8),
    // (12.2, 2.44, 4.88), (17.08, 2.44, 4.88), (29.28, 2.44, 4.88).
    imagenet224: [
      [244 * 2, 244 * 0.7, 244 * 0.1],
      [244 * 2, 244 * 0.08, 244 * 0.2],
      [244 * 0.05, 244 * 0.01, 244 * 0.02],
      [244 * 0.07, 244 * 0.01, 244 * 0.02],
      [244 * 0.12, 244 * 0.01, 244 * 0.02],
    ],
    // make_cifar_c.py: IMSIZE = 32 times these fractions.
    cifar32: [
      [32 * 0, 32 * 0, 32 * 0.08],
      [32 * 0.05, 32 * 0.2, 32 * 0.07],
      [32 * 0.08, 32 * 0.06, 32 * 0.06],
      [32 * 0.1, 32 * 0.04, 32 * 0.05],
      [32 * 0.1, 32 * 0.03, 32 * 0.03],
    ],
    // CIFAR's fractions of the image size, times 28, made monotone: CIFAR's s2–s5 fields at s1–s4,
    // ImageNet's s5 α fraction (0.12) at s5, and the affine jitter held at CIFAR's smallest, 0.03
    // of the size (0.84 px). CIFAR shrinks the jitter (2.56 → 0.96 px) as the field grows, so its
    // distance from clean falls with severity (measured on Fashion-MNIST); held, it rises. At s5
    // strokes ripple (field s.d. ≈ 0.65 px) and every garment keeps its outline. MNIST-C's own
    // elastic (not in its benchmark) scales ImageNet's fractions by 28; its s2 (α 56, σ 2.24 px)
    // shreds a 28-px image.
    mnist28: [
      [28 * 0.05, 28 * 0.2, 28 * 0.03],
      [28 * 0.08, 28 * 0.06, 28 * 0.03],
      [28 * 0.1, 28 * 0.04, 28 * 0.03],
      [28 * 0.1, 28 * 0.03, 28 * 0.03],
      [28 * 0.12, 28 * 0.03, 28 * 0.03],
    ],
  },
  channels: 'any',
  // Both steps are bilinear resamplings, whose weights sum to 1: a constant stays constant.
  preservesConstant: true,
  apply: (image, params, random) => {
    const { height, width } = image;
    const { inverseAffine, dx, dy } = drawElastic(height, width, params, random);
    const affine = { outHeight: height, outWidth: width, positions: affineRow, context: inverseAffine, border: 'mirror' } as const;
    const displaced = { outHeight: height, outWidth: width, positions: displacedRow, context: { dx, dy }, border: 'reflect' } as const;
    return { data: sampleBilinearTwiceClipped(image, affine, displaced) };
  },
});

/** Row y of the displaced grid's sample positions: (y + dy, x + dx). */
function displacedRow({ dx, dy }: { dx: Float32Array; dy: Float32Array }, y: number, ys: Float64Array, xs: Float64Array): void {
  for (let x = 0, p = y * ys.length; x < ys.length; x++, p++) {
    ys[x] = y + dy[p]!;
    xs[x] = x + dx[p]!;
  }
}

type Point = readonly [x: number, y: number];

/** The 2×3 map [m0 m1 m2; m3 m4 m5] with (x', y') = M·(x, y, 1) for the three pairs (Cramer's rule). */
function affineFromTriangles(from: readonly Point[], to: readonly Point[]): readonly number[] {
  const [[x0, y0], [x1, y1], [x2, y2]] = from as [Point, Point, Point];
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  const solve = (v0: number, v1: number, v2: number): [number, number, number] => [
    (v0 * (y1 - y2) - y0 * (v1 - v2) + (v1 * y2 - v2 * y1)) / det,
    (x0 * (v1 - v2) - v0 * (x1 - x2) + (x1 * v2 - x2 * v1)) / det,
    (x0 * (y1 * v2 - y2 * v1) - y0 * (x1 * v2 - x2 * v1) + v0 * (x1 * y2 - x2 * y1)) / det,
  ];
  return [...solve(to[0]![0], to[1]![0], to[2]![0]), ...solve(to[0]![1], to[1]![1], to[2]![1])];
}

/**
 * cv2.invertAffineTransform (a singular map gives all zeros), rewritten from (x, y) to the
 * (row, column) form sampling.ts uses: row' = e·row + d·col + f, col' = b·row + a·col + c.
 */
function invertToRowColumn(m: readonly number[]): InverseAffine {
  const [m0, m1, m2, m3, m4, m5] = m as [number, number, number, number, number, number];
  const det = m0 * m4 - m1 * m3;
  // cv2 inverts a zero determinant to zeros; so do we below 1e-12, where the inverse would send
  // coordinates beyond any finite range (only reachable on images of a few pixels).
  const inv = Math.abs(det) > 1e-12 ? 1 / det : 0;
  const a11 = m4 * inv;
  const a12 = -m1 * inv;
  const a21 = -m3 * inv;
  const a22 = m0 * inv;
  const b1 = -a11 * m2 - a12 * m5;
  const b2 = -a21 * m2 - a22 * m5;
  // x_in = a11·x + a12·y + b1, y_in = a21·x + a22·y + b2, with x = column and y = row.
  return [a22, a21, b2, a12, a11, b1];
}
