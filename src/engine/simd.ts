/**
 * ssl-robust's SIMD engine: the inner loops of the corruptions and of the bulk random draws, as
 * a small WebAssembly module with 128-bit SIMD (four float32 lanes), and the same loops in plain
 * JavaScript for engines without wasm SIMD. It started with the blur family's filters, and those
 * still make up most of it.
 *
 * Why: on the 2-core machines the budgets are measured on, a scalar JavaScript multiply-add over
 * a Float32Array costs about 1–3 ns per element, so a 49-tap Gaussian over a 224×224×3 image takes
 * over 10 ms; the same loop in wasm SIMD takes about 0.1 ns per tap and element.
 *
 * The module is assembled here from a handful of opcodes (no build step, no binary blob): each
 * function is written in the folded style of the WebAssembly text format, one helper per
 * instruction. Both implementations round every operation to float32 in the same order (wasm
 * SIMD never fuses multiply-adds), so they give the same bits: results do not depend on which
 * one an engine runs, and the tests check that.
 *
 * Three scalar float64 kernels serve other corruptions' hot loops from the same module and
 * memory: bilinear resampling (elastic transform), alias-table Poisson draws (shot noise) and
 * the chamfer distance passes (spatter). Each computes what the JavaScript it replaces computes,
 * in float64, in the same order, so the bits are the same (test/engine/simd-kernels.test.ts).
 *
 * Five more serve the random draws (src/random) and the additive noises, on a second instance
 * with its own memory (drawEngine): xoshiro128** words, one generator or four in SIMD lanes,
 * the ziggurat's fast path four words at a time, and the clipped additions of gaussian and
 * speckle noise in float64 pairs. They too give the JavaScript's bits, so a seed means what it
 * meant before them.
 *
 * Every kernel works on byte addresses in one linear memory, handed out by an Arena.
 */

import { runXoshiro } from '../random/xoshiro.js';
import { addProportionalClipped as addProportionalClippedValues, addScaledClipped as addScaledClippedValues } from '../corruptions/shared/pixels.js';

/** The kernels, on byte addresses into the engine's memory. */
export interface SimdKernels {
  /**
   * For each row r in [0, rows): dst_r[i] = Σₜ weights[t]·src_t,r[i] for i in [0, n), where
   * dst_r = dst + r·dstStride and src_t,r = taps[t] + r·srcStride (byte addresses and strides),
   * accumulated in float32 in tap order. Works in blocks of 16 floats: each row writes up to 15
   * values past its end (the next row overwrites them) and reads up to 15 past each tap's range,
   * so every buffer needs slack (Arena.alloc gives 32 floats).
   */
  tapSum(dst: number, n: number, rows: number, dstStride: number, srcStride: number, taps: number, weights: number, count: number): void;
  /**
   * A symmetric kernel's sum with one multiplication per pair of taps, row by row as tapSum:
   * dst_r[i] = centreWeight·centre_r[i] + Σₜ weights[t]·(A_t,r[i] + B_t,r[i]), where A_t, B_t
   * are the byte addresses tapsA[t], tapsB[t].
   */
  tapPairs(
    dst: number, n: number, rows: number, dstStride: number, srcStride: number,
    centre: number, centreWeight: number, tapsA: number, tapsB: number, weights: number, count: number,
  ): void;
  /**
   * One clipped zoom added to dst (zoom blur). For each output row y, the source rows at byte
   * offsets rows0[y], rows1[y] from src are blended, t = a + fy·(b − a) with fy = fys[y], into the
   * row buffer tmp; each pixel p is interpolated from it, channel by channel,
   * g[p·C + c] = t[i0 + c] + fx·(t[i1 + c] − t[i0 + c]) with i0, i1 the byte offsets idx0[p],
   * idx1[p] and fx = fxs[p], into the row buffer `gathered`; and the row is added to dst row y.
   * (Interpolating into a buffer and adding whole rows keeps each pixel's 16-byte store from
   * being re-read, partly, by the next pixel's load: a store-forwarding stall per pixel.)
   */
  zoomAdd(
    dst: number, src: number, height: number, width: number, rowBytes: number, pixelBytes: number, groups: number,
    rows0: number, rows1: number, fys: number, idx0: number, idx1: number, fxs: number, tmp: number, gathered: number,
  ): void;
  /** v ← min(max(v·scale, 0), 1) for n values (blocks of 4). */
  scaleClamp(ptr: number, n: number, scale: number): void;
  /** v ← trunc(min(max(v·255, 0), 255)): numpy's np.uint8(v·255) for v in [0, 1] (blocks of 4). */
  quantize255(ptr: number, n: number): void;
  /**
   * Whether some of the n float32 values at ptr (n a multiple of 4) lies outside [+0, 1] or is
   * NaN (or is −0): nonzero if so. On the values' bits b, b | (bits of 1 − b) has its sign bit
   * set exactly then; the OR over all values is taken 4 lanes at a time (input validation).
   */
  outsideUnitRange(ptr: number, n: number): number;
  /**
   * Unbiased digits in [0, m) from 32-bit words: each word is cut into ⌊32/bits⌋ chunks of `bits`
   * bits, low bits first, and a chunk ≥ m is rejected. Writes up to `count` bytes at dst and
   * returns how many it wrote before the words ran out.
   */
  digits(dst: number, count: number, words: number, wordCount: number, m: number, bits: number): number;
  /**
   * The local pixel shuffle of glass blur, in the original's order: `iterations` passes, rows h
   * from height − δ down to δ + 1, columns w likewise; at each position, if coin < threshold
   * (threshold 256: always, and no coin is read), pixel (h, w) trades with (h + dy, w + dx),
   * where dx = offsets[2k] − δ and dy = offsets[2k + 1] − δ for the k-th position. With `copy`
   * 0 the two pixels swap; with 1, pixel (h, w) takes the other's value and the other keeps it
   * (what the original's `x[h, w], x[h', w'] = x[h', w'], x[h, w]` does to an H×W×3 array, whose
   * x[h, w] are views). Offsets and coins are bytes; pixels are `channels` float32 values.
   */
  glassSwaps(
    image: number, height: number, width: number, channels: number, delta: number, iterations: number,
    offsets: number, coins: number, threshold: number, copy: number,
  ): void;
  /**
   * Bilinear samples of a height × width × channels float32 image at src, at the `count` points
   * (row ys[p], column xs[p]; float64 arrays at ys, xs), written to dst (channels float32 values a
   * point), for every point whose four neighbours lie inside the image: with y0 = ⌊y⌋, x0 = ⌊x⌋,
   * fy = y − y0, fx = x − x0, the float64 sum (1−fy)(1−fx)·a + (1−fy)fx·b + fy(1−fx)·c + fy·fx·d
   * in that order, rounded to float32: the bits of shared/sampling.ts's JavaScript. The other
   * points (borders; NaN) get flag byte 1 at flags + p (0 for the rest) and no output, for the
   * caller's border rule; returns how many there are. Scalar code (float64 has no use for
   * four-lane float32 SIMD): the gain over JavaScript is code without type checks or bounds tests.
   */
  bilinear(dst: number, src: number, height: number, width: number, channels: number, ys: number, xs: number, count: number, flags: number): number;
  /**
   * The sampling loop of shared/poisson.ts's alias-table Poisson sampler (drawByTables; see there
   * for the method), the same draws from the same words, for values from..count−1: counts
   * min(k, cap) as float32 into out, for the means values[i]·scale (float32 values). The tables:
   * per grid point j, start[j], size[j], lo[j] (int32); per cell, keep (float64) and alias
   * (int32); stepCdf (float64, stepCount entries). Stream words (uint32) sit in 4096-word
   * blocks from `words` on, `filled` of them so far; the word at index a is read at words + 4a.
   * A pair of words never straddles two blocks (the last word of a block is skipped), as
   * drawByTables refills its 4096-word buffer. The index of the next word is read from and written
   * back to the int32 at `state`. Returns the value it stopped at: count when done, else the
   * first value whose words run past `filled` (nothing of it written, its first word's index at
   * `state`): fill the next block and call again from there.
   */
  poissonByTables(
    values: number, scale: number, out: number, from: number, count: number, words: number, filled: number, state: number, cap: number,
    start: number, size: number, lo: number, keep: number, alias: number, stepCdf: number, stepCount: number,
  ): number;
  /**
   * One pass of a 5×5 chamfer distance transform (steps 1, 1.4, 2.1969) over float32 distances
   * in rows of `stride` floats, padded by two rows and columns that hold a far value: `rows` rows
   * of `width` values, the first at byte address `first`, in the direction `sign` (+1: left to
   * right, rows downwards, reading the two rows above and the value before; −1: mirrored). Each
   * value becomes the least of itself and its eight causal neighbours plus their steps, computed
   * in float64 and stored as float32, as spatter.ts's JavaScript does.
   */
  chamferPass(first: number, rows: number, width: number, stride: number, sign: number): void;
  /**
   * `count` xoshiro128** words at dst, from the generator state (four 32-bit words) at `state`,
   * which is advanced past them: RandomStream.fillUint32's words (see saveState there).
   */
  xoshiroFill(dst: number, count: number, state: number): void;
  /**
   * Four xoshiro128** generators in step, one a SIMD lane: lane k writes laneLength words at
   * dst + 4·k·laneLength. Their states sit at `states` as four v128 (word w of every lane's
   * state in vector w) and are advanced. With lane k's state the stream's state jumped ahead by
   * k·laneLength words, the output is the stream's next 4·laneLength words in order.
   */
  xoshiroLanes(dst: number, laneLength: number, states: number): void;
  /**
   * The ziggurat's fast path (random/ziggurat.ts) over `count` 32-bit words: for word u at
   * index i, layer = u & 127 and j = (u ^ 2³¹) >> 7; where |j| < knCeil[layer] (int32 table),
   * out[i] = j·wn[layer] (wn a float64 table), multiplied in float64 and rounded to float32;
   * otherwise i is appended to the int32 list at `slow` (in increasing order) and out[i] gets
   * the word's bits. Returns the list's length. out may be words itself.
   */
  zigguratFast(out: number, words: number, count: number, knCeil: number, wn: number, slow: number): number;
  /** values ← clip(base + scale·values) to [0, 1], in place: shared/pixels.ts's addScaledClipped, bit for bit (blocks of 4). */
  addScaledClipped(values: number, base: number, count: number, scale: number): void;
  /** values ← clip(x + x·scale·values) to [0, 1] with x = base, in place: pixels.ts's addProportionalClipped (blocks of 4). */
  addProportionalClipped(values: number, base: number, count: number, scale: number): void;
}

// ---------------------------------------------------------------------------------------------
// A tiny WebAssembly assembler: just the instructions the kernels use.

type Code = number[];

function uleb(value: number): Code {
  const out: Code = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): Code {
  const out: Code = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const vec = (items: readonly Code[]): Code => [...uleb(items.length), ...items.flat()];
const name = (text: string): Code => vec([...text].map((ch) => [ch.charCodeAt(0)]));
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];

const TYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;
type ValueType = keyof typeof TYPE;

const seq = (...parts: Code[]): Code => parts.flat();
const get = (local: number): Code => [0x20, ...uleb(local)];
const set = (local: number, value: Code): Code => [...value, 0x21, ...uleb(local)];
const i32 = (value: number): Code => [0x41, ...sleb(value)];
const binary = (opcode: Code) => (a: Code, b: Code): Code => [...a, ...b, ...opcode];
const add = binary([0x6a]);
const sub = binary([0x6b]);
const mul = binary([0x6c]);
const and = binary([0x71]);
const shl = binary([0x74]);
const shrU = binary([0x76]);
const ltU = binary([0x49]);
const gtS = binary([0x4a]);
const geU = binary([0x4f]);
const loadI32 = (address: Code): Code => [...address, 0x28, 2, 0];
const storeI32 = (address: Code, value: Code): Code => [...address, ...value, 0x36, 2, 0];
const eqz = (a: Code): Code => [...a, 0x45];
const loadU8 = (address: Code): Code => [...address, 0x2d, 0, 0];
const storeU8 = (address: Code, value: Code): Code => [...address, ...value, 0x3a, 0, 0];
const loadF32 = (address: Code, offset = 0): Code => [...address, 0x2a, 2, ...uleb(offset)];
const storeF32 = (address: Code, value: Code, offset = 0): Code => [...address, ...value, 0x38, 2, ...uleb(offset)];
const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
const vload = (address: Code, offset = 0): Code => [...address, ...simd(0x00), 0, ...uleb(offset)];
const vstore = (address: Code, value: Code, offset = 0): Code => [...address, ...value, ...simd(0x0b), 0, ...uleb(offset)];
const vzero: Code = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const splat = (value: Code): Code => [...value, ...simd(0x13)];
const vtrunc = (a: Code): Code => [...a, ...simd(0x69)];
const fadd = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe4)];
const fsub = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe5)];
const fmul = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe6)];
const fmin = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe8)];
const fmax = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xe9)];
const ifThen = (condition: Code, ...body: Code[]): Code => [...condition, 0x04, 0x40, ...body.flat(), 0x0b];
const ifElse = (condition: Code, then: readonly Code[], otherwise: readonly Code[]): Code => [
  ...condition, 0x04, 0x40, ...then.flat(), 0x05, ...otherwise.flat(), 0x0b,
];
/** (if (result f64) condition then a else b): a float64 value chosen by a branch. */
const ifElseValue = (condition: Code, a: Code, b: Code): Code => [...condition, 0x04, TYPE.f64, ...a, 0x05, ...b, 0x0b];
const f32 = (value: number): Code => [0x43, ...new Uint8Array(Float32Array.of(value).buffer)];
const ret = (value: Code): Code => [...value, 0x0f];

/** while (condition) { body }: a block around a loop; br 0 in the body would restart it. */
const whileLoop = (condition: Code, ...body: Code[]): Code => [
  0x02, 0x40, 0x03, 0x40, ...condition, 0x45 /* i32.eqz */, 0x0d, 1, ...body.flat(), 0x0c, 0, 0x0b, 0x0b,
];

interface FunctionDef {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly result?: ValueType;
  readonly locals: readonly ValueType[];
  readonly body: Code;
}

/** Builds a function: params first, then locals, numbered in order, as wasm does. */
function defineFunction(
  fnName: string,
  params: readonly ValueType[],
  locals: readonly ValueType[],
  build: (...indices: number[]) => Code,
  result?: ValueType,
): FunctionDef {
  const indices = [...params, ...locals].map((_, i) => i);
  return { name: fnName, params, locals, body: build(...indices), ...(result ? { result } : {}) };
}

function assemble(functions: readonly FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [TYPE[p]])), ...vec(f.result ? [[TYPE[f.result]]] : [])]);
  const codes = functions.map((f) => {
    const body = [...vec(f.locals.map((l) => [1, TYPE[l]])), ...f.body, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    // (import "env" "memory" (memory 1))
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The kernels in wasm.

/** The accumulators of tapSum and tapPairs: 16 floats of output per pass over the taps. */
const accumulate = (a: readonly number[], value: (offset: number) => Code): Code =>
  seq(...a.map((acc, k) => set(acc, fadd(get(acc), value(16 * k)))));
const storeBlock = (address: Code, a: readonly number[]): Code => seq(...a.map((acc, k) => vstore(address, get(acc), 16 * k)));

const tapSumFn = defineFunction(
  'tapSum',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'v128', 'v128', 'v128', 'v128'],
  (dst, n, rows, dstStride, srcStride, taps, weights, count, r, shift, i, end, t, p, a0, a1, a2, a3, w) => {
    const acc = [a0, a1, a2, a3];
    return seq(
      set(end, shl(get(n), i32(2))),
      whileLoop(
        ltU(get(r), get(rows)),
        set(shift, mul(get(r), get(srcStride))),
        set(i, i32(0)),
        whileLoop(
          ltU(get(i), get(end)),
          ...acc.map((a) => set(a, vzero)),
          set(t, i32(0)),
          whileLoop(
            ltU(get(t), get(count)),
            set(p, add(add(loadI32(add(get(taps), shl(get(t), i32(2)))), get(shift)), get(i))),
            set(w, splat(loadF32(add(get(weights), shl(get(t), i32(2)))))),
            accumulate(acc, (offset) => fmul(get(w), vload(get(p), offset))),
            set(t, add(get(t), i32(1))),
          ),
          storeBlock(add(get(dst), get(i)), acc),
          set(i, add(get(i), i32(64))),
        ),
        set(dst, add(get(dst), get(dstStride))),
        set(r, add(get(r), i32(1))),
      ),
    );
  },
);

const tapPairsFn = defineFunction(
  'tapPairs',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'v128', 'v128', 'v128', 'v128', 'v128'],
  (dst, n, rows, dstStride, srcStride, centre, centreWeight, tapsA, tapsB, weights, count, r, shift, i, end, t, p, q, a0, a1, a2, a3, w, cw) => {
    const acc = [a0, a1, a2, a3];
    return seq(
      set(end, shl(get(n), i32(2))),
      set(cw, splat(get(centreWeight))),
      whileLoop(
        ltU(get(r), get(rows)),
        set(shift, mul(get(r), get(srcStride))),
        set(i, i32(0)),
        whileLoop(
          ltU(get(i), get(end)),
          set(p, add(add(get(centre), get(shift)), get(i))),
          ...acc.map((a, k) => set(a, fmul(get(cw), vload(get(p), 16 * k)))),
          set(t, i32(0)),
          whileLoop(
            ltU(get(t), get(count)),
            set(p, add(add(loadI32(add(get(tapsA), shl(get(t), i32(2)))), get(shift)), get(i))),
            set(q, add(add(loadI32(add(get(tapsB), shl(get(t), i32(2)))), get(shift)), get(i))),
            set(w, splat(loadF32(add(get(weights), shl(get(t), i32(2)))))),
            accumulate(acc, (offset) => fmul(get(w), fadd(vload(get(p), offset), vload(get(q), offset)))),
            set(t, add(get(t), i32(1))),
          ),
          storeBlock(add(get(dst), get(i)), acc),
          set(i, add(get(i), i32(64))),
        ),
        set(dst, add(get(dst), get(dstStride))),
        set(r, add(get(r), i32(1))),
      ),
    );
  },
);

const scalar = {
  add: binary([0x92]),
  sub: binary([0x93]),
  mul: binary([0x94]),
};

/** float64 scalar instructions (the bilinear kernel's arithmetic is JavaScript's: float64). */
const f64 = {
  add: binary([0xa0]),
  sub: binary([0xa1]),
  mul: binary([0xa2]),
  lt: binary([0x63]),
  ge: binary([0x66]),
  floor: (a: Code): Code => [...a, 0x9c],
  load: (address: Code): Code => [...address, 0x2b, 3, 0],
  const: (value: number): Code => [0x44, ...new Uint8Array(Float64Array.of(value).buffer)],
  fromI32: (a: Code): Code => [...a, 0xb7],
  toI32: (a: Code): Code => [...a, 0xaa],
  fromF32: (a: Code): Code => [...a, 0xbb],
  toF32: (a: Code): Code => [...a, 0xb6],
};

const i32ops = {
  eq: binary([0x46]),
  ne: binary([0x47]),
  or: binary([0x72]),
  /** a if condition else b */
  select: (a: Code, b: Code, condition: Code): Code => [...a, ...b, ...condition, 0x1b],
};
const f64gt = binary([0x64]);
const f64FromU32 = (a: Code): Code => [...a, 0xb8];
const f64LoadAt = (base: Code, index: Code): Code => f64.load(add(base, shl(index, i32(3))));
const i32LoadAt = (base: Code, index: Code): Code => loadI32(add(base, shl(index, i32(2))));

const poissonByTablesFn = defineFunction(
  'poissonByTables',
  ['i32', 'f64', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64'],
  (values, scale, out, i, count, words, filled, state, cap, start, size, lo, keep, alias, stepCdf, stepCount, at, j, c, k, events, e, cellIndex, mean, x, cell, u, share) => {
    const word = (index: Code): Code => f64FromU32(i32LoadAt(get(words), index));
    // Stop at value i, its words not all there: the caller fills a block and calls again.
    const stopUnless = (condition: Code): Code => ifThen(eqz(condition), storeI32(get(state), get(at)), ret(get(i)));
    return seq(
      set(at, loadI32(get(state))),
      whileLoop(
        ltU(get(i), get(count)),
        set(mean, f64.mul(f64.fromF32(loadF32(add(get(values), shl(get(i), i32(2))))), get(scale))),
        ifElse(
          eqz(f64gt(get(mean), f64.const(0))),
          [storeF32(add(get(out), shl(get(i), i32(2))), f32(0))],
          [
            set(j, f64.toI32(f64.floor(f64.mul(get(mean), f64.const(4))))),
            // e: the word index this value reads from (its pair skips a block's last word).
            set(e, add(get(at), i32ops.eq(and(get(at), i32(4095)), i32(4095)))),
            stopUnless(ltU(add(get(e), i32(1)), get(filled))),
            set(x, f64.mul(f64.mul(word(get(e)), f64.const(2 ** -32)), f64.fromI32(i32LoadAt(get(size), get(j))))),
            set(u, word(add(get(e), i32(1)))),
            set(e, add(get(e), i32(2))),
            set(cell, f64.floor(get(x))),
            set(cellIndex, f64.toI32(get(cell))),
            set(c, add(i32LoadAt(get(start), get(j)), get(cellIndex))),
            set(
              k,
              add(
                i32LoadAt(get(lo), get(j)),
                i32ops.select(get(cellIndex), i32LoadAt(get(alias), get(c)), f64.lt(f64.sub(get(x), get(cell)), f64LoadAt(get(keep), get(c)))),
              ),
            ),
            ifThen(
              f64.ge(get(u), f64LoadAt(get(stepCdf), i32(0))),
              set(events, i32(1)),
              whileLoop(
                and(ltU(get(events), get(stepCount)), f64.ge(get(u), f64LoadAt(get(stepCdf), get(events)))),
                set(events, add(get(events), i32(1))),
              ),
              set(share, f64.mul(f64.mul(f64.sub(get(mean), f64.mul(f64.fromI32(get(j)), f64.const(0.25))), f64.const(4)), f64.const(2 ** 32))),
              whileLoop(
                get(events),
                stopUnless(ltU(get(e), get(filled))),
                set(k, add(get(k), f64.lt(word(get(e)), get(share)))),
                set(e, add(get(e), i32(1))),
                set(events, sub(get(events), i32(1))),
              ),
            ),
            storeF32(
              add(get(out), shl(get(i), i32(2))),
              f64.toF32(ifElseValue(f64.lt(f64.fromI32(get(k)), get(cap)), f64.fromI32(get(k)), get(cap))),
            ),
            set(at, get(e)),
          ],
        ),
        set(i, add(get(i), i32(1))),
      ),
      storeI32(get(state), get(at)),
      get(count),
    );
  },
  'i32',
);

/**
 * The chamfer's minima on the float64 bits as int64: for the non-negative values it compares,
 * the order of the bits is the order of the values, and a select of integers compiles to a
 * conditional move, where float64 min compiles to branches that the distances, close to one
 * another near edges, mispredict (measured: 3× the time of a pass).
 */
const bitsOf = (a: Code): Code => [...a, 0xbd];
const fromBits = (a: Code): Code => [...a, 0xbf];
const i64LtS = binary([0x53]);

const chamferPassFn = defineFunction(
  'chamferPass',
  ['i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i64', 'i64', 'i64', 'i64', 'i64', 'i64', 'i64'],
  (first, rows, width, stride, sign, step, rowStep, r, p, end, c0, c1, c2, c3, c4, c5, c6, c7, c8) => {
    // The neighbour rowsBack rows and columnsBack columns before p in the pass's order, plus its step, as bits.
    const candidate = (rowsBack: number, columnsBack: number, distance: number): Code =>
      bitsOf(f64.add(f64.fromF32(loadF32(sub(get(p), add(mul(get(rowStep), i32(rowsBack)), mul(get(step), i32(columnsBack)))))), f64.const(distance)));
    const keepLess = (a: number, b: number): Code => set(a, i32ops.select(get(a), get(b), i64LtS(get(a), get(b))));
    return seq(
      set(step, mul(get(sign), i32(4))),
      set(rowStep, mul(get(step), get(stride))),
      whileLoop(
        ltU(get(r), get(rows)),
        set(p, add(get(first), mul(get(r), get(rowStep)))),
        set(end, add(get(p), mul(get(width), get(step)))),
        whileLoop(
          // p ≠ end (p runs either way)
          i32ops.ne(get(p), get(end)),
          set(c0, bitsOf(f64.fromF32(loadF32(get(p))))),
          set(c1, candidate(1, 0, 1)),
          set(c2, candidate(1, 1, 1.4)),
          set(c3, candidate(1, -1, 1.4)),
          set(c4, candidate(1, 2, 2.1969)),
          set(c5, candidate(1, -2, 2.1969)),
          set(c6, candidate(2, 1, 2.1969)),
          set(c7, candidate(2, -1, 2.1969)),
          keepLess(c0, c1),
          keepLess(c2, c3),
          keepLess(c4, c5),
          keepLess(c6, c7),
          keepLess(c0, c2),
          keepLess(c4, c6),
          keepLess(c0, c4),
          // The value just before p, written by the previous step, last: the only dependency
          // from one pixel to the next.
          set(c8, candidate(0, 1, 1)),
          keepLess(c0, c8),
          storeF32(get(p), f64.toF32(fromBits(get(c0)))),
          set(p, add(get(p), get(step))),
        ),
        set(r, add(get(r), i32(1))),
      ),
    );
  },
);

const bilinearFn = defineFunction(
  'bilinear',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64', 'f64'],
  (dst, src, height, width, channels, ys, xs, count, flags, p, pixelBytes, rowBytes, q, c, flagged, end, y, x, y0, x0, fy, fx, gy, gx, w00, w01, w10, w11, lastRow, lastColumn) => {
    // One channel value: the four neighbours at byte offset c of q, weighted, in float64.
    const corner = (offset: Code): Code => f64.fromF32(loadF32(add(add(get(q), get(c)), offset)));
    return seq(
      set(pixelBytes, shl(get(channels), i32(2))),
      set(rowBytes, mul(get(width), get(pixelBytes))),
      set(lastRow, f64.fromI32(sub(get(height), i32(1)))),
      set(lastColumn, f64.fromI32(sub(get(width), i32(1)))),
      set(end, add(get(ys), shl(get(count), i32(3)))),
      whileLoop(
        ltU(get(ys), get(end)),
        set(y, f64.load(get(ys))),
        set(x, f64.load(get(xs))),
        set(y0, f64.floor(get(y))),
        set(x0, f64.floor(get(x))),
        ifElse(
          and(and(f64.ge(get(y0), f64.const(0)), f64.lt(get(y0), get(lastRow))), and(f64.ge(get(x0), f64.const(0)), f64.lt(get(x0), get(lastColumn)))),
          [
            storeU8(add(get(flags), get(p)), i32(0)),
            set(fy, f64.sub(get(y), get(y0))),
            set(fx, f64.sub(get(x), get(x0))),
            set(gy, f64.sub(f64.const(1), get(fy))),
            set(gx, f64.sub(f64.const(1), get(fx))),
            set(w00, f64.mul(get(gy), get(gx))),
            set(w01, f64.mul(get(gy), get(fx))),
            set(w10, f64.mul(get(fy), get(gx))),
            set(w11, f64.mul(get(fy), get(fx))),
            set(q, add(get(src), mul(add(mul(f64.toI32(get(y0)), get(width)), f64.toI32(get(x0))), get(pixelBytes)))),
            set(c, i32(0)),
            whileLoop(
              ltU(get(c), get(pixelBytes)),
              storeF32(
                add(get(dst), get(c)),
                f64.toF32(
                  f64.add(
                    f64.add(
                      f64.add(f64.mul(get(w00), corner(i32(0))), f64.mul(get(w01), corner(get(pixelBytes)))),
                      f64.mul(get(w10), corner(get(rowBytes))),
                    ),
                    f64.mul(get(w11), corner(add(get(rowBytes), get(pixelBytes)))),
                  ),
                ),
              ),
              set(c, add(get(c), i32(4))),
            ),
          ],
          [storeU8(add(get(flags), get(p)), i32(1)), set(flagged, add(get(flagged), i32(1)))],
        ),
        set(dst, add(get(dst), get(pixelBytes))),
        set(ys, add(get(ys), i32(8))),
        set(xs, add(get(xs), i32(8))),
        set(p, add(get(p), i32(1))),
      ),
      get(flagged),
    );
  },
  'i32',
);

const zoomAddFn = defineFunction(
  'zoomAdd',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'v128', 'f32', 'f32'],
  (dst, src, height, width, rowBytes, pixelBytes, groups, rows0, rows1, fys, idx0, idx1, fxs, tmp, gathered, y, a, b, i, p, o0, o1, q, g, gEnd, f, lo, fs, los) =>
    seq(
      set(gEnd, shl(get(groups), i32(4))),
      whileLoop(
        ltU(get(y), get(height)),
        // tmp = row a + fy·(row b − row a)
        set(a, add(get(src), loadI32(add(get(rows0), shl(get(y), i32(2)))))),
        set(b, add(get(src), loadI32(add(get(rows1), shl(get(y), i32(2)))))),
        set(f, splat(loadF32(add(get(fys), shl(get(y), i32(2)))))),
        set(i, i32(0)),
        whileLoop(
          ltU(get(i), get(rowBytes)),
          set(lo, vload(add(get(a), get(i)))),
          vstore(add(get(tmp), get(i)), fadd(get(lo), fmul(get(f), fsub(vload(add(get(b), get(i))), get(lo))))),
          set(i, add(get(i), i32(16))),
        ),
        // gathered[p] = tmp[i0] + fx·(tmp[i1] − tmp[i0]), pixel by pixel in increasing order: a
        // 16-byte store's lanes past the pixel are overwritten by the next pixel's.
        set(q, get(gathered)),
        set(p, i32(0)),
        whileLoop(
          ltU(get(p), get(width)),
          set(o0, add(get(tmp), loadI32(add(get(idx0), shl(get(p), i32(2)))))),
          set(o1, add(get(tmp), loadI32(add(get(idx1), shl(get(p), i32(2)))))),
          set(fs, loadF32(add(get(fxs), shl(get(p), i32(2))))),
          ifElse(
            ltU(get(pixelBytes), i32(8)),
            [
              // one channel: a scalar (a 16-byte store would cost 4× the work)
              set(los, loadF32(get(o0))),
              storeF32(get(q), scalar.add(get(los), scalar.mul(get(fs), scalar.sub(loadF32(get(o1)), get(los))))),
            ],
            [
              set(f, splat(get(fs))),
              set(g, i32(0)),
              whileLoop(
                ltU(get(g), get(gEnd)),
                set(lo, vload(add(get(o0), get(g)))),
                vstore(add(get(q), get(g)), fadd(get(lo), fmul(get(f), fsub(vload(add(get(o1), get(g))), get(lo))))),
                set(g, add(get(g), i32(16))),
              ),
            ],
          ),
          set(q, add(get(q), get(pixelBytes))),
          set(p, add(get(p), i32(1))),
        ),
        // zero the lanes past the row, then dst row y += gathered
        vstore(add(get(gathered), get(rowBytes)), vzero),
        set(q, add(get(dst), mul(get(y), get(rowBytes)))),
        set(i, i32(0)),
        whileLoop(
          ltU(get(i), get(rowBytes)),
          vstore(add(get(q), get(i)), fadd(vload(add(get(q), get(i))), vload(add(get(gathered), get(i))))),
          set(i, add(get(i), i32(16))),
        ),
        set(y, add(get(y), i32(1))),
      ),
    ),
);

const scaleClampFn = defineFunction(
  'scaleClamp',
  ['i32', 'i32', 'f32'],
  ['i32', 'v128', 'v128', 'v128'],
  (ptr, n, scale, end, s, zero, one) =>
    seq(
      set(s, splat(get(scale))),
      set(zero, vzero),
      set(one, splat(f32(1))),
      set(end, add(get(ptr), shl(get(n), i32(2)))),
      whileLoop(
        ltU(get(ptr), get(end)),
        vstore(get(ptr), fmin(fmax(fmul(vload(get(ptr)), get(s)), get(zero)), get(one))),
        set(ptr, add(get(ptr), i32(16))),
      ),
    ),
);

const quantizeFn = defineFunction(
  'quantize255',
  ['i32', 'i32'],
  ['i32', 'v128', 'v128'],
  (ptr, n, end, s, zero) =>
    seq(
      set(s, splat(f32(255))),
      set(zero, vzero),
      set(end, add(get(ptr), shl(get(n), i32(2)))),
      whileLoop(
        ltU(get(ptr), get(end)),
        vstore(get(ptr), vtrunc(fmin(fmax(fmul(vload(get(ptr)), get(s)), get(zero)), get(s)))),
        set(ptr, add(get(ptr), i32(16))),
      ),
    ),
);

const orV = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x50)];
const subI32x4 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xb1)];
const splatI32 = (value: Code): Code => [...value, ...simd(0x11)];
const bitmaskI32x4 = (a: Code): Code => [...a, ...simd(0xa4)];

const outsideUnitRangeFn = defineFunction(
  'outsideUnitRange',
  ['i32', 'i32'],
  ['i32', 'v128', 'v128', 'v128'],
  (ptr, n, end, flags, one, v) =>
    seq(
      set(one, splatI32(i32(0x3f800000))),
      set(flags, vzero),
      set(end, add(get(ptr), shl(get(n), i32(2)))),
      whileLoop(
        ltU(get(ptr), get(end)),
        set(v, vload(get(ptr))),
        set(flags, orV(get(flags), orV(get(v), subI32x4(get(one), get(v))))),
        set(ptr, add(get(ptr), i32(16))),
      ),
      bitmaskI32x4(get(flags)),
    ),
  'i32',
);

const digitsFn = defineFunction(
  'digits',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  (dst, count, words, wordCount, m, bits, produced, used, buffer, left, mask, chunk) =>
    seq(
      set(mask, sub(shl(i32(1), get(bits)), i32(1))),
      whileLoop(
        ltU(get(produced), get(count)),
        ifThen(
          ltU(get(left), get(bits)),
          ifThen(geU(get(used), get(wordCount)), ret(get(produced))),
          set(buffer, loadI32(add(get(words), shl(get(used), i32(2))))),
          set(used, add(get(used), i32(1))),
          set(left, i32(32)),
        ),
        set(chunk, and(get(buffer), get(mask))),
        set(buffer, shrU(get(buffer), get(bits))),
        set(left, sub(get(left), get(bits))),
        // Branch-free rejection: always write, advance only when the chunk is a digit.
        storeU8(add(get(dst), get(produced)), get(chunk)),
        set(produced, add(get(produced), ltU(get(chunk), get(m)))),
      ),
      get(produced),
    ),
  'i32',
);

const glassSwapsFn = defineFunction(
  'glassSwaps',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  (image, height, width, channels, delta, iterations, offsets, coins, threshold, copy, it, h, w, k, p, q, c, tmp) =>
    seq(
      whileLoop(
        ltU(get(it), get(iterations)),
        set(h, sub(get(height), get(delta))),
        whileLoop(
          gtS(get(h), get(delta)),
          set(w, sub(get(width), get(delta))),
          whileLoop(
            gtS(get(w), get(delta)),
            // swap unless a coin is read and comes out ≥ threshold
            set(c, i32(1)),
            ifThen(ltU(get(threshold), i32(256)), set(c, ltU(loadU8(add(get(coins), get(k))), get(threshold)))),
            ifThen(
              get(c),
              // p = image + 4·C·(h·W + w); q = image + 4·C·((h + dy)·W + w + dx)
              set(p, add(get(image), shl(mul(add(mul(get(h), get(width)), get(w)), get(channels)), i32(2)))),
              set(
                q,
                add(
                  get(image),
                  shl(
                    mul(
                      add(
                        mul(add(get(h), sub(loadU8(add(add(get(offsets), shl(get(k), i32(1))), i32(1))), get(delta))), get(width)),
                        add(get(w), sub(loadU8(add(get(offsets), shl(get(k), i32(1)))), get(delta))),
                      ),
                      get(channels),
                    ),
                    i32(2),
                  ),
                ),
              ),
              set(c, i32(0)),
              whileLoop(
                ltU(get(c), get(channels)),
                // i32 loads and stores move the floats' bits unchanged
                set(tmp, loadI32(add(get(p), shl(get(c), i32(2))))),
                storeI32(add(get(p), shl(get(c), i32(2))), loadI32(add(get(q), shl(get(c), i32(2))))),
                ifThen(eqz(get(copy)), storeI32(add(get(q), shl(get(c), i32(2))), get(tmp))),
                set(c, add(get(c), i32(1))),
              ),
            ),
            set(k, add(get(k), i32(1))),
            set(w, sub(get(w), i32(1))),
          ),
          set(h, sub(get(h), i32(1))),
        ),
        set(it, add(get(it), i32(1))),
      ),
    ),
);

// ---------------------------------------------------------------------------------------------
// Random draws and additive noise (src/random, the noise corruptions): the same bits as the
// JavaScript loops they stand in for (RandomStream.fillUint32, the ziggurat's fast path,
// shared/pixels.ts's clipped additions).

const xor = binary([0x73]);
const rotl = binary([0x77]);
const shrS = binary([0x75]);
const ltS = binary([0x48]);

const xoshiroFillFn = defineFunction(
  'xoshiroFill',
  ['i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  (dst, count, state, end, s0, s1, s2, s3, t) =>
    seq(
      set(s0, loadI32(get(state))),
      set(s1, loadI32(add(get(state), i32(4)))),
      set(s2, loadI32(add(get(state), i32(8)))),
      set(s3, loadI32(add(get(state), i32(12)))),
      set(end, add(get(dst), shl(get(count), i32(2)))),
      whileLoop(
        ltU(get(dst), get(end)),
        // xoshiro128**: rotl(s1·5, 7)·9, then the state's xorshift step
        storeI32(get(dst), mul(rotl(mul(get(s1), i32(5)), i32(7)), i32(9))),
        set(t, shl(get(s1), i32(9))),
        set(s2, xor(get(s2), get(s0))),
        set(s3, xor(get(s3), get(s1))),
        set(s1, xor(get(s1), get(s2))),
        set(s0, xor(get(s0), get(s3))),
        set(s2, xor(get(s2), get(t))),
        set(s3, rotl(get(s3), i32(11))),
        set(dst, add(get(dst), i32(4))),
      ),
      storeI32(get(state), get(s0)),
      storeI32(add(get(state), i32(4)), get(s1)),
      storeI32(add(get(state), i32(8)), get(s2)),
      storeI32(add(get(state), i32(12)), get(s3)),
    ),
);

const mulI32x4 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xb5)];
const shlI32x4 = (a: Code, shift: number): Code => [...a, ...i32(shift), ...simd(0xab)];
const shrUI32x4 = (a: Code, shift: number): Code => [...a, ...i32(shift), ...simd(0xad)];
const xorV = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x51)];
const rotlI32x4 = (a: Code, k: number): Code => orV(shlI32x4(a, k), shrUI32x4(a, 32 - k));
/** Stores lane `lane` of a v128 (32 bits) at address. */
const storeLane32 = (address: Code, value: Code, lane: number): Code => [...address, ...value, ...simd(0x5a), 2, 0, lane];

const xoshiroLanesFn = defineFunction(
  'xoshiroLanes',
  ['i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'v128', 'v128', 'v128', 'v128', 'v128'],
  (dst, laneLength, states, stride, p1, p2, p3, end, s0, s1, s2, s3, t, out) =>
    seq(
      set(s0, vload(get(states))),
      set(s1, vload(get(states), 16)),
      set(s2, vload(get(states), 32)),
      set(s3, vload(get(states), 48)),
      set(stride, shl(get(laneLength), i32(2))),
      set(end, add(get(dst), get(stride))),
      whileLoop(
        ltU(get(dst), get(end)),
        // four generators in step, each one's word to its own quarter of the output
        set(out, mulI32x4(rotlI32x4(mulI32x4(get(s1), splatI32(i32(5))), 7), splatI32(i32(9)))),
        set(p1, add(get(dst), get(stride))),
        set(p2, add(get(p1), get(stride))),
        set(p3, add(get(p2), get(stride))),
        storeLane32(get(dst), get(out), 0),
        storeLane32(get(p1), get(out), 1),
        storeLane32(get(p2), get(out), 2),
        storeLane32(get(p3), get(out), 3),
        set(t, shlI32x4(get(s1), 9)),
        set(s2, xorV(get(s2), get(s0))),
        set(s3, xorV(get(s3), get(s1))),
        set(s1, xorV(get(s1), get(s2))),
        set(s0, xorV(get(s0), get(s3))),
        set(s2, xorV(get(s2), get(t))),
        set(s3, rotlI32x4(get(s3), 11)),
        set(dst, add(get(dst), i32(4))),
      ),
      vstore(get(states), get(s0)),
      vstore(get(states), get(s1), 16),
      vstore(get(states), get(s2), 32),
      vstore(get(states), get(s3), 48),
    ),
);


/** Four-lane and two-lane SIMD helpers for the clipped additions (float64 arithmetic, float32 storage). */
const shuffle = (a: Code, b: Code, lanes: readonly number[]): Code => [...a, ...b, ...simd(0x0d), ...lanes];
const range = (from: number, count: number) => Array.from({ length: count }, (_, k) => from + k);
/** The upper two float32 lanes moved down (for promote_low). */
const highHalf = (a: Code): Code => shuffle(a, a, [...range(8, 8), ...range(0, 8)]);
const promoteLow = (a: Code): Code => [...a, ...simd(0x5f)];
const demoteZero = (a: Code): Code => [...a, ...simd(0x5e)];
const splatF64 = (a: Code): Code => [...a, ...simd(0x14)];
const addF64x2 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf0)];
const mulF64x2 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xf2)];
const eqF64x2 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x47)];
const shrSI32x4 = (a: Code, shift: Code): Code => [...a, ...shift, ...simd(0xac)];
const minSI32x4 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0xb6)];
const andNotV = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x4f)];
/** a where mask's bits are set, else b */
const bitselect = (a: Code, b: Code, mask: Code): Code => [...a, ...b, ...mask, ...simd(0x52)];

/**
 * values ← clip(base + scale·values) (or clip(x + x·scale·values) with x = base, `proportional`)
 * to [0, 1], four values at a time in two float64 pairs, as shared/pixels.ts computes it: the
 * float64 sum rounded to float32, clipped on its bits (negatives and −0 to +0, above 1 to 1, by
 * a signed integer minimum), except that a sum of exactly ±0 keeps its bits.
 */
const clippedAdditionFn = (fnName: string, proportional: boolean) =>
  defineFunction(
    fnName,
    ['i32', 'i32', 'i32', 'f64'],
    ['i32', 'v128', 'v128', 'v128', 'v128', 'v128', 'v128', 'v128', 'v128'],
    (values, base, count, scale, end, s, one, zeros, x, lo, hi, r, xHalf) => {
      const sum = (b: Code, v: Code): Code => addF64x2(b, mulF64x2(proportional ? mulF64x2(b, get(s)) : get(s), v));
      return seq(
        set(s, splatF64(get(scale))),
        set(one, splatI32(i32(0x3f800000))),
        set(zeros, vzero),
        set(end, add(get(values), shl(get(count), i32(2)))),
        whileLoop(
          ltU(get(values), get(end)),
          set(x, vload(get(base))),
          set(xHalf, promoteLow(get(x))),
          set(lo, sum(get(xHalf), promoteLow(vload(get(values))))),
          set(xHalf, promoteLow(highHalf(get(x)))),
          set(hi, sum(get(xHalf), promoteLow(highHalf(vload(get(values)))))),
          set(r, shuffle(demoteZero(get(lo)), demoteZero(get(hi)), [...range(0, 8), ...range(16, 8)])),
          vstore(
            get(values),
            bitselect(
              get(r),
              minSI32x4(andNotV(get(r), shrSI32x4(get(r), i32(31))), get(one)),
              // the low half of each pair's 64-bit equality mask
              shuffle(eqF64x2(get(lo), get(zeros)), eqF64x2(get(hi), get(zeros)), [...range(0, 4), ...range(8, 4), ...range(16, 4), ...range(24, 4)]),
            ),
          ),
          set(values, add(get(values), i32(16))),
          set(base, add(get(base), i32(16))),
        ),
      );
    },
  );
const extractLane = (a: Code, lane: number): Code => [...a, ...simd(0x1b), lane];
/** a with lane `lane` loaded from address (32 or 64 bits) */
const loadLane32 = (address: Code, a: Code, lane: number): Code => [...address, ...a, ...simd(0x56), 2, 0, lane];
const loadLane64 = (address: Code, a: Code, lane: number): Code => [...address, ...a, ...simd(0x57), 3, 0, lane];
const absI32x4 = (a: Code): Code => [...a, ...simd(0xa0)];
const ltSI32x4 = (a: Code, b: Code): Code => [...a, ...b, ...simd(0x39)];
const allTrueI32x4 = (a: Code): Code => [...a, ...simd(0xa3)];
const convertLowI32x4 = (a: Code): Code => [...a, ...simd(0xfe)];

const zigguratFastFn = defineFunction(
  'zigguratFast',
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
  ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'v128', 'v128', 'v128', 'v128'],
  (out, words, count, knCeil, wn, slow, i, u, layer, j, sign, rejected, l0, l1, l2, l3, uv, jv, kept, values) => {
    const layers = [l0, l1, l2, l3];
    const wnOf = (a: number, b: number): Code => loadLane64(add(get(wn), shl(get(b), i32(3))), loadLane64(add(get(wn), shl(get(a), i32(3))), vzero, 0), 1);
    const reject = (index: Code): Code => seq(storeI32(add(get(slow), shl(get(rejected), i32(2))), index), set(rejected, add(get(rejected), i32(1))));
    return seq(
      // Four words at a time: the table lookups lane by lane, the rest in SIMD.
      whileLoop(
        ltU(add(get(i), i32(3)), get(count)),
        set(uv, vload(add(get(words), shl(get(i), i32(2))))),
        ...layers.map((l, lane) => set(l, and(extractLane(get(uv), lane), i32(127)))),
        set(jv, shrSI32x4(xorV(get(uv), splatI32(i32(-0x80000000))), i32(7))),
        set(kept, ltSI32x4(absI32x4(get(jv)), layers.reduce<Code>((v, l, lane) => loadLane32(add(get(knCeil), shl(get(l), i32(2))), v, lane), vzero))),
        set(
          values,
          shuffle(
            demoteZero(mulF64x2(convertLowI32x4(get(jv)), wnOf(l0, l1))),
            demoteZero(mulF64x2(convertLowI32x4(highHalf(get(jv))), wnOf(l2, l3))),
            [...range(0, 8), ...range(16, 8)],
          ),
        ),
        ifElse(
          allTrueI32x4(get(kept)),
          [vstore(add(get(out), shl(get(i), i32(2))), get(values))],
          [
            // rare (a rejection among four words ~4% of the time): the rejected keep their words
            vstore(add(get(out), shl(get(i), i32(2))), bitselect(get(values), get(uv), get(kept))),
            set(u, bitmaskI32x4(get(kept))),
            ...[0, 1, 2, 3].map((lane) => ifThen(eqz(and(get(u), i32(1 << lane))), reject(add(get(i), i32(lane))))),
          ],
        ),
        set(i, add(get(i), i32(4))),
      ),
      // the last count mod 4 words one at a time
      whileLoop(
        ltU(get(i), get(count)),
        set(u, loadI32(add(get(words), shl(get(i), i32(2))))),
        set(layer, and(get(u), i32(127))),
        set(j, shrS(xor(get(u), i32(-0x80000000)), i32(7))),
        set(sign, shrS(get(j), i32(31))),
        ifElse(
          ltS(sub(xor(get(j), get(sign)), get(sign)), i32LoadAt(get(knCeil), get(layer))),
          [storeF32(add(get(out), shl(get(i), i32(2))), f64.toF32(f64.mul(f64.fromI32(get(j)), f64LoadAt(get(wn), get(layer)))))],
          [storeI32(add(get(out), shl(get(i), i32(2))), get(u)), reject(get(i))],
        ),
        set(i, add(get(i), i32(1))),
      ),
      get(rejected),
    );
  },
  'i32',
);

const addScaledClippedFn = clippedAdditionFn('addScaledClipped', false);
const addProportionalClippedFn = clippedAdditionFn('addProportionalClipped', true);

/** The module's bytes (exported for tests and for engines that want to validate it). */
export const SIMD_WASM = assemble([
  tapSumFn, tapPairsFn, zoomAddFn, scaleClampFn, quantizeFn, digitsFn, glassSwapsFn, outsideUnitRangeFn, bilinearFn, poissonByTablesFn, chamferPassFn,
  xoshiroFillFn, xoshiroLanesFn, zigguratFastFn, addScaledClippedFn, addProportionalClippedFn,
]);

// ---------------------------------------------------------------------------------------------
// Memory: one growable buffer, handed out by a bump allocator that each operation resets.

/** Bytes of slack after every allocation: the SIMD loops overrun by up to 15 floats (60 bytes). */
const SLACK = 128;

export class Arena {
  private top = SLACK;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  constructor(
    private readonly memory: { buffer: ArrayBuffer; grow(bytes: number): void },
  ) {
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.u8View = new Uint8Array(memory.buffer);
  }

  /** Frees everything: the next operation starts again from the bottom. */
  reset(): void {
    this.top = SLACK;
  }

  /**
   * Space for `floats` 32-bit values, 16-byte aligned, followed by slack; returns its byte
   * address. May grow the memory, which invalidates earlier views: take views after allocating.
   */
  alloc(floats: number): number {
    const address = this.top;
    this.top = (address + floats * 4 + SLACK + 15) & ~15;
    if (this.top + SLACK > this.memory.buffer.byteLength) this.memory.grow(this.top + SLACK - this.memory.buffer.byteLength);
    return address;
  }

  /** The memory as float32 values (index = byte address / 4). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer) this.refresh();
    return this.f32View;
  }

  get i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer) this.refresh();
    return this.i32View;
  }

  get u8(): Uint8Array {
    if (this.u8View.buffer !== this.memory.buffer) this.refresh();
    return this.u8View;
  }

  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
    this.u8View = new Uint8Array(this.memory.buffer);
  }
}

/** A kernel implementation with the memory it works on. */
export interface SimdEngine {
  readonly kind: 'wasm-simd' | 'js';
  readonly kernels: SimdKernels;
  readonly arena: Arena;
}

const PAGE = 65536;

/** The part of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

function wasmEngine(): SimdEngine | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm || !wasm.validate(SIMD_WASM)) return undefined;
  const memory = new wasm.Memory({ initial: 16 });
  const instance = new wasm.Instance(new wasm.Module(SIMD_WASM), { env: { memory } });
  const kernels = instance.exports as SimdKernels;
  const arena = new Arena({
    get buffer() {
      return memory.buffer;
    },
    grow: (bytes) => memory.grow(Math.ceil(bytes / PAGE)),
  });
  return { kind: 'wasm-simd', kernels, arena };
}

/** A growable plain ArrayBuffer for the JavaScript kernels. */
class GrowableBuffer {
  buffer = new ArrayBuffer(16 * PAGE);
  grow(bytes: number): void {
    const next = new ArrayBuffer(this.buffer.byteLength + Math.ceil(bytes / PAGE) * PAGE);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
  }
}

const fround = Math.fround;

function jsEngine(): SimdEngine {
  const arena = new Arena(new GrowableBuffer());
  const kernels: SimdKernels = {
    tapSum(dst, n, rows, dstStride, srcStride, taps, weights, count) {
      const f = arena.f32;
      const ints = arena.i32;
      for (let r = 0; r < rows; r++) {
        const d = (dst + r * dstStride) >>> 2;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let t = 0; t < count; t++) acc = fround(acc + fround(f[(weights >>> 2) + t]! * f[((ints[(taps >>> 2) + t]! + r * srcStride) >>> 2) + i]!));
          f[d + i] = acc;
        }
      }
    },
    tapPairs(dst, n, rows, dstStride, srcStride, centre, centreWeight, tapsA, tapsB, weights, count) {
      const f = arena.f32;
      const ints = arena.i32;
      const cw = fround(centreWeight);
      for (let r = 0; r < rows; r++) {
        const d = (dst + r * dstStride) >>> 2;
        const shift = r * srcStride;
        for (let i = 0; i < n; i++) {
          let acc = fround(cw * f[((centre + shift) >>> 2) + i]!);
          for (let t = 0; t < count; t++) {
            const a = f[((ints[(tapsA >>> 2) + t]! + shift) >>> 2) + i]!;
            const b = f[((ints[(tapsB >>> 2) + t]! + shift) >>> 2) + i]!;
            acc = fround(acc + fround(f[(weights >>> 2) + t]! * fround(a + b)));
          }
          f[d + i] = acc;
        }
      }
    },
    zoomAdd(dst, src, height, width, rowBytes, pixelBytes, groups, rows0, rows1, fys, idx0, idx1, fxs, tmp, gathered) {
      const f = arena.f32;
      const ints = arena.i32;
      const rowFloats = rowBytes >>> 2;
      const channels = pixelBytes >>> 2;
      const t = tmp >>> 2;
      const g = gathered >>> 2;
      // The SIMD version adds whole blocks of 4: up to 3 zeros past the row.
      const addFloats = Math.ceil(rowFloats / 4) * 4;
      void groups;
      for (let y = 0; y < height; y++) {
        const a = (src + ints[(rows0 >>> 2) + y]!) >>> 2;
        const b = (src + ints[(rows1 >>> 2) + y]!) >>> 2;
        const fy = f[(fys >>> 2) + y]!;
        for (let i = 0; i < rowFloats; i++) f[t + i] = fround(f[a + i]! + fround(fy * fround(f[b + i]! - f[a + i]!)));
        for (let p = 0; p < width; p++) {
          const o0 = t + (ints[(idx0 >>> 2) + p]! >>> 2);
          const o1 = t + (ints[(idx1 >>> 2) + p]! >>> 2);
          const fx = f[(fxs >>> 2) + p]!;
          for (let c = 0; c < channels; c++) f[g + p * channels + c] = fround(f[o0 + c]! + fround(fx * fround(f[o1 + c]! - f[o0 + c]!)));
        }
        f.fill(0, g + rowFloats, g + addFloats);
        const d = (dst + y * rowBytes) >>> 2;
        for (let i = 0; i < addFloats; i++) f[d + i] = fround(f[d + i]! + f[g + i]!);
      }
    },
    scaleClamp(ptr, n, scale) {
      const f = arena.f32;
      const s = fround(scale);
      for (let i = ptr >>> 2, end = i + n; i < end; i++) f[i] = Math.min(Math.max(fround(f[i]! * s), 0), 1);
    },
    quantize255(ptr, n) {
      const f = arena.f32;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) f[i] = Math.trunc(Math.min(Math.max(fround(f[i]! * 255), 0), 255));
    },
    outsideUnitRange(ptr, n) {
      const ints = arena.i32;
      let flags = 0;
      for (let i = ptr >>> 2, end = i + n; i < end; i++) flags |= ints[i]! | (0x3f800000 - ints[i]!);
      return flags < 0 ? 1 : 0;
    },
    digits(dst, count, words, wordCount, m, bits) {
      const bytes = arena.u8;
      const ints = arena.i32;
      const mask = (1 << bits) - 1;
      let produced = 0;
      let used = 0;
      let buffer = 0;
      let left = 0;
      while (produced < count) {
        if (left < bits) {
          if (used >= wordCount) return produced;
          buffer = ints[(words >>> 2) + used]! >>> 0;
          used++;
          left = 32;
        }
        const chunk = buffer & mask;
        buffer >>>= bits;
        left -= bits;
        bytes[dst + produced] = chunk;
        if (chunk < m) produced++;
      }
      return produced;
    },
    glassSwaps(image, height, width, channels, delta, iterations, offsets, coins, threshold, copy) {
      const f = arena.f32;
      const bytes = arena.u8;
      const base = image >>> 2;
      let k = 0;
      for (let it = 0; it < iterations; it++) {
        for (let h = height - delta; h > delta; h--) {
          for (let w = width - delta; w > delta; w--, k++) {
            if (threshold < 256 && bytes[coins + k]! >= threshold) continue;
            const dx = bytes[offsets + 2 * k]! - delta;
            const dy = bytes[offsets + 2 * k + 1]! - delta;
            const p = base + (h * width + w) * channels;
            const q = base + ((h + dy) * width + w + dx) * channels;
            for (let c = 0; c < channels; c++) {
              const tmp = f[p + c]!;
              f[p + c] = f[q + c]!;
              if (!copy) f[q + c] = tmp;
            }
          }
        }
      }
    },
    bilinear(dst, src, height, width, channels, ys, xs, count, flags) {
      const f = arena.f32;
      const bytes = arena.u8;
      const positions = new Float64Array(f.buffer);
      const rowStride = width * channels;
      let flagged = 0;
      for (let p = 0; p < count; p++) {
        const y = positions[(ys >>> 3) + p]!;
        const x = positions[(xs >>> 3) + p]!;
        const y0 = Math.floor(y);
        const x0 = Math.floor(x);
        if (!(y0 >= 0 && y0 < height - 1 && x0 >= 0 && x0 < width - 1)) {
          bytes[flags + p] = 1;
          flagged++;
          continue;
        }
        bytes[flags + p] = 0;
        const fy = y - y0;
        const fx = x - x0;
        const w00 = (1 - fy) * (1 - fx);
        const w01 = (1 - fy) * fx;
        const w10 = fy * (1 - fx);
        const w11 = fy * fx;
        const i00 = (src >>> 2) + y0 * rowStride + x0 * channels;
        const o = (dst >>> 2) + p * channels;
        for (let c = 0; c < channels; c++) {
          const i = i00 + c;
          f[o + c] = w00 * f[i]! + w01 * f[i + channels]! + w10 * f[i + rowStride]! + w11 * f[i + rowStride + channels]!;
        }
      }
      return flagged;
    },
    poissonByTables(values, scale, out, from, count, words, filled, state, cap, start, size, lo, keep, alias, stepCdf, stepCount) {
      const f = arena.f32;
      const ints = arena.i32;
      const unsigned = new Uint32Array(f.buffer);
      const doubles = new Float64Array(f.buffer);
      const word = (index: number) => unsigned[(words >>> 2) + index]!;
      const cdf = (index: number) => doubles[(stepCdf >>> 3) + index]!;
      let at = ints[state >>> 2]!;
      for (let i = from; i < count; i++) {
        const mean = f[(values >>> 2) + i]! * scale;
        if (!(mean > 0)) {
          f[(out >>> 2) + i] = 0;
          continue;
        }
        const j = Math.floor(mean * 4);
        let e = (at & 4095) === 4095 ? at + 1 : at;
        if (e + 2 > filled) {
          ints[state >>> 2] = at;
          return i;
        }
        const x = word(e) * 2 ** -32 * ints[(size >>> 2) + j]!;
        const u = word(e + 1);
        e += 2;
        const cell = Math.floor(x);
        const c = ints[(start >>> 2) + j]! + cell;
        let k = ints[(lo >>> 2) + j]! + (x - cell < doubles[(keep >>> 3) + c]! ? cell : ints[(alias >>> 2) + c]!);
        if (u >= cdf(0)) {
          let events = 1;
          while (events < stepCount && u >= cdf(events)) events++;
          const share = (mean - j * 0.25) * 4 * 2 ** 32;
          for (; events > 0; events--, e++) {
            if (e + 1 > filled) {
              ints[state >>> 2] = at;
              return i;
            }
            if (word(e) < share) k++;
          }
        }
        f[(out >>> 2) + i] = k < cap ? k : cap;
        at = e;
      }
      ints[state >>> 2] = at;
      return count;
    },
    chamferPass(first, rows, width, stride, sign) {
      const f = arena.f32;
      const row = sign * stride;
      // Neighbours before p in the pass's order, with their steps.
      const offsets = [-sign, -row, -row - sign, -row + sign, -row - 2 * sign, -row + 2 * sign, -2 * row - sign, -2 * row + sign];
      const steps = [1, 1, 1.4, 1.4, 2.1969, 2.1969, 2.1969, 2.1969];
      for (let r = 0; r < rows; r++) {
        for (let x = 0, p = (first >>> 2) + r * row; x < width; x++, p += sign) {
          let best = f[p]!;
          for (let k = 0; k < 8; k++) best = Math.min(best, f[p + offsets[k]!]! + steps[k]!);
          f[p] = best;
        }
      }
    },
    xoshiroFill(dst, count, state) {
      runXoshiro(arena.i32, state >>> 2, 1, arena.i32, dst >>> 2, count);
    },
    xoshiroLanes(dst, laneLength, states) {
      // Lane k's state word w at states + 4·(4w + k) bytes; its words at dst + 4·k·laneLength.
      for (let lane = 0; lane < 4; lane++) runXoshiro(arena.i32, (states >>> 2) + lane, 4, arena.i32, (dst >>> 2) + lane * laneLength, laneLength);
    },
    zigguratFast(out, words, count, knCeil, wn, slow) {
      const f = arena.f32;
      const ints = arena.i32;
      const doubles = new Float64Array(f.buffer);
      let rejected = 0;
      for (let i = 0; i < count; i++) {
        const u = ints[(words >>> 2) + i]!;
        const layer = u & 127;
        const j = (u ^ 0x80000000) >> 7;
        if (Math.abs(j) < ints[(knCeil >>> 2) + layer]!) {
          f[(out >>> 2) + i] = j * doubles[(wn >>> 3) + layer]!;
        } else {
          ints[(out >>> 2) + i] = u;
          ints[(slow >>> 2) + rejected++] = i;
        }
      }
      return rejected;
    },
    addScaledClipped(values, base, count, scale) {
      const f = arena.f32;
      const n = Math.ceil(count / 4) * 4;
      addScaledClippedValues(f.subarray(values >>> 2, (values >>> 2) + n), f.subarray(base >>> 2, (base >>> 2) + n), scale);
    },
    addProportionalClipped(values, base, count, scale) {
      const f = arena.f32;
      const n = Math.ceil(count / 4) * 4;
      addProportionalClippedValues(f.subarray(values >>> 2, (values >>> 2) + n), f.subarray(base >>> 2, (base >>> 2) + n), scale);
    },
  };
  return { kind: 'js', kernels, arena };
}

/** A fresh engine of the given kind ('wasm-simd' throws where the engine lacks wasm SIMD). */
export function createSimdEngine(kind: 'wasm-simd' | 'js'): SimdEngine {
  if (kind === 'js') return jsEngine();
  const engine = wasmEngine();
  if (!engine) throw new Error('this JavaScript engine has no WebAssembly SIMD');
  return engine;
}

/**
 * The engine the corruptions use: wasm SIMD where available, else the JavaScript kernels. Made
 * on first use (compiling the module costs a few milliseconds an import should not pay) and the
 * same one ever after; there is no way to replace it. To run on another engine, pass one
 * explicitly (BlurJob, BlurCorruption.applyOn).
 */
export const simdEngine: () => SimdEngine = (() => {
  let engine: SimdEngine | undefined;
  return () => (engine ??= Object.freeze(wasmEngine() ?? jsEngine()));
})();

/**
 * A second wasm engine, with its own memory, for random draws and additive noise (src/random,
 * the noise corruptions). They run in the middle of other operations (a weather layer draws its
 * noise while its BlurJob holds the SIMD engine's arena), so they must not reset that arena; the
 * draws never nest among themselves. Undefined where the engine lacks wasm SIMD: there the plain
 * JavaScript loops beat the kernels' twins, which work through an arena.
 */
export const drawEngine: () => SimdEngine | undefined = (() => {
  let engine: SimdEngine | undefined | null = null;
  return () => {
    if (engine === null) {
      const made = wasmEngine();
      engine = made && Object.freeze(made);
    }
    return engine;
  };
})();
