/**
 * The image operations of the blur family, built on the SIMD kernels of src/engine/simd.ts:
 * separable filters, sparse 2-D tap lists (motion blur's line), exact disk filters (defocus),
 * the mean of clipped zooms (zoom blur) and glass blur's local pixel shuffle.
 *
 * A BlurJob holds one image in the engine's memory and runs stages on it there, so a corruption
 * of several stages allocates one JavaScript array, for its result. A filter first copies its
 * input with the padding its kernel reads outside the image (by the border rule), then runs each
 * pass as one kernel call over all rows; every stage returns an unpadded plane.
 */
import type { RandomStream } from '../../random/stream.js';
import { borderIndex, type Border } from '../shared/border.js';
import { roundHalfEven } from '../shared/pixels.js';
import type { Image } from '../types.js';
import type { SimdEngine } from '../../engine/simd.js';

/** An image in engine memory: value (y, x, c) is float32 number address/4 + y·stride + offset + x·channels + c. */
export interface Plane {
  readonly address: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Floats per row. */
  readonly stride: number;
  /** Floats before the first pixel of each row. */
  readonly offset: number;
}

/**
 * A prepared filter: computes n values at dst, for `rows` rows (the r-th at dst + r·dstStride,
 * reading its taps shifted by r·srcStride; strides in bytes).
 */
type Pass = (dst: number, n: number, rows?: number, dstStride?: number, srcStride?: number) => void;

/** A sparse 2-D kernel: out(y, x) = Σₜ weightₜ·in(y + dyₜ, x + dxₜ). */
export interface SparseKernel {
  readonly dx: ArrayLike<number>;
  readonly dy: ArrayLike<number>;
  readonly weights: ArrayLike<number>;
}

/**
 * One operation's use of the engine: resets its memory, then allocates as stages need. Memory
 * may grow on any allocation, so typed-array views are taken afresh after allocating.
 */
export class BlurJob {
  constructor(
    private readonly image: Image,
    private readonly engine: SimdEngine,
  ) {
    engine.arena.reset();
  }

  /** The image the job started from, as a plane in memory. */
  input(): Plane {
    const { data, height, width, channels } = this.image;
    const address = this.engine.arena.alloc(data.length);
    this.engine.arena.f32.set(data, address >>> 2);
    return { address, height, width, channels, stride: width * channels, offset: 0 };
  }

  /**
   * Correlates every channel with kernelX along rows and kernelY along columns (odd lengths,
   * centred), reading outside the image by the border rule: kernelY ⋆ (kernelX ⋆ image).
   */
  separable(from: Plane | 'input', kernelX: ArrayLike<number>, kernelY: ArrayLike<number>, border: Border): Plane {
    const rx = (kernelX.length - 1) / 2;
    const ry = (kernelY.length - 1) / 2;
    if (!Number.isInteger(rx) || !Number.isInteger(ry)) throw new RangeError('separable kernels must have odd lengths');
    const { height, width, channels } = this.shape(from);
    const rowLength = width * channels;
    const stride = (width + 2 * rx) * channels;
    const paddedHeight = height + 2 * ry;
    const { arena } = this.engine;
    const padded = arena.alloc(paddedHeight * stride);
    const rows = arena.alloc(paddedHeight * rowLength);
    const out = arena.alloc(height * rowLength);
    // Row pass, row by row over the padded rows: output column x reads padded columns x … x + 2rx.
    // Column pass over the row-pass rows, all at once: output row y reads rows y … y + 2ry.
    const rowPass = this.filter(Array.from({ length: kernelX.length }, (_, j) => padded + 4 * j * channels), kernelX);
    const columnPass = this.filter(Array.from({ length: kernelY.length }, (_, j) => rows + 4 * j * rowLength), kernelY);
    this.writePadded(from, padded, ry, ry, rx, rx, border);
    rowPass(rows, rowLength, paddedHeight, 4 * rowLength, 4 * stride);
    columnPass(out, height * rowLength);
    return { address: out, height, width, channels, stride: rowLength, offset: 0 };
  }

  /** Correlates every channel with a sparse kernel, reading outside the image by the border rule. */
  sparse(from: Plane | 'input', kernel: SparseKernel, border: Border): Plane {
    const { height, width, channels } = this.shape(from);
    const count = kernel.weights.length;
    let left = 0;
    let right = 0;
    let top = 0;
    let bottom = 0;
    for (let t = 0; t < count; t++) {
      left = Math.max(left, -kernel.dx[t]!);
      right = Math.max(right, kernel.dx[t]!);
      top = Math.max(top, -kernel.dy[t]!);
      bottom = Math.max(bottom, kernel.dy[t]!);
    }
    const rowLength = width * channels;
    const stride = (width + left + right) * channels;
    const paddedHeight = height + top + bottom;
    const padded = this.engine.arena.alloc(paddedHeight * stride);
    const out = this.engine.arena.alloc(height * rowLength);
    // Output (y, x) reads padded row top + y + dy, column left + x + dx.
    const addresses = Array.from({ length: count }, (_, t) => padded + 4 * ((top + kernel.dy[t]!) * stride + (left + kernel.dx[t]!) * channels));
    const pass = this.filter(addresses, kernel.weights);
    this.writePadded(from, padded, top, bottom, left, right, border);
    pass(out, rowLength, height, 4 * rowLength, 4 * stride);
    return { address: out, height, width, channels, stride: rowLength, offset: 0 };
  }

  /**
   * Mean over the disk x² + y² ≤ r² around each pixel, reading outside the image by the border
   * rule: correlation with the normalised binary disk, exactly (no approximation), in O(r) per
   * pixel instead of O(r²). The disk is a union of vertical runs (diskColumns); the vertical box
   * sums of each run height are built incrementally (height 2w′ + 1 is height 2w + 1 plus
   * 2(w′ − w) rows), and the disk sum adds one box sum per column. Every sum holds at most 2r + 1
   * values, so float32 keeps them to about 1e-7 (prefix sums over whole columns would not).
   */
  disk(from: Plane | 'input', radius: number, border: Border): Plane {
    const { height, width, channels } = this.shape(from);
    const columns = diskColumns(radius);
    const reach = (columns.length - 1) / 2;
    let count = 0;
    for (const w of columns) count += 2 * w + 1;
    const heights = [...new Set(columns)].sort((a, b) => a - b);
    const rowLength = width * channels;
    const stride = (width + 2 * reach) * channels;
    const { arena } = this.engine;
    const padded = arena.alloc((height + 2 * reach) * stride);
    const boxes = new Map<number, number>();
    for (const h of heights) boxes.set(h, arena.alloc(height * stride));
    const out = arena.alloc(height * rowLength);
    // Output row y's vertical box of half-height w sums padded rows reach + y − w … reach + y + w
    // (all padded columns): the first from the rows, each next one from the previous box and the
    // rows it adds.
    const row = (k: number) => padded + 4 * (reach + k) * stride;
    const steps: { box: number; pass: Pass }[] = [];
    let previous = -1;
    for (const h of heights) {
      // Rows −h … −(previous + 1), the centre (row 0 or the previous box), rows previous + 1 … h.
      const centre = previous < 0 ? row(0) : boxes.get(previous)!;
      const above: number[] = [];
      const below: number[] = [];
      for (let k = Math.max(1, previous + 1); k <= h; k++) {
        above.unshift(row(-k));
        below.push(row(k));
      }
      steps.push({ box: boxes.get(h)!, pass: this.filter([...above, centre, ...below], new Float32Array(above.length * 2 + 1).fill(1)) });
      previous = h;
    }
    // Output (y, x) adds, for each column dx, box w(dx) at padded column reach + x + dx.
    const final = this.filter(
      Array.from(columns, (w, i) => boxes.get(w)! + 4 * i * channels),
      new Float32Array(columns.length).fill(1 / count),
    );
    this.writePadded(from, padded, reach, reach, reach, reach, border);
    for (const step of steps) step.pass(step.box, height * stride);
    final(out, rowLength, height, 4 * rowLength, 4 * stride);
    return { address: out, height, width, channels, stride: rowLength, offset: 0 };
  }

  /**
   * The original's zoom blur: (x + Σ_z clipped_zoom(x, z)) / (count + 1). A factor of 1 is the
   * identity (scipy's zoom by 1 samples every pixel exactly) and is added as such. Each axis is
   * cropped and zoomed by its own length (the original uses the height for both, the same for
   * the square images it was written for).
   */
  zoomMean(from: Plane | 'input', factors: readonly number[]): Plane {
    const source = this.contiguous(from);
    const { height, width, channels } = source;
    const n = height * width * channels;
    const groups = Math.ceil(channels / 4);
    const rowBytes = 4 * width * channels;
    const { arena, kernels } = this.engine;
    const sum = arena.alloc(n);
    const rows0 = arena.alloc(height);
    const rows1 = arena.alloc(height);
    const fys = arena.alloc(height);
    const idx0 = arena.alloc(width);
    const idx1 = arena.alloc(width);
    const fxs = arena.alloc(width);
    const tmp = arena.alloc(width * channels);
    const gathered = arena.alloc(width * channels + 4 * groups);
    const identities = 1 + factors.filter((z) => z === 1).length;
    const copy = this.filter([source.address], [identities]);
    const { f32, i32 } = arena;
    copy(sum, n);
    for (const z of factors) {
      if (z === 1) continue;
      if (!(z > 1)) throw new RangeError(`zoom factors must be ≥ 1, got ${z}`);
      const xs = zoomTables(width, z, 4 * channels);
      const ys = zoomTables(height, z, rowBytes);
      i32.set(xs.i0, idx0 >>> 2);
      i32.set(xs.i1, idx1 >>> 2);
      f32.set(xs.frac, fxs >>> 2);
      i32.set(ys.i0, rows0 >>> 2);
      i32.set(ys.i1, rows1 >>> 2);
      f32.set(ys.frac, fys >>> 2);
      kernels.zoomAdd(sum, source.address, height, width, rowBytes, 4 * channels, groups, rows0, rows1, fys, idx0, idx1, fxs, tmp, gathered);
    }
    kernels.scaleClamp(sum, n, 1 / (factors.length + 1));
    return { address: sum, height, width, channels, stride: width * channels, offset: 0 };
  }

  /**
   * Glass blur's local shuffle (see SimdKernels.glassSwaps), in place (on an unpadded copy if
   * the plane's rows are padded; the job's input is always copied first), with offsets dx, dy
   * uniform in [−δ, δ − 1] (numpy's randint(−δ, δ): the upper bound is excluded, so the shuffle
   * drifts up-left, as in the original) and, for swapProbability < 1, a coin per position
   * (MNIST-C swaps with probability 0.5). Multi-channel pixels are copied rather than swapped
   * (`copy`), as the original's numpy code does to H×W×3 arrays; single-channel ones swap, as
   * MNIST-C's 2-D arrays do. All offsets, then all coins, are cut from 32-bit words of the
   * stream, drawn in bulk before any pixel moves.
   */
  shuffle(from: Plane | 'input', delta: number, iterations: number, swapProbability: number, copy: boolean, random: RandomStream): Plane {
    const plane = this.contiguous(from);
    const { height, width, channels } = plane;
    const positions = iterations * Math.max(0, height - 2 * delta) * Math.max(0, width - 2 * delta);
    if (positions === 0 || delta < 1) return plane;
    const { arena, kernels } = this.engine;
    const offsets = arena.alloc(Math.ceil((2 * positions) / 4));
    const coins = arena.alloc(Math.ceil(positions / 4));
    const wordCapacity = 4096;
    const words = arena.alloc(wordCapacity);
    this.drawDigits(offsets, 2 * positions, 2 * delta, random, words, wordCapacity);
    // Coins as bytes: a swap when the byte is below p·256 (exact for p = 0.5).
    const threshold = swapProbability >= 1 ? 256 : Math.round(swapProbability * 256);
    if (threshold < 256) this.drawDigits(coins, positions, 256, random, words, wordCapacity);
    kernels.glassSwaps(plane.address, height, width, channels, delta, iterations, offsets, coins, threshold, copy ? 1 : 0);
    return plane;
  }

  /** Clips the plane's values to [0, 1] in place. */
  clip(plane: Plane): Plane {
    this.engine.kernels.scaleClamp(plane.address, plane.height * plane.stride, 1);
    return plane;
  }

  /** np.uint8(v·255) in place: values become the integers 0 … 255. */
  quantize(plane: Plane): Plane {
    this.engine.kernels.quantize255(plane.address, plane.height * plane.stride);
    return plane;
  }

  /**
   * The plane's values in place in the engine's memory, rows unpadded (copied there first if
   * they are padded): no new array, but only valid until the engine's next operation resets
   * its memory, so read it synchronously.
   */
  view(plane: Plane): Float32Array {
    const { address, height, width, channels } = this.contiguous(plane);
    return this.engine.arena.f32.subarray(address >>> 2, (address >>> 2) + height * width * channels);
  }

  /** The plane as a new HWC Float32Array. */
  read(plane: Plane): Float32Array {
    const { height, width, channels, stride, offset } = plane;
    const rowLength = width * channels;
    const f32 = this.engine.arena.f32;
    const base = plane.address >>> 2;
    if (stride === rowLength) return f32.slice(base, base + height * rowLength);
    const out = new Float32Array(height * rowLength);
    for (let y = 0; y < height; y++) {
      const from = base + y * stride + offset;
      out.set(f32.subarray(from, from + rowLength), y * rowLength);
    }
    return out;
  }

  private shape(from: Plane | 'input'): { height: number; width: number; channels: number } {
    return from === 'input' ? this.image : from;
  }

  /** The plane itself when its rows are unpadded, else an unpadded copy. */
  private contiguous(from: Plane | 'input'): Plane {
    if (from === 'input') return this.input();
    if (from.stride === from.width * from.channels) return from;
    const { height, width, channels } = from;
    const address = this.engine.arena.alloc(height * width * channels);
    const f32 = this.engine.arena.f32;
    for (let y = 0; y < height; y++) {
      const start = (from.address >>> 2) + y * from.stride + from.offset;
      f32.copyWithin((address >>> 2) + y * width * channels, start, start + width * channels);
    }
    return { address, height, width, channels, stride: width * channels, offset: 0 };
  }

  /**
   * Prepares dst[i] = Σₜ weights[t]·f32[addresses[t]/4 + i] (the tables go into memory now;
   * call the result after writing the inputs; see Pass). A list that reads the same weights
   * from both ends (a symmetric kernel, centre in the middle) runs as pairs sharing one
   * multiplication (SimdKernels.tapPairs).
   */
  private filter(addresses: readonly number[], weights: ArrayLike<number>): Pass {
    const { arena, kernels } = this.engine;
    const count = addresses.length;
    const half = (count - 1) / 2;
    let symmetric = count >= 3 && Number.isInteger(half);
    for (let t = 0; symmetric && t < half; t++) symmetric = Math.fround(weights[t]!) === Math.fround(weights[count - 1 - t]!);
    if (symmetric) {
      const tapsA = arena.alloc(half);
      const tapsB = arena.alloc(half);
      const pairWeights = arena.alloc(half);
      const { i32, f32 } = arena;
      for (let t = 0; t < half; t++) {
        i32[(tapsA >>> 2) + t] = addresses[half + 1 + t]!;
        i32[(tapsB >>> 2) + t] = addresses[half - 1 - t]!;
        f32[(pairWeights >>> 2) + t] = weights[half + 1 + t]!;
      }
      const centre = addresses[half]!;
      const centreWeight = weights[half]!;
      return (dst, n, rows = 1, dstStride = 0, srcStride = 0) =>
        kernels.tapPairs(dst, n, rows, dstStride, srcStride, centre, centreWeight, tapsA, tapsB, pairWeights, half);
    }
    const taps = arena.alloc(count);
    const tapWeights = arena.alloc(count);
    const { i32, f32 } = arena;
    for (let t = 0; t < count; t++) {
      i32[(taps >>> 2) + t] = addresses[t]!;
      f32[(tapWeights >>> 2) + t] = weights[t]!;
    }
    return (dst, n, rows = 1, dstStride = 0, srcStride = 0) => kernels.tapSum(dst, n, rows, dstStride, srcStride, taps, tapWeights, count);
  }

  /**
   * Writes the image `from` at byte address `address`, padded by `top`, `bottom` rows and `left`,
   * `right` columns read by the border rule (constant: zeros), in rows of (W + left + right)·C.
   */
  private writePadded(from: Plane | 'input', address: number, top: number, bottom: number, left: number, right: number, border: Border): void {
    const { height, width, channels } = this.shape(from);
    const f32 = this.engine.arena.f32;
    // Where row y of the source starts, in `values`.
    const values = from === 'input' ? this.image.data : f32;
    const rowStart = from === 'input' ? (y: number) => y * width * channels : (y: number) => (from.address >>> 2) + y * from.stride + from.offset;
    const rowLength = width * channels;
    const stride = (width + left + right) * channels;
    const leftSources = Int32Array.from({ length: left }, (_, i) => borderIndex(i - left, width, border));
    const rightSources = Int32Array.from({ length: right }, (_, i) => borderIndex(width + i, width, border));
    for (let py = 0; py < height + top + bottom; py++) {
      const row = (address >>> 2) + py * stride;
      const sy = borderIndex(py - top, height, border);
      if (sy < 0) {
        f32.fill(0, row, row + stride);
        continue;
      }
      const source = rowStart(sy);
      if (values === f32) f32.copyWithin(row + left * channels, source, source + rowLength);
      else f32.set(values.subarray(source, source + rowLength), row + left * channels);
      for (let i = 0; i < left; i++) copyPixel(f32, values, row + i * channels, source, leftSources[i]!, channels);
      for (let i = 0; i < right; i++) copyPixel(f32, values, row + (left + width + i) * channels, source, rightSources[i]!, channels);
    }
  }

  /**
   * Fills `count` bytes at `address` with unbiased digits in [0, m), cut from 32-bit words of the
   * stream (⌈log₂ m⌉ bits a digit, rejecting chunks ≥ m); for m a power of two, exactly as many
   * words as needed are drawn.
   */
  private drawDigits(address: number, count: number, m: number, random: RandomStream, wordsAddress: number, wordCapacity: number): void {
    const bits = Math.max(1, Math.ceil(Math.log2(m)));
    const perWord = Math.floor(32 / bits) * (m / 2 ** bits);
    let produced = 0;
    while (produced < count) {
      const needed = count - produced;
      const words = Math.min(wordCapacity, m === 2 ** bits ? Math.ceil(needed / perWord) : Math.ceil((needed / perWord) * 1.05) + 4);
      const i32 = this.engine.arena.i32;
      for (let i = 0; i < words; i++) i32[(wordsAddress >>> 2) + i] = random.uint32() | 0;
      produced += this.engine.kernels.digits(address + produced, needed, wordsAddress, words, m, bits);
    }
  }
}

function copyPixel(f32: Float32Array, values: Float32Array, to: number, rowSource: number, column: number, channels: number): void {
  if (column < 0) {
    f32.fill(0, to, to + channels);
    return;
  }
  const from = rowSource + column * channels;
  for (let c = 0; c < channels; c++) f32[to + c] = values[from + c]!;
}

/**
 * The half-height of each column of the disk x² + y² ≤ r² on the integer grid: for dx in
 * [−R, R] (R = ⌊r⌋), the largest w with dx² + w² ≤ r². The disk is the union of the columns
 * (dx, −w … w).
 */
export function diskColumns(radius: number): Int32Array {
  const reach = Math.floor(radius);
  const r2 = radius * radius;
  return Int32Array.from({ length: 2 * reach + 1 }, (_, i) => {
    const dx = i - reach;
    let w = Math.floor(Math.sqrt(Math.max(0, r2 - dx * dx)));
    while ((w + 1) * (w + 1) + dx * dx <= r2) w++;
    while (w > 0 && w * w + dx * dx > r2) w--;
    return w;
  });
}


/** clippedZoomAxis as byte offsets (indices × unit) and float32 weights: the tables zoomAdd reads. */
interface ZoomTables {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly frac: Float32Array;
}

/** Tables by (size, factor, unit): the images of a batch, and every batch of a size, share them. */
const zoomTableCache = new Map<string, ZoomTables>();

function zoomTables(size: number, factor: number, unit: number): ZoomTables {
  const key = `${size} ${factor} ${unit}`;
  let tables = zoomTableCache.get(key);
  if (!tables) {
    if (zoomTableCache.size >= 1024) zoomTableCache.clear();
    const axis = clippedZoomAxis(size, factor);
    tables = { i0: axis.i0.map((i) => i * unit), i1: axis.i1.map((i) => i * unit), frac: Float32Array.from(axis.frac) };
    zoomTableCache.set(key, tables);
  }
  return tables;
}

/**
 * One axis of the original's clipped_zoom(x, z): the centre crop of ⌈n/z⌉ pixels starting at
 * ⌊(n − ⌈n/z⌉)/2⌋, zoomed by scipy.ndimage.zoom(order=1) to round(⌈n/z⌉·z) pixels (output o reads
 * crop coordinate o·(crop − 1)/(out − 1), corners aligned), trimmed back to n from
 * ⌊(out − n)/2⌋. For each output pixel: the two image indices it interpolates and the weight of
 * the second.
 */
export function clippedZoomAxis(size: number, factor: number): { readonly i0: Int32Array; readonly i1: Int32Array; readonly frac: Float64Array } {
  const crop = Math.ceil(size / factor);
  const start = Math.floor((size - crop) / 2);
  const zoomed = roundHalfEven(crop * factor);
  const step = zoomed > 1 ? (crop - 1) / (zoomed - 1) : 1;
  const trim = Math.floor((zoomed - size) / 2);
  const i0 = new Int32Array(size);
  const i1 = new Int32Array(size);
  const frac = new Float64Array(size);
  for (let o = 0; o < size; o++) {
    const u = (o + trim) * step;
    const lo = Math.min(Math.max(Math.floor(u), 0), crop - 1);
    const hi = Math.min(lo + 1, crop - 1);
    i0[o] = start + lo;
    i1[o] = start + hi;
    frac[o] = hi > lo ? u - lo : 0;
  }
  return { i0, i1, frac };
}
