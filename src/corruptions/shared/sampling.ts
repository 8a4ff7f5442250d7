import { simdEngine, type SimdEngine } from '../../engine/simd.js';
import type { Image } from '../types.js';
import { borderIndex, type Border } from './border.js';

/**
 * Bilinear resampling (scipy's map_coordinates with order=1): output pixel p of every channel
 * is the input sampled at row ys[p], column xs[p], pixel centres at integer coordinates; a
 * constant border reads zeros. No allocation per pixel, and a fast path when all four
 * neighbours are inside the image: elastic transforms and warps remap every pixel.
 */
export function sampleBilinear(image: Image, ys: Float32Array | Float64Array, xs: Float32Array | Float64Array, border: Border): Float32Array {
  return samplePoints(image, ys, xs, ys.length, border, new Float32Array(ys.length * image.channels), 0);
}

/**
 * Writes row y's sample positions (rows into ys, columns into xs) for sampleBilinearRows. A
 * module-level function taking its data as `context`, not a closure made per call: a fresh
 * closure starts without type feedback and runs unoptimised, which at 224 px costs more than
 * the sampling.
 */
export type RowPositions<C> = (context: C, y: number, ys: Float64Array, xs: Float64Array) => void;

/**
 * Bilinear resampling onto an outHeight × outWidth grid whose sample positions are written a
 * row at a time: the same values as sampleBilinear with the whole grid's positions, without
 * image-sized coordinate arrays. Large images go through the SIMD engine's wasm kernel where
 * there is one (sampleBilinearRowsOn), with the same bits.
 */
export function sampleBilinearRows<C>(image: Image, outHeight: number, outWidth: number, positions: RowPositions<C>, context: C, border: Border): Float32Array {
  if (outHeight * outWidth * image.channels >= ENGINE_FROM) {
    const engine = simdEngine();
    if (engine.kind === 'wasm-simd') return sampleBilinearRowsOn(engine, image, outHeight, outWidth, positions, context, border);
  }
  const out = new Float32Array(outHeight * outWidth * image.channels);
  const ys = new Float64Array(outWidth);
  const xs = new Float64Array(outWidth);
  for (let y = 0; y < outHeight; y++) {
    positions(context, y, ys, xs);
    samplePoints(image, ys, xs, outWidth, border, out, y * outWidth * image.channels);
  }
  return out;
}

/**
 * Below this many output values the copies into the engine's memory do not pay (28- and 32-px
 * images stay in JavaScript). At 224×224×3 the kernel took about 0.4 ms against 0.55–0.7 ms for
 * the JavaScript loop (same float64 arithmetic, without the loop's type checks and bounds tests):
 * elastic transform, two resamplings a call, became 1.06–1.10× faster.
 */
const ENGINE_FROM = 16384;

/**
 * sampleBilinearRows on an engine's memory: the image and the whole grid's positions are written
 * there, the engine's bilinear kernel samples every point inside the image, and the points it
 * flags (their neighbours reach past the border) are sampled here by the border rule, into
 * the same output. The result is a new array.
 */
export function sampleBilinearRowsOn<C>(
  engine: SimdEngine,
  image: Image,
  outHeight: number,
  outWidth: number,
  positions: RowPositions<C>,
  context: C,
  border: Border,
): Float32Array {
  const { arena } = engine;
  const count = outHeight * outWidth * image.channels;
  arena.reset();
  const src = arena.alloc(image.data.length);
  arena.f32.set(image.data, src >>> 2);
  const dst = arena.alloc(count);
  const grid = gridBuffers(engine, outHeight * outWidth);
  resampleOn(engine, src, image, { outHeight, outWidth, positions, context, border }, dst, grid);
  return arena.f32.slice(dst >>> 2, (dst >>> 2) + count);
}

/** One bilinear resampling: the output grid's size and its positions in the input, and the border rule. */
export interface Resampling<C> {
  readonly outHeight: number;
  readonly outWidth: number;
  readonly positions: RowPositions<C>;
  readonly context: C;
  readonly border: Border;
}

/**
 * Resamples the image by `first`, then its output by `second`, and clips the result to [0, 1]
 * (elastic transform's affine warp, then its displacement). On the engine, the image in between
 * stays in its memory and the clip runs there too; elsewhere, sampleBilinearRows twice. The
 * result is a new array, the same values either way.
 */
export function sampleBilinearTwiceClipped<C1, C2>(image: Image, first: Resampling<C1>, second: Resampling<C2>, engine = simdEngine()): Float32Array {
  const { channels } = image;
  const between = first.outHeight * first.outWidth * channels;
  const count = second.outHeight * second.outWidth * channels;
  if (engine.kind !== 'wasm-simd' || Math.max(between, count) < ENGINE_FROM) {
    const warped = sampleBilinearRows(image, first.outHeight, first.outWidth, first.positions, first.context, first.border);
    const out = sampleBilinearRows({ data: warped, height: first.outHeight, width: first.outWidth, channels }, second.outHeight, second.outWidth, second.positions, second.context, second.border);
    return clipInPlace(out);
  }
  const { arena, kernels } = engine;
  arena.reset();
  const src = arena.alloc(image.data.length);
  arena.f32.set(image.data, src >>> 2);
  const mid = arena.alloc(between);
  const dst = arena.alloc(count);
  // Everything is allocated before any view of the memory is taken: a later allocation may grow
  // the memory, which detaches the views taken before it.
  const grid = gridBuffers(engine, Math.max(first.outHeight * first.outWidth, second.outHeight * second.outWidth));
  resampleOn(engine, src, image, first, mid, grid);
  // The first output as an image for the second step's border points, read in place.
  const midImage: Image = { data: arena.f32.subarray(mid >>> 2, (mid >>> 2) + between), height: first.outHeight, width: first.outWidth, channels };
  resampleOn(engine, mid, midImage, second, dst, grid);
  // min(max(v, 0), 1), as clipInPlace.
  kernels.scaleClamp(dst, count, 1);
  return arena.f32.slice(dst >>> 2, (dst >>> 2) + count);
}

/** Values clipped to [0, 1], in place; −0 becomes +0, as the engine's max(v, 0) makes it. */
function clipInPlace(values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    values[i] = v > 0 ? (v > 1 ? 1 : v) : 0;
  }
  return values;
}

/**
 * One resampling on the engine: the image at byte address `src` (its values also as `image`, for
 * the border points), into `dst`. The whole grid's positions are written to the engine's memory,
 * its bilinear kernel samples every point inside the image, and the points it flags (their
 * neighbours reach past the border) are sampled here by the border rule, into the same output.
 */
function resampleOn<C>(engine: SimdEngine, src: number, image: Image, { outHeight, outWidth, positions, context, border }: Resampling<C>, dst: number, { ys, xs, flags }: GridBuffers): void {
  const { arena, kernels } = engine;
  const { height, width, channels } = image;
  const count = outHeight * outWidth;
  const f32 = arena.f32;
  const f64 = new Float64Array(f32.buffer);
  for (let y = 0, row = 0; y < outHeight; y++, row += outWidth) {
    positions(context, y, f64.subarray((ys >>> 3) + row, (ys >>> 3) + row + outWidth), f64.subarray((xs >>> 3) + row, (xs >>> 3) + row + outWidth));
  }
  if (kernels.bilinear(dst, src, height, width, channels, ys, xs, count, flags) > 0) {
    sampleFlagged(image, f64.subarray(ys >>> 3, (ys >>> 3) + count), f64.subarray(xs >>> 3, (xs >>> 3) + count), arena.u8.subarray(flags, flags + count), border, f32, dst >>> 2);
  }
}

/** Byte addresses of a grid's float64 row and column positions and its flag bytes, in an engine's memory. */
interface GridBuffers {
  readonly ys: number;
  readonly xs: number;
  readonly flags: number;
}

function gridBuffers({ arena }: SimdEngine, points: number): GridBuffers {
  // Float64 positions take two floats each; every allocation is 16-byte aligned.
  return { ys: arena.alloc(2 * points), xs: arena.alloc(2 * points), flags: arena.alloc(Math.ceil(points / 4)) };
}

/** Samples the flagged points (flags[p] = 1) by samplePoints's border rules, into out from outStart on. */
function sampleFlagged(image: Image, ys: Float64Array, xs: Float64Array, flags: Uint8Array, border: Border, out: Float32Array, outStart: number): void {
  const y = new Float64Array(1);
  const x = new Float64Array(1);
  for (let p = 0; p < flags.length; p++) {
    if (flags[p] === 0) continue;
    y[0] = ys[p]!;
    x[0] = xs[p]!;
    samplePoints(image, y, x, 1, border, out, outStart + p * image.channels);
  }
}

/** Samples `count` points into out from outStart on (channels values each). */
function samplePoints(
  image: Image,
  ys: Float32Array | Float64Array,
  xs: Float32Array | Float64Array,
  count: number,
  border: Border,
  out: Float32Array,
  outStart: number,
): Float32Array {
  const { data, height, width, channels } = image;
  const rowStride = width * channels;
  for (let p = 0; p < count; p++) {
    const y = ys[p]!;
    const x = xs[p]!;
    const y0 = Math.floor(y);
    const x0 = Math.floor(x);
    const fy = y - y0;
    const fx = x - x0;
    let i00: number;
    let i01: number;
    let i10: number;
    let i11: number;
    let w00 = (1 - fy) * (1 - fx);
    let w01 = (1 - fy) * fx;
    let w10 = fy * (1 - fx);
    let w11 = fy * fx;
    if (y0 >= 0 && y0 < height - 1 && x0 >= 0 && x0 < width - 1) {
      i00 = y0 * rowStride + x0 * channels;
      i01 = i00 + channels;
      i10 = i00 + rowStride;
      i11 = i10 + channels;
    } else {
      const r0 = borderIndex(y0, height, border);
      const r1 = borderIndex(y0 + 1, height, border);
      const q0 = borderIndex(x0, width, border);
      const q1 = borderIndex(x0 + 1, width, border);
      // A constant border (index −1) contributes nothing: its weight is dropped, as zeros would be.
      if (r0 < 0 || q0 < 0) w00 = 0;
      if (r0 < 0 || q1 < 0) w01 = 0;
      if (r1 < 0 || q0 < 0) w10 = 0;
      if (r1 < 0 || q1 < 0) w11 = 0;
      i00 = Math.max(r0, 0) * rowStride + Math.max(q0, 0) * channels;
      i01 = Math.max(r0, 0) * rowStride + Math.max(q1, 0) * channels;
      i10 = Math.max(r1, 0) * rowStride + Math.max(q0, 0) * channels;
      i11 = Math.max(r1, 0) * rowStride + Math.max(q1, 0) * channels;
    }
    const o = outStart + p * channels;
    if (channels === 1) {
      out[o] = w00 * data[i00]! + w01 * data[i01]! + w10 * data[i10]! + w11 * data[i11]!;
    } else if (channels === 3) {
      out[o] = w00 * data[i00]! + w01 * data[i01]! + w10 * data[i10]! + w11 * data[i11]!;
      out[o + 1] = w00 * data[i00 + 1]! + w01 * data[i01 + 1]! + w10 * data[i10 + 1]! + w11 * data[i11 + 1]!;
      out[o + 2] = w00 * data[i00 + 2]! + w01 * data[i01 + 2]! + w10 * data[i10 + 2]! + w11 * data[i11 + 2]!;
    } else {
      for (let c = 0; c < channels; c++) {
        out[o + c] = w00 * data[i00 + c]! + w01 * data[i01 + c]! + w10 * data[i10 + c]! + w11 * data[i11 + c]!;
      }
    }
  }
  return out;
}

/**
 * A 2×3 affine map from output (row, column, 1) to input (row, column): the inverse map, as
 * scikit-image's warp and OpenCV's WARP_INVERSE_MAP take it.
 */
export type InverseAffine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/** Warps an image: output (y, x) reads the input at (a·y + b·x + c, d·y + e·x + f). */
export function warpAffine(image: Image, map: InverseAffine, border: Border): Float32Array {
  return sampleBilinearRows(image, image.height, image.width, affineRow, map, border);
}

/** Row y of an inverse affine map's sample positions. */
export function affineRow([a, b, c, d, e, f]: InverseAffine, y: number, ys: Float64Array, xs: Float64Array): void {
  for (let x = 0; x < ys.length; x++) {
    ys[x] = a * y + b * x + c;
    xs[x] = d * y + e * x + f;
  }
}

/**
 * Bilinear resize to outHeight × outWidth with corners aligned (scipy.ndimage.zoom's mapping:
 * input = output · (in − 1)/(out − 1)).
 */
export function resizeBilinear(image: Image, outHeight: number, outWidth: number): Float32Array {
  const sy = outHeight > 1 ? (image.height - 1) / (outHeight - 1) : 0;
  const sx = outWidth > 1 ? (image.width - 1) / (outWidth - 1) : 0;
  return sampleBilinearRows(image, outHeight, outWidth, affineRow, [sy, 0, 0, 0, sx, 0], 'nearest');
}
