import type { RandomStream } from '../../random/stream.js';
import { fillNormalInBlocks } from '../shared/normal-blocks.js';
import { defineCorruption } from '../types.js';
import { roundHalfEven } from '../shared/pixels.js';
import { simdEngine } from '../../engine/simd.js';
import { colourForChannels, gaussianBlurLayer } from './layers.js';

/**
 * (liquid μ, σ, liquid blur σ, threshold, water intensity or mud-mask blur σ, mode: 0 = water,
 * 1 = mud), the reference's six constants.
 */
export type SpatterParams = readonly [mean: number, std: number, blurSigma: number, threshold: number, intensityOrMudSigma: number, mode: 0 | 1];

/** Water is pale turquoise and mud brown (the reference's RGB constants, over 255). */
export const WATER_RGB = [175 / 255, 238 / 255, 238 / 255] as const;
export const MUD_RGB = [63 / 255, 42 / 255, 20 / 255] as const;

/**
 * The liquid layer: N(μ, σ) noise blurred with scikit-image's gaussian (nearest border,
 * truncate 4), zeroed below the threshold.
 */
export function liquidLayer(height: number, width: number, params: SpatterParams, random: RandomStream): Float32Array {
  const [mean, std, blurSigma, threshold] = params;
  const noise = fillNormalInBlocks(random, new Float32Array(height * width));
  scaleAndShift(noise, std, mean);
  return zeroBelow(gaussianBlurLayer(noise, height, width, blurSigma), threshold);
}

/*
 * The loops over pixels sit in small functions of their own, one loop each, rather than inline
 * in the functions that chain the steps: V8 optimises a long-running loop in the middle of a
 * function (on-stack replacement) with no type feedback yet for the code after it, deoptimises
 * on reaching that code, and does so again on the next images. Measured at 224 px, that kept
 * spatter's first ten or so calls at several times the time of the later ones.
 */

/** layer ← a·layer + b, in place. */
function scaleAndShift(layer: Float32Array, a: number, b: number): void {
  for (let i = 0; i < layer.length; i++) layer[i] = b + a * layer[i]!;
}

/** Values below the threshold set to 0, in place. */
function zeroBelow(layer: Float32Array, threshold: number): Float32Array {
  for (let i = 0; i < layer.length; i++) if (layer[i]! < threshold) layer[i] = 0;
  return layer;
}

/**
 * The water drops' strength per pixel, in [0, intensity]: the original's OpenCV chain on the
 * 8-bit liquid layer L (values over 1 are clamped to 255 rather than wrapped):
 * Canny(L, 50, 150) → distance to the nearest edge (5×5 chamfer, L2) → truncated at 20 →
 * 3×3 box blur → 8 bits → histogram equalisation → 3×3 emboss → 3×3 box blur, times L,
 * divided by its maximum (0 everywhere when there is no water) and times the intensity.
 */
export function waterMask(liquid: Float32Array, height: number, width: number, intensity: number): Float32Array {
  const n = height * width;
  const l8 = toBytes(liquid);
  const edges = canny(l8, height, width, 50, 150);
  // Two layers, passed back and forth: each stage reads one and writes the other (the box blurs
  // keep their column sums in a third).
  const a = chamferDistanceToEdges(edges, height, width, 20, new Float32Array(n));
  const rows = new Float32Array(n);
  const b = floorInPlace(boxBlur3(a, height, width, rows, new Float32Array(n)));
  const equalised = equalizeHist(b, a);
  const embossed = emboss(equalised, height, width, b);
  const soft = boxBlur3(embossed, height, width, rows, a);
  return normalisedProduct(l8, soft, intensity, b);
}

/** ⌊255·v⌋ clamped to 0–255, as 8 bits. */
function toBytes(layer: Float32Array): Uint8Array {
  const bytes = new Uint8Array(layer.length);
  for (let i = 0; i < layer.length; i++) {
    const v = Math.floor(layer[i]! * 255);
    bytes[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return bytes;
}

function floorInPlace(layer: Float32Array): Float32Array {
  for (let i = 0; i < layer.length; i++) layer[i] = Math.floor(layer[i]!);
  return layer;
}

/** l8 · round(soft), divided by its maximum (0 everywhere when that is 0) and times `intensity`, into `out`. */
function normalisedProduct(l8: Uint8Array, soft: Float32Array, intensity: number, out: Float32Array): Float32Array {
  let max = 0;
  for (let i = 0; i < l8.length; i++) {
    // cv2.blur on 8-bit input rounds back to 8 bits (halves cannot occur: sums of 9 integers / 9).
    const v = l8[i]! * Math.round(soft[i]!);
    out[i] = v;
    if (v > max) max = v;
  }
  if (max > 0) {
    const scale = intensity / max;
    scaleInPlace(out, scale);
  }
  return out;
}

function scaleInPlace(layer: Float32Array, factor: number): void {
  for (let i = 0; i < layer.length; i++) layer[i]! *= factor;
}

/**
 * The mud blobs' opacity per pixel: the liquid mask (L > threshold) blurred with σ, kept only
 * where it reaches 0.8, so every pixel is either untouched (0) or mostly mud (0.8 to 1).
 */
export function mudMask(liquid: Float32Array, height: number, width: number, threshold: number, sigma: number): Float32Array {
  return zeroBelow(gaussianBlurLayer(above(liquid, threshold), height, width, sigma), 0.8);
}

/** 1 where the layer exceeds the threshold, else 0. */
function above(layer: Float32Array, threshold: number): Float32Array {
  const mask = new Float32Array(layer.length);
  for (let i = 0; i < layer.length; i++) mask[i] = layer[i]! > threshold ? 1 : 0;
  return mask;
}

/**
 * Spatter (an ImageNet-C hold-out), as the original generator: a thresholded blurred-noise liquid
 * layer, then either water (mode 0), pale-turquoise drops added with an embossed rim, or mud
 * (mode 1), brown blobs replacing the image. On gray images (and any channel count but 3) the
 * colours become their Rec. 601 luma, water ≈ 0.86 and mud ≈ 0.18, so nothing is tinted.
 * (imagecorruptions does the same with rgb2gray; MNIST-C used the mud's red value, 63/255.)
 */
export const spatter = defineCorruption<SpatterParams>({
  id: 'spatter',
  group: 'holdout',
  summary: 'water drops or mud blobs from thresholded blurred noise; parameters: (μ, σ, blur σ, threshold, water intensity | mud σ, mode 0 water | 1 mud)',
  table: {
    imagenet224: [
      [0.65, 0.3, 4, 0.69, 0.6, 0],
      [0.65, 0.3, 3, 0.68, 0.6, 0],
      [0.65, 0.3, 2, 0.68, 0.5, 0],
      [0.65, 0.3, 1, 0.65, 1.5, 1],
      [0.67, 0.4, 1, 0.65, 1.5, 1],
    ],
    cifar32: [
      [0.62, 0.1, 0.7, 0.7, 0.5, 0],
      [0.65, 0.1, 0.8, 0.7, 0.5, 0],
      [0.65, 0.3, 1, 0.69, 0.5, 0],
      [0.65, 0.1, 0.7, 0.69, 0.6, 1],
      [0.65, 0.1, 0.5, 0.68, 0.6, 1],
    ],
    // s5: MNIST-C's spatter, the mud setting MNIST-C found label-preserving on 28-px digits.
    // s1–s2: CIFAR-10-C's water; s3: water between CIFAR's s2 and s3 (CIFAR's s3 water moves a
    // garment further from clean than its s4 mud does); s4: MNIST-C's mud with fewer blobs
    // (σ .25, threshold .66).
    mnist28: [
      [0.62, 0.1, 0.7, 0.7, 0.5, 0],
      [0.65, 0.1, 0.8, 0.7, 0.5, 0],
      [0.65, 0.12, 0.85, 0.7, 0.5, 0],
      [0.65, 0.25, 1, 0.66, 1.5, 1],
      [0.65, 0.3, 1, 0.65, 1.5, 1],
    ],
  },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, params, random) => {
    const [, , , threshold, fifth, mode] = params;
    const liquid = liquidLayer(height, width, params, random);
    return {
      data:
        mode === 0
          ? addWater(data, channels, waterMask(liquid, height, width, fifth), colourForChannels(WATER_RGB, channels))
          : coverWithMud(data, channels, mudMask(liquid, height, width, threshold, fifth), colourForChannels(MUD_RGB, channels)),
    };
  },
});

/** clip(x + w·colour) per channel, w the water mask. */
function addWater(data: Float32Array, channels: number, mask: Float32Array, colour: Float64Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0, i = 0; p < mask.length; p++) {
    const w = mask[p]!;
    for (let c = 0; c < channels; c++, i++) {
      const v = data[i]! + w * colour[c]!;
      out[i] = v > 1 ? 1 : v;
    }
  }
  return out;
}

/** clip(x·(1 − w) + colour·w) per channel, w the mud mask. */
function coverWithMud(data: Float32Array, channels: number, mask: Float32Array, colour: Float64Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0, i = 0; p < mask.length; p++) {
    const w = mask[p]!;
    for (let c = 0; c < channels; c++, i++) {
      const v = data[i]! * (1 - w) + colour[c]! * w;
      out[i] = v > 1 ? 1 : v < 0 ? 0 : v;
    }
  }
  return out;
}

/** OpenCV's index for BORDER_REFLECT_101 (its default for blur and filter2D): d c b | a b c d | c b a. */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/** Row or column offsets of the previous and next index under BORDER_REFLECT_101, times `stride`. */
function neighbours(n: number, stride: number): { before: Int32Array; after: Int32Array } {
  const before = new Int32Array(n);
  const after = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    before[i] = reflect101(i - 1, n) * stride;
    after[i] = reflect101(i + 1, n) * stride;
  }
  return { before, after };
}

/**
 * cv2.blur with a 3×3 box and BORDER_REFLECT_101, in floats, into `out` (not `src`); `rows` holds
 * the column sums in between (not `src` or `out`).
 */
function boxBlur3(src: Float32Array, height: number, width: number, rows: Float32Array, out: Float32Array): Float32Array {
  return sumOfThreeRows(sumOfThreeColumns(src, height, width, rows), height, width, out);
}

/**
 * Each value plus its left and right neighbours (BORDER_REFLECT_101), into `rows`. The two edge
 * columns read their reflected neighbours; the rest read x − 1 and x + 1 directly.
 */
function sumOfThreeColumns(src: Float32Array, height: number, width: number, rows: Float32Array): Float32Array {
  const first = reflect101(-1, width);
  const last = reflect101(width, width);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    rows[base] = src[base + first]! + src[base]! + src[base + first]!;
    for (let i = base + 1, end = base + width - 1; i < end; i++) rows[i] = src[i - 1]! + src[i]! + src[i + 1]!;
    if (width > 1) rows[base + width - 1] = src[base + width - 2]! + src[base + width - 1]! + src[base + last]!;
  }
  return rows;
}

/** (Each value plus those above and below it (BORDER_REFLECT_101)) / 9, into `out`. */
function sumOfThreeRows(rows: Float32Array, height: number, width: number, out: Float32Array): Float32Array {
  for (let y = 0; y < height; y++) {
    const base = y * width;
    const above = reflect101(y - 1, height) * width;
    const below = reflect101(y + 1, height) * width;
    for (let x = 0; x < width; x++) out[base + x] = (rows[above + x]! + rows[base + x]! + rows[below + x]!) / 9;
  }
  return out;
}

/**
 * cv2.Canny(image, low, high) with its defaults (3×3 Sobel with replicated borders, L1 gradient
 * magnitude, non-maximum suppression along the quantised gradient direction, hysteresis over
 * 8-connected neighbours). Returns 1 on edge pixels.
 */
function canny(image: Uint8Array, height: number, width: number, low: number, high: number): Uint8Array {
  const n = height * width;
  // The magnitude is kept with a one-pixel frame of zeros, as OpenCV pads it: outside never wins.
  const pw = width + 2;
  // Sobel sums of 8-bit values lie within ±1020 and their L1 magnitude within 2040: 16 bits hold them.
  const mag = new Int16Array((height + 2) * pw);
  const gx = new Int16Array(n);
  const gy = new Int16Array(n);
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const row = y * width;
    const down = (y < height - 1 ? y + 1 : height - 1) * width;
    for (let x = 0; x < width; x++) {
      const l = x > 0 ? x - 1 : 0;
      const r = x < width - 1 ? x + 1 : width - 1;
      const dx = image[up + r]! + 2 * image[row + r]! + image[down + r]! - image[up + l]! - 2 * image[row + l]! - image[down + l]!;
      const dy = image[down + l]! + 2 * image[down + x]! + image[down + r]! - image[up + l]! - 2 * image[up + x]! - image[up + r]!;
      gx[row + x] = dx;
      gy[row + x] = dy;
      mag[(y + 1) * pw + x + 1] = (dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy);
    }
  }
  // 0: not an edge, 1: weak candidate, 2: strong (certain) edge.
  const state = new Uint8Array(n).fill(0);
  const stack: number[] = [];
  const TG22 = Math.floor(0.4142135623730950488 * (1 << 15) + 0.5);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const j = (y + 1) * pw + x + 1;
      const m = mag[j]!;
      if (m <= low) continue;
      const i = y * width + x;
      const xs = gx[i]!;
      const ys = gy[i]!;
      const ax = xs < 0 ? -xs : xs;
      const ay = (ys < 0 ? -ys : ys) * 32768;
      const tg22x = ax * TG22;
      let isMax: boolean;
      if (ay < tg22x) {
        isMax = m > mag[j - 1]! && m >= mag[j + 1]!;
      } else if (ay > tg22x + ax * 65536) {
        isMax = m > mag[j - pw]! && m >= mag[j + pw]!;
      } else {
        const s = (xs < 0) !== (ys < 0) ? -1 : 1;
        isMax = m > mag[j - pw - s]! && m > mag[j + pw + s]!;
      }
      if (!isMax) continue;
      if (m > high) {
        state[i] = 2;
        stack.push(i);
      } else {
        state[i] = 1;
      }
    }
  }
  while (stack.length > 0) {
    const i = stack.pop()!;
    const y = Math.floor(i / width);
    const x = i - y * width;
    const y0 = y > 0 ? y - 1 : 0;
    const y1 = y < height - 1 ? y + 1 : y;
    const x0 = x > 0 ? x - 1 : 0;
    const x1 = x < width - 1 ? x + 1 : x;
    for (let yy = y0; yy <= y1; yy++) {
      for (let xx = x0; xx <= x1; xx++) {
        const k = yy * width + xx;
        if (state[k] === 1) {
          state[k] = 2;
          stack.push(k);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) state[i] = state[i] === 2 ? 1 : 0;
  return state;
}

/**
 * cv2.distanceTransform(255 − edges, DIST_L2, 5), then cv2.threshold(…, cap, cap, THRESH_TRUNC):
 * the distance from every pixel to the nearest edge pixel by a two-pass 5×5 chamfer (steps 1,
 * 1.4 and 2.1969), capped, into `out`. Outside the image counts as far, as in OpenCV; with no
 * edge at all every pixel is at the cap. The passes run on the SIMD engine's kernel
 * (SimdKernels.chamferPass), in its memory; the loops around them sit in functions of their own
 * (V8 compiles a long loop while it runs, and code after it in the same function that had not
 * yet run lacks type feedback: the compiled loop would be dropped on leaving it, every call).
 */
export function chamferDistanceToEdges(edges: Uint8Array, height: number, width: number, cap: number, out: Float32Array, engine = simdEngine()): Float32Array {
  const FAR = 1e6;
  const pw = width + 4;
  const { arena, kernels } = engine;
  arena.reset();
  const address = arena.alloc((height + 4) * pw);
  const d = arena.f32.subarray(address >>> 2, (address >>> 2) + (height + 4) * pw).fill(FAR);
  markEdges(edges, height, width, d);
  kernels.chamferPass(address + 4 * (2 * pw + 2), height, width, pw, 1);
  kernels.chamferPass(address + 4 * ((height + 1) * pw + width + 1), height, width, pw, -1);
  return capUnpadded(d, height, width, cap, out);
}

/** 0 at every edge pixel of the padded distances (two rows and columns of padding). */
function markEdges(edges: Uint8Array, height: number, width: number, d: Float32Array): void {
  const pw = width + 4;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (edges[y * width + x]) d[(y + 2) * pw + x + 2] = 0;
}

/** The padded distances without their padding, capped, into `out`. */
function capUnpadded(d: Float32Array, height: number, width: number, cap: number, out: Float32Array): Float32Array {
  const pw = width + 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = d[(y + 2) * pw + x + 2]!;
      out[y * width + x] = v > cap ? cap : v;
    }
  }
  return out;
}

/** cv2.equalizeHist on 8-bit values (held as floats), into `out`. */
function equalizeHist(src: Float32Array, out: Float32Array): Float32Array {
  const hist = histogram256(src);
  let first = 0;
  while (hist[first] === 0) first++;
  if (hist[first] === src.length) return out.fill(first);
  const lut = new Float32Array(256);
  const scale = 255 / (src.length - hist[first]!);
  let sum = 0;
  for (let i = first + 1; i < 256; i++) {
    sum += hist[i]!;
    lut[i] = Math.min(255, roundHalfEven(sum * scale));
  }
  return lookUp(src, lut, out);
}

/** Counts of each integer value 0–255 (held as floats). */
function histogram256(values: Float32Array): Int32Array {
  const hist = new Int32Array(256);
  for (let i = 0; i < values.length; i++) hist[values[i]! | 0]!++;
  return hist;
}

/** out[i] = lut[values[i]], for integer values 0–255 held as floats. */
function lookUp(values: Float32Array, lut: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) out[i] = lut[values[i]! | 0]!;
  return out;
}

/**
 * cv2.filter2D(image, CV_8U, [[−2, −1, 0], [−1, 1, 1], [0, 1, 2]]) with BORDER_REFLECT_101,
 * saturated to 0–255 (the sums are integers, so no rounding), into `out` (not `src`).
 */
function emboss(src: Float32Array, height: number, width: number, out: Float32Array): Float32Array {
  const cols = neighbours(width, 1);
  const rowsAt = neighbours(height, width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const up = rowsAt.before[y]!;
    const down = rowsAt.after[y]!;
    for (let x = 0; x < width; x++) {
      const l = cols.before[x]!;
      const r = cols.after[x]!;
      const sum = -2 * src[up + l]! - src[up + x]! - src[row + l]! + src[row + x]! + src[row + r]! + src[down + x]! + 2 * src[down + r]!;
      out[row + x] = sum < 0 ? 0 : sum > 255 ? 255 : sum;
    }
  }
  return out;
}
