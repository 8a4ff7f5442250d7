import type { RandomStream } from '../../random/stream.js';
import { simdEngine, type SimdEngine } from '../../engine/simd.js';

/** log Γ(x) for x > 0 (Lanczos, g = 7): accurate to ~1e-15, enough for Poisson acceptance tests. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Below this mean, inversion (about mean + 1 steps); from it on, PTRS (a constant number of draws). */
const INVERSION_BELOW = 10;
/** Words drawn from the stream at a time: the sampler reads uniforms from this buffer, in order. */
const WORDS_PER_BLOCK = 4096;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
/** 1/k for the inversion walk (a multiplication is several times cheaper than a division). */
const RECIPROCALS = Float64Array.from({ length: 1024 }, (_, k) => 1 / k);

/**
 * Exact Poisson draws, out[i] ~ min(Poisson(values[i]·scale), cap), independently; a mean of 0
 * or less gives 0 without a draw. (A caller that clips k/λ at 1 passes cap = ⌈λ⌉: every count
 * from there on clips alike, so the samplers may stop counting there; the result's law is the
 * same.) Many values (at least TABLES_FROM) with means in a moderate range (a 224-px image under
 * shot noise) go through tables (fillPoissonByTables); otherwise each value is drawn on its own
 * (fillPoissonPerValue).
 * Which one runs depends only on the means, so the draws are reproducible from the stream.
 * `kept`, if given, lends the tables earlier calls made (the draws are the same with or without).
 */
export function fillPoisson<T extends Float32Array | Float64Array>(
  values: Float32Array | Float64Array,
  scale: number,
  out: T,
  random: RandomStream,
  cap = Infinity,
  kept?: PoissonTableCache,
): T {
  if (values.length < TABLES_FROM) return fillPoissonPerValue(values, scale, out, random, cap);
  const points = gridPointsInUse(values, scale);
  const cells = points ? tableCells(points, cap) : Infinity;
  return cells <= values.length / 2 ? sampleByTables(values, scale, out, random, cap, points!, kept?.forCap(cap) ?? new AliasTables(cells, cap)) : fillPoissonPerValue(values, scale, out, random, cap);
}

/**
 * fillPoisson's alias tables kept from one call to the next (pass one to fillPoisson): a table
 * depends only on its grid point and the cap, so the tables one image makes serve every later
 * image with the same cap, and the same draws come out with or without. Holds the tables of the
 * last MAX_CAPS caps used, each up to MAX_KEPT_CELLS cells (12 MB; shot noise's caps at 224 px
 * need under 0.5 MB together).
 */
export class PoissonTableCache {
  private readonly byCap = new Map<number, AliasTables>();

  forCap(cap: number): AliasTables {
    let tables = this.byCap.get(cap);
    // Taken out and put back last: the Map's order is then least recently used first.
    this.byCap.delete(cap);
    if (!tables || tables.cells > MAX_KEPT_CELLS) {
      if (this.byCap.size >= MAX_CAPS) this.byCap.delete(this.byCap.keys().next().value!);
      tables = new AliasTables(1024, cap);
    }
    this.byCap.set(cap, tables);
    return tables;
  }
}

/** Caps whose tables a PoissonTableCache keeps: shot noise has five per profile. */
const MAX_CAPS = 16;
/** Beyond this many cells a cap's kept tables start afresh (unusual means on every call). */
const MAX_KEPT_CELLS = 1 << 20;

/** Fewer values than this never pay for the tables (nor for counting their cells): 28- and 32-px images. */
const TABLES_FROM = 16384;
/** Spacing of the grid of means that fillPoissonByTables tabulates. */
const GRID_STEP = 0.25;
/** fillPoissonByTables serves means below this; its tables would grow with larger ones. */
const TABLE_MEANS_BELOW = 1000;

/**
 * The grid points of the means of values·scale (⌊mean/GRID_STEP⌋ of each positive mean), each
 * once, in the order the values first reach them; undefined where a mean is out of the tables'
 * range. One pass over the values serves both the choice of sampler (tableCells) and the making
 * of the tables (makeNeededTables), which then need no pass of their own.
 */
function gridPointsInUse(values: Float32Array | Float64Array, scale: number): Int32Array | undefined {
  const used = new Uint8Array(GRID_POINTS);
  const points = new Int32Array(GRID_POINTS);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const mean = values[i]! * scale;
    if (!(mean > 0)) continue;
    if (!(mean < TABLE_MEANS_BELOW)) return undefined;
    const j = Math.floor(mean * (1 / GRID_STEP));
    if (used[j]) continue;
    used[j] = 1;
    points[count++] = j;
  }
  return points.subarray(0, count);
}

/** The cells fillPoissonByTables tabulates for these grid points: one table per point. */
function tableCells(points: Int32Array, cap: number): number {
  let cells = 0;
  for (const j of points) {
    const { lo, hi } = tableRange(j * GRID_STEP, cap);
    cells += hi - lo + 1;
  }
  return cells;
}

const GRID_POINTS = Math.ceil(TABLE_MEANS_BELOW / GRID_STEP);

/**
 * The counts a table holds: all but a share far below 1e-20 of Poisson(mean)'s mass (beyond 12
 * standard deviations and 20 more), with every count from `cap` on pooled at cap.
 */
function tableRange(mean: number, cap: number): { lo: number; hi: number } {
  const reach = 12 * Math.sqrt(mean) + 20;
  const lo = Math.max(0, Math.floor(mean - reach));
  return { lo: Math.min(lo, cap), hi: Math.min(cap, Math.ceil(mean + reach)) };
}

/**
 * Alias tables (Walker's method, Vose's construction) of Poisson laws, laid end to end: table j
 * starts at cell start[j] and has size[j] cells; cell c holds count lo[j] + c with chance keep,
 * else count lo[j] + alias. Made before sampling, each the first time a value needs it, into arrays sized by tableCells.
 */
class AliasTables {
  readonly start = new Int32Array(GRID_POINTS).fill(-1);
  readonly size = new Int32Array(GRID_POINTS);
  readonly lo = new Int32Array(GRID_POINTS);
  /** Replaced by larger copies when a table does not fit (read them after the last make). */
  keep: Float64Array;
  alias: Int32Array;
  private next = 0;

  /** Cells in use by the tables made so far. */
  get cells(): number {
    return this.next;
  }

  constructor(cells: number, private readonly cap: number) {
    this.keep = new Float64Array(cells);
    this.alias = new Int32Array(cells);
  }

  /** Makes table j, for Poisson(j·GRID_STEP) with counts from cap on pooled at cap. */
  make(j: number): void {
    const mean = j * GRID_STEP;
    const { lo, hi } = tableRange(mean, this.cap);
    const size = hi - lo + 1;
    if (this.next + size > this.keep.length) this.grow(this.next + size);
    const p = new Float64Array(size);
    if (mean === 0) {
      p[0] = 1;
    } else {
      const logMean = Math.log(mean);
      for (let k = lo; k <= hi; k++) p[k - lo] = Math.exp(-mean + k * logMean - logFactorial(k));
    }
    // Counts from cap on: whatever mass the counts below leave.
    if (hi === this.cap && size > 1) {
      let below = 0;
      for (let c = 0; c < size - 1; c++) below += p[c]!;
      p[size - 1] = Math.max(0, 1 - below);
    }
    let total = 0;
    for (const v of p) total += v;
    const base = this.next;
    this.next += size;
    this.start[j] = base;
    this.size[j] = size;
    this.lo[j] = lo;
    const keep = this.keep.subarray(base, base + size);
    const alias = this.alias.subarray(base, base + size);
    const small: number[] = [];
    const large: number[] = [];
    for (let c = 0; c < size; c++) {
      keep[c] = (p[c]! / total) * size;
      alias[c] = c;
      (keep[c]! < 1 ? small : large).push(c);
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      alias[s] = l;
      keep[l] = keep[l]! + keep[s]! - 1;
      if (keep[l]! < 1) small.push(large.pop()!);
    }
    // What is left holds 1 up to rounding: always kept.
    for (const c of small) keep[c] = 1;
    for (const c of large) keep[c] = 1;
  }

  /** At least `cells` cells, doubling: tables kept from call to call grow as new means come. */
  private grow(cells: number): void {
    const capacity = Math.max(cells, 2 * this.keep.length);
    const keep = new Float64Array(capacity);
    const alias = new Int32Array(capacity);
    keep.set(this.keep.subarray(0, this.next));
    alias.set(this.alias.subarray(0, this.next));
    this.keep = keep;
    this.alias = alias;
  }
}

const TWO_POW_32 = 4294967296;

/**
 * fillPoisson's sampler for many values with means below TABLE_MEANS_BELOW. Poisson laws add:
 * for a mean m = m₀ + δ with m₀ = jh on a grid of step h and 0 ≤ δ < h, the count is
 * Poisson(m₀) + Poisson(δ), independent. Poisson(m₀) comes from an alias table made the first time
 * grid point j is needed (one 32-bit uniform, one comparison); Poisson(δ) by thinning: N ~
 * Poisson(h) events by inversion of a fixed CDF, each kept with chance δ/h (most often N = 0 and
 * nothing more is drawn). Two words a value, and no exponential, logarithm or division per value.
 */
export function fillPoissonByTables<T extends Float32Array | Float64Array>(values: Float32Array | Float64Array, scale: number, out: T, random: RandomStream, cap = Infinity): T {
  return fillPoissonByTablesOn(simdEngine(), values, scale, out, random, cap);
}

/** fillPoissonByTables with a given SIMD engine's kernel for float32 targets (tests run both kinds). */
export function fillPoissonByTablesOn<T extends Float32Array | Float64Array>(
  engine: SimdEngine,
  values: Float32Array | Float64Array,
  scale: number,
  out: T,
  random: RandomStream,
  cap = Infinity,
): T {
  const points = gridPointsInUse(values, scale);
  if (!points) throw new RangeError(`fillPoissonByTables takes means below ${TABLE_MEANS_BELOW}`);
  return sampleByTables(values, scale, out, random, cap, points, new AliasTables(tableCells(points, cap), cap), engine);
}

/** fillPoissonByTables on the given tables (new ones, or some kept from earlier calls). */
function sampleByTables<T extends Float32Array | Float64Array>(
  values: Float32Array | Float64Array,
  scale: number,
  out: T,
  random: RandomStream,
  cap: number,
  points: Int32Array,
  tables: AliasTables,
  engine = simdEngine(),
): T {
  // Every table the values need, made before sampling: the sampling loop then has no rarely
  // taken call in it, which otherwise sends the optimised loop back to the interpreter
  // (deoptimisation) several times per image while the tables fill. Tables draw nothing.
  makeNeededTables(points, tables);
  // Each loop sits in a function of its own, with nothing after it but its return: V8 compiles a
  // long loop while it runs (on-stack replacement), and code after the loop that had not run by
  // then has no type feedback, so the compiled code would be dropped on reaching it, every image.
  // Counts into a float32 target (shot noise's): the engine's kernel (wasm, or its JavaScript
  // twin where wasm SIMD is missing), which writes float32.
  if (out instanceof Float32Array && values.length >= ENGINE_FROM) return drawByTablesOn(engine, values, scale, out, random, cap, tables) as T;
  const { start, size, lo, keep, alias } = tables;
  return drawByTables(values, scale, out, random, cap, start, size, lo, keep, alias);
}

/**
 * From this many values on, the sampling loop runs on the SIMD engine's kernel, with the same
 * draws: below it, the copies in and out do not pay, and drawByTables's word buffer is shorter
 * than the kernel's 4096-word blocks. At 224×224×3 shot noise took 2.2–2.9 ms a call this way
 * against 3.3–4.3 ms with the JavaScript loop.
 */
const ENGINE_FROM = 4096;

/**
 * drawByTables on an engine's kernel (SimdKernels.poissonByTables): the values and tables are
 * copied into its memory, and the stream's words are drawn a 4096-word block at a time, each when
 * the kernel first needs it, as drawByTables draws them: the same words, in the same order, and
 * the stream is left where drawByTables leaves it. Two blocks are kept: the one in use and the next.
 */
function drawByTablesOn(
  engine: SimdEngine,
  values: Float32Array | Float64Array,
  scale: number,
  out: Float32Array,
  random: RandomStream,
  cap: number,
  tables: AliasTables,
): Float32Array {
  const { arena, kernels } = engine;
  const n = values.length;
  const cells = tables.cells;
  arena.reset();
  const valuesAt = arena.alloc(n);
  const outAt = arena.alloc(n);
  const words = arena.alloc(2 * BLOCK_WORDS);
  const state = arena.alloc(1);
  const startAt = arena.alloc(GRID_POINTS);
  const sizeAt = arena.alloc(GRID_POINTS);
  const loAt = arena.alloc(GRID_POINTS);
  const keepAt = arena.alloc(2 * cells);
  const aliasAt = arena.alloc(cells);
  const cdfAt = arena.alloc(2 * STEP_CDF.length);
  const { f32, i32 } = arena;
  const f64 = new Float64Array(f32.buffer);
  f32.set(values, valuesAt >>> 2);
  i32.set(tables.start, startAt >>> 2);
  i32.set(tables.size, sizeAt >>> 2);
  i32.set(tables.lo, loAt >>> 2);
  f64.set(tables.keep.subarray(0, cells), keepAt >>> 3);
  i32.set(tables.alias.subarray(0, cells), aliasAt >>> 2);
  f64.set(STEP_CDF, cdfAt >>> 3);
  i32[state >>> 2] = 0;
  const u32 = new Uint32Array(f32.buffer, words, 2 * BLOCK_WORDS);
  // The stream fills a plain array, copied in: fillUint32 stays compiled for the arrays the
  // other noises hand it (given a view of wasm memory as well, gaussian and speckle noise,
  // which share it, measured 5–15% slower).
  const block = new Uint32Array(BLOCK_WORDS);
  let filled = 0;
  for (let from = 0; ; ) {
    from = kernels.poissonByTables(valuesAt, scale, outAt, from, n, words, filled, state, cap, startAt, sizeAt, loAt, keepAt, aliasAt, cdfAt, STEP_CDF.length);
    if (from === n) break;
    if (filled === 2 * BLOCK_WORDS) {
      // The value the kernel stopped at reads from the second block on: it moves down to the first.
      u32.copyWithin(0, BLOCK_WORDS);
      i32[state >>> 2] = i32[state >>> 2]! - BLOCK_WORDS;
      filled = BLOCK_WORDS;
    }
    u32.set(random.fillUint32(block), filled);
    filled += BLOCK_WORDS;
  }
  out.set(f32.subarray(outAt >>> 2, (outAt >>> 2) + n));
  return out;
}

/** The words drawByTables draws at a time (WORDS_PER_BLOCK, for images of over 1022 values). */
const BLOCK_WORDS = 4096;

/** Makes the table of every grid point in use that has none yet (kept tables may have it). */
function makeNeededTables(points: Int32Array, tables: AliasTables): void {
  for (const j of points) if (tables.start[j]! < 0) tables.make(j);
}

/**
 * Poisson(h)'s CDF times 2³², as far as it differs from 2³²: the number of events N of one
 * thinning step is how many entries a word reaches.
 */
const STEP_CDF: Readonly<Float64Array> = (() => {
  const cdf: number[] = [];
  for (let k = 0, p = Math.exp(-GRID_STEP), sum = 0; sum < 1 - 1e-12; k++, p *= GRID_STEP / k) cdf.push((sum += p) * TWO_POW_32);
  return Float64Array.from(cdf);
})();

/** The sampling loop of fillPoissonByTables, on tables made for every mean in `values`. */
function drawByTables<T extends Float32Array | Float64Array>(
  values: Float32Array | Float64Array,
  scale: number,
  out: T,
  random: RandomStream,
  cap: number,
  start: Int32Array,
  size: Int32Array,
  lo: Int32Array,
  keep: Float64Array,
  alias: Int32Array,
): T {
  const stepCdf = STEP_CDF;
  const noEvent = stepCdf[0]!;
  const words = new Uint32Array(Math.min(WORDS_PER_BLOCK, 4 * values.length + 8));
  let at = words.length;
  for (let i = 0; i < values.length; i++) {
    const mean = values[i]! * scale;
    if (!(mean > 0)) {
      out[i] = 0;
      continue;
    }
    const j = Math.floor(mean * (1 / GRID_STEP));
    if (at + 2 > words.length) at = refill(random, words);
    const x = (words[at]! / TWO_POW_32) * size[j]!;
    const u = words[at + 1]!;
    at += 2;
    const cell = Math.floor(x);
    const c = start[j]! + cell;
    // Branch-free choice between the cell and its alias (the comparison is a coin flip).
    const kept = +(x - cell < keep[c]!);
    let k = lo[j]! + kept * cell + (1 - kept) * alias[c]!;
    if (u >= noEvent) {
      // N ≥ 1 events of Poisson(h), each kept with chance δ/h.
      let events = 1;
      while (events < stepCdf.length && u >= stepCdf[events]!) events++;
      const share = (mean - j * GRID_STEP) * (1 / GRID_STEP) * TWO_POW_32;
      for (let e = 0; e < events; e++) {
        if (at + 1 > words.length) at = refill(random, words);
        if (words[at++]! < share) k++;
      }
    }
    out[i] = k < cap ? k : cap;
  }
  return out;
}

/**
 * fillPoisson's sampler for any means, one value at a time with no set-up:
 * small means by inversion of the CDF (one uniform each); larger ones by Hörmann's transformed
 * rejection with squeeze (PTRS, 1993: two uniforms a try, about 1.1 tries). Uniforms have 53
 * bits, two 32-bit words each, and the words are drawn from `random` in blocks (no call per
 * value): the draws depend only on the stream and the means, in order.
 */
export function fillPoissonPerValue<T extends Float32Array | Float64Array>(values: Float32Array | Float64Array, scale: number, out: T, random: RandomStream, cap = Infinity): T {
  const words = new Uint32Array(Math.min(WORDS_PER_BLOCK, 8 * values.length + 8));
  let at = words.length;
  for (let i = 0; i < values.length; i++) {
    const mean = values[i]! * scale;
    if (!(mean > 0)) {
      out[i] = 0;
      continue;
    }
    if (mean < INVERSION_BELOW) {
      if (at + 2 > words.length) at = refill(random, words);
      const u = ((words[at]! >>> 5) * TWO_POW_26 + (words[at + 1]! >>> 6)) / TWO_POW_53;
      at += 2;
      // Walk the CDF from 0: P(k) = P(k − 1)·mean/k. Once P underflows to 0 the walk stops (a
      // rounding shortfall of the summed CDF below u can only happen there).
      let k = 0;
      let p = Math.exp(-mean);
      let cdf = p;
      while (u > cdf && p > 0 && k < cap) {
        k++;
        p *= mean * RECIPROCALS[k]!;
        cdf += p;
      }
      out[i] = k;
      continue;
    }
    // PTRS, as Hörmann writes it; the constants depend on the mean only.
    const slam = Math.sqrt(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      if (at + 4 > words.length) at = refill(random, words);
      const u = ((words[at]! >>> 5) * TWO_POW_26 + (words[at + 1]! >>> 6)) / TWO_POW_53 - 0.5;
      const v = ((words[at + 2]! >>> 5) * TWO_POW_26 + (words[at + 3]! >>> 6)) / TWO_POW_53;
      at += 4;
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if ((us >= 0.07 && v <= vr) || (k >= 0 && !(us < 0.013 && v > us) && acceptsPtrs(k, mean, a, b, us, v))) {
        out[i] = k < cap ? k : cap;
        break;
      }
    }
  }
  return out;
}

function refill(random: RandomStream, words: Uint32Array): number {
  random.fillUint32(words);
  return 0;
}

/** log k! for small k: PTRS's exact test needs it on about half the tries at the means shot noise has. */
const LOG_FACTORIALS = Float64Array.from({ length: 1024 }, (_, k) => logGamma(k + 1));

function logFactorial(k: number): number {
  return k < LOG_FACTORIALS.length ? LOG_FACTORIALS[k]! : logGamma(k + 1);
}

/** PTRS's exact acceptance test, outside the squeeze. */
function acceptsPtrs(k: number, mean: number, a: number, b: number, us: number, v: number): boolean {
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  return Math.log((v * invAlpha) / (a / (us * us) + b)) <= -mean + k * Math.log(mean) - logFactorial(k);
}
