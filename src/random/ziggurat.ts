import { drawEngine, type SimdEngine } from '../engine/simd.js';
import { drawWordsOnEngine, WORDS_SCRATCH, type RandomStream } from './stream.js';

/**
 * Standard normal draws by Marsaglia and Tsang's ziggurat (128 layers), from the stream's 32-bit
 * words: about one word and no transcendental function per value ~99% of the time, several times
 * faster than Box–Muller for layers of noise (spatter draws one normal per pixel).
 *
 * Each word's low 7 bits pick the layer and its high 25 bits give the signed abscissa, so the two
 * are independent (the original RNOR reused the layer bits in the abscissa, a correlation Doornik
 * pointed out). The distribution is exact up to the 2⁻²⁴ grid of abscissas.
 */
const LAYERS = 128;
const SCALE = 2 ** 24;
/** Right edge of the base layer, and the area of every layer. */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;

const kn = new Float64Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * SCALE;
  kn[1] = 0;
  wn[0] = q / SCALE;
  wn[LAYERS - 1] = dn / SCALE;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * SCALE;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / SCALE;
  }
}

/**
 * kn rounded up, as integers: for an integer abscissa j, |j| < kn[l] exactly when |j| < ⌈kn[l]⌉,
 * and the fast path then compares small integers only (kn fits in 24 bits).
 */
const knCeil = Int32Array.from(kn, Math.ceil);

/**
 * Fills `out` with independent N(0, 1) draws from `random`, and returns it. One word per value is
 * drawn in bulk; the rare rejections draw theirs afterwards, in order.
 *
 * The words are drawn into `out`'s own memory (no buffer to allocate): into its bytes for a
 * Float32Array; into the upper half of its bytes for a Float64Array, where writing value i only
 * overwrites words i' ≤ i, already read. They are read as int32, so that the signed abscissa
 * (u ^ 2³¹) >> 7, which equals (u >>> 7) − 2²⁴ for the unsigned word u, stays a small integer
 * (about twice as fast as the same arithmetic on doubles, with the same results).
 *
 * A long Float32Array is filled on the wasm engine instead (fillNormalOnEngine), where there is
 * one: the same values and stream position, in about half the time.
 */
export function fillNormalZiggurat<T extends Float32Array | Float64Array>(random: RandomStream, out: T): T {
  const n = out.length;
  if (out instanceof Float32Array && n >= NORMALS_ON_ENGINE_FROM) {
    const engine = drawEngine();
    if (engine) {
      engine.arena.reset();
      const ziggurat = engineZiggurat(engine, n);
      const at = engine.arena.alloc(n);
      fillNormalOnEngine(ziggurat, random, at, n);
      out.set(engine.arena.f32.subarray(at >>> 2, (at >>> 2) + n));
      return out;
    }
  }
  const wordsAt = out.byteOffset + (out.BYTES_PER_ELEMENT === 8 ? 4 * n : 0);
  random.fillUint32(new Uint32Array(out.buffer, wordsAt, n));
  const words = new Int32Array(out.buffer, wordsAt, n);
  for (let i = 0; i < n; i++) {
    const u = words[i]!;
    const layer = u & (LAYERS - 1);
    const j = (u ^ 0x80000000) >> 7;
    // |j| without a branch: j's sign is a coin flip, which a branch would mispredict half the time.
    const sign = j >> 31;
    out[i] = ((j ^ sign) - sign) < knCeil[layer]! ? j * wn[layer]! : slowNormal(random, j, layer);
  }
  return out;
}

/** From this many float32 values on, fillNormalZiggurat draws on the wasm engine (the measured crossover lies between 512 and 768). */
const NORMALS_ON_ENGINE_FROM = 768;

/** The ziggurat's tables and a list for its rejections in an engine's arena, for up to `capacity` values a fill. */
export interface EngineZiggurat {
  readonly engine: SimdEngine;
  readonly capacity: number;
  /** Byte addresses: knCeil (int32), wn (float64), the rejections' indices (int32), drawWordsOnEngine's scratch. */
  readonly knCeil: number;
  readonly wn: number;
  readonly slow: number;
  readonly scratch: number;
}

/** Allocates and writes the ziggurat's tables on the engine's arena (after the caller's reset). */
export function engineZiggurat(engine: SimdEngine, capacity: number): EngineZiggurat {
  const { arena } = engine;
  const knAt = arena.alloc(LAYERS);
  const wnAt = arena.alloc(2 * LAYERS);
  const slow = arena.alloc(capacity);
  const scratch = arena.alloc(WORDS_SCRATCH);
  arena.i32.set(knCeil, knAt >>> 2);
  new Float64Array(arena.i32.buffer, wnAt, LAYERS).set(wn);
  return { engine, capacity, knCeil: knAt, wn: wnAt, slow, scratch };
}

/**
 * Fills the n float32 values at byte address `at` of the engine's memory with what
 * fillNormalZiggurat(random, new Float32Array(n)) gives, bit for bit, leaving the stream where
 * it leaves it: the n words in bulk (kernel), the fast path (kernel), then the rejections in
 * index order, each drawing its further words from the stream as it does there.
 */
export function fillNormalOnEngine(ziggurat: EngineZiggurat, random: RandomStream, at: number, n: number): void {
  if (n > ziggurat.capacity) throw new RangeError(`${n} values exceed the ziggurat's capacity of ${ziggurat.capacity}`);
  const { arena, kernels } = ziggurat.engine;
  drawWordsOnEngine(random, ziggurat.engine, at, n, ziggurat.scratch);
  const rejected = kernels.zigguratFast(at, at, n, ziggurat.knCeil, ziggurat.wn, ziggurat.slow);
  const ints = arena.i32;
  const values = arena.f32;
  for (let k = 0; k < rejected; k++) {
    // The kernel leaves a rejected value's word in its place.
    const i = (at >>> 2) + ints[(ziggurat.slow >>> 2) + k]!;
    const u = ints[i]!;
    values[i] = slowNormal(random, (u ^ 0x80000000) >> 7, u & (LAYERS - 1));
  }
}

/** One standard normal draw. */
export function normalZiggurat(random: RandomStream): number {
  const u = random.uint32() | 0;
  const layer = u & (LAYERS - 1);
  const j = (u ^ 0x80000000) >> 7;
  const sign = j >> 31;
  return ((j ^ sign) - sign) < knCeil[layer]! ? j * wn[layer]! : slowNormal(random, j, layer);
}

/** The rejection path: the tail beyond R from the base layer, or the wedge of another layer. */
function slowNormal(random: RandomStream, j: number, layer: number): number {
  for (;;) {
    const x = j * wn[layer]!;
    if (layer === 0) {
      let tail: number;
      let y: number;
      do {
        // 1 − u keeps the logarithms finite.
        tail = -Math.log(1 - random.float()) / R;
        y = -Math.log(1 - random.float());
      } while (y + y < tail * tail);
      return j > 0 ? R + tail : -R - tail;
    }
    if (fn[layer]! + random.float() * (fn[layer - 1]! - fn[layer]!) < Math.exp(-0.5 * x * x)) return x;
    const u = random.uint32();
    layer = u & (LAYERS - 1);
    j = (u >>> 7) - SCALE;
    if ((j < 0 ? -j : j) < kn[layer]!) return j * wn[layer]!;
  }
}
