import { drawEngine, type SimdEngine } from '../engine/simd.js';
import { fillNormalZiggurat, normalZiggurat } from './ziggurat.js';
import { rotateLeft, runXoshiro } from './xoshiro.js';

/** A key naming one independent random stream below a seed, e.g. ('corruption', 'fog', 3, imageIndex). */
export type StreamKey = string | number;

/**
 * A seeded stream of random numbers. Every random draw in ssl-robust comes from one of
 * these, derived from the user's --seed, so a run is reproducible bit for bit.
 *
 * Streams are derived by name rather than split by order, so that a result for, say,
 * image 17 does not depend on how many draws images 0–16 took or on the batch size.
 */
export class RandomStream {
  // xoshiro128** state: four 32-bit words. Written out here rather than taken from a library
  // so that bulk fills (noise over a 224×224×3 image) run without a call per value.
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  private constructor(readonly seed: number) {
    // splitmix32 spreads one 32-bit seed over the 128-bit state, never all zeros.
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next() | 1;
  }

  static fromSeed(seed: number): RandomStream {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    return new RandomStream(mixSeed(seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0));
  }

  /** An independent child stream named by keys; the same seed and keys always give the same stream. */
  derive(...keys: StreamKey[]): RandomStream {
    let state = this.seed;
    for (const key of keys) state = mixSeed(state, hashKey(key));
    return new RandomStream(state);
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1), with 53 random bits. */
  float(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992;
  }

  /** Uniform integer in [min, max], both included (rejection sampling: no modulo bias). */
  int(min: number, max: number): number {
    const span = max - min + 1;
    if (!(span >= 1) || span > 2 ** 32) throw new RangeError(`int(${min}, ${max}): empty or too wide a range`);
    const limit = 2 ** 32 - (2 ** 32 % span);
    let draw = this.uint32();
    while (draw >= limit) draw = this.uint32();
    return min + (draw % span);
  }

  /** Standard normal draw (ziggurat). */
  normal(): number {
    return normalZiggurat(this);
  }

  /**
   * Writes the generator's state, four 32-bit words, to words[at … at + 3]: for a kernel that
   * draws the stream's next words in bulk and hands the state back through restoreState.
   */
  saveState(words: Int32Array | Uint32Array, at = 0): void {
    words[at] = this.s0;
    words[at + 1] = this.s1;
    words[at + 2] = this.s2;
    words[at + 3] = this.s3;
  }

  /** Takes back the state saveState wrote, as a kernel left it after drawing from it. */
  restoreState(words: Int32Array | Uint32Array, at = 0): void {
    this.s0 = words[at]! | 0;
    this.s1 = words[at + 1]! | 0;
    this.s2 = words[at + 2]! | 0;
    this.s3 = words[at + 3]! | 0;
  }

  /** Fills `out` with random 32-bit words: the same words `uint32()` would give, without a call per word. */
  fillUint32(out: Uint32Array): Uint32Array {
    const engine = out.length >= WORDS_ON_ENGINE_FROM ? drawEngine() : undefined;
    if (engine) {
      out.set(this.wordsOnEngine(engine, out.length));
      return out;
    }
    const state = new Int32Array(4);
    this.saveState(state);
    runXoshiro(state, 0, 1, out, 0, out.length);
    this.restoreState(state);
    return out;
  }

  /**
   * The next n words drawn by the engine's kernels, as a view of its memory: valid until the
   * engine's next operation, so read at once (no array of n words to allocate and fault in).
   */
  private wordsOnEngine(engine: SimdEngine, n: number): Uint32Array {
    const { arena } = engine;
    arena.reset();
    const scratch = arena.alloc(WORDS_SCRATCH);
    const words = arena.alloc(n);
    drawWordsOnEngine(this, engine, words, n, scratch);
    return new Uint32Array(arena.i32.buffer, words, n);
  }

  /** Fills `out` with uniform draws in [0, 1) at float32 resolution (24 bits each, one word a value). */
  fillUniform<T extends Float32Array | Float64Array>(out: T): T {
    const engine = out.length >= WORDS_ON_ENGINE_FROM ? drawEngine() : undefined;
    const words = engine ? this.wordsOnEngine(engine, out.length) : this.fillUint32(new Uint32Array(out.length));
    for (let i = 0; i < out.length; i++) out[i] = (words[i]! >>> 8) / 16777216;
    return out;
  }

  /** Fills `out` with standard normal draws (ziggurat: about one word and no logarithm per value). */
  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    return fillNormalZiggurat(this, out);
  }

  /** A shuffled copy (Fisher–Yates); the input is left as it was. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** A 31-bit integer for seeding TF.js random ops, which take a number seed. */
  tfjsSeed(): number {
    return this.uint32() >>> 1;
  }
}

/** From this many words on, fillUint32 draws them with the wasm kernels (measured crossover: 768 to 1024 words). */
const WORDS_ON_ENGINE_FROM = 1024;

/** Words of engine memory drawWordsOnEngine works in. */
export const WORDS_SCRATCH = 20;

/** Lanes shorter than this are not worth the jumps: the rest of a fill runs on one generator. */
const MIN_LANE_LOG = 6;
/** The longest lane, 2¹² words: a round of four is a normal block (longer fills take several rounds). */
const MAX_LANE_LOG = 12;

/**
 * Draws the stream's next n words (what fillUint32 gives) into the engine's memory at byte
 * address `at`, using WORDS_SCRATCH words at `scratch`, and advances the stream past them.
 *
 * The words come from four copies of the generator run side by side in SIMD lanes: a round of
 * 4·L words (L a power of two) starts lane k at the stream's state jumped ahead by k·L words,
 * so that lane k writes words k·L … (k + 1)·L − 1 of the round, and lane 3 ends where the round
 * ends. The jump is xoshiro's state transition raised to the power L: a linear map over the 128
 * state bits (GF(2)), tabled once for each power of two (jumpTable). The rest of a fill, under
 * 4·2^MIN_LANE_LOG words, runs on one generator.
 */
export function drawWordsOnEngine(random: RandomStream, engine: SimdEngine, at: number, n: number, scratch: number): void {
  const { arena, kernels } = engine;
  const state = scratch >>> 2;
  const lanes = state + 4;
  random.saveState(arena.i32, state);
  let done = 0;
  while (n - done >= 4 << MIN_LANE_LOG) {
    const log = Math.min(MAX_LANE_LOG, 31 - Math.clz32((n - done) >>> 2));
    const jump = jumpTable(engine, log);
    const ints = arena.i32;
    // lane k's word w at lanes + 4·w + k
    for (let w = 0; w < 4; w++) ints[lanes + 4 * w] = ints[state + w]!;
    for (let lane = 1; lane < 4; lane++) applyJump(jump, ints, lanes + lane - 1, lanes + lane);
    kernels.xoshiroLanes(at + 4 * done, 1 << log, 4 * lanes);
    for (let w = 0; w < 4; w++) ints[state + w] = ints[lanes + 4 * w + 3]!;
    done += 4 << log;
  }
  kernels.xoshiroFill(at + 4 * done, n - done, scratch);
  random.restoreState(arena.i32, state);
}

/**
 * A linear map of the 128 state bits (bit b is bit b & 31 of word b >> 5), as a table of the
 * images of every 4-bit group's 16 values: entry 16p + v (4 words) is the image of the state
 * whose only set bits are v at bits 4p … 4p + 3. Applying it takes 32 lookups, not 128 bit tests.
 */
type StateMap = Int32Array;

/** y ← M·x for the states whose word w sits at ints[x + 4w] and ints[y + 4w] (the lanes' layout); x may be y. */
function applyJump(map: StateMap, ints: Int32Array, x: number, y: number): void {
  let y0 = 0;
  let y1 = 0;
  let y2 = 0;
  let y3 = 0;
  for (let w = 0; w < 4; w++) {
    const word = ints[x + 4 * w]!;
    for (let k = 0; k < 8; k++) {
      const entry = 4 * (16 * (8 * w + k) + ((word >>> (4 * k)) & 15));
      y0 ^= map[entry]!;
      y1 ^= map[entry + 1]!;
      y2 ^= map[entry + 2]!;
      y3 ^= map[entry + 3]!;
    }
  }
  ints[y] = y0;
  ints[y + 4] = y1;
  ints[y + 8] = y2;
  ints[y + 12] = y3;
}

/** The StateMap of the map whose image of bit b is columns[4b … 4b + 3]. */
function stateMap(columns: Int32Array): StateMap {
  const map = new Int32Array(32 * 16 * 4);
  for (let p = 0; p < 32; p++) {
    for (let v = 1; v < 16; v++) {
      // v's lowest bit's column, xored onto the entry of v without that bit
      const low = 31 - Math.clz32(v & -v);
      const entry = 4 * (16 * p + v);
      const rest = 4 * (16 * p + (v & (v - 1)));
      for (let w = 0; w < 4; w++) map[entry + w] = map[rest + w]! ^ columns[4 * (4 * p + low) + w]!;
    }
  }
  return map;
}

/**
 * The state transition applied 2^log times (log ≤ MAX_LANE_LOG), made on first use of each log
 * and kept: its images of the 128 unit states are those states run 2^log steps, four at a time
 * in the lanes kernel (about 0.1 ms for 2¹² steps; squaring 128×128 bit matrices in JavaScript
 * took some 10 ms on a cold start). The engine's arena grows by the 2^log-word lanes it writes.
 */
const jumpTable: (engine: SimdEngine, log: number) => StateMap = (() => {
  const tables: StateMap[] = [];
  const build = ({ arena, kernels }: SimdEngine, log: number): StateMap => {
    const columns = new Int32Array(512);
    const states = arena.alloc(16);
    const sink = arena.alloc(4 << log);
    const at = states >>> 2;
    for (let group = 0; group < 32; group++) {
      const ints = arena.i32;
      ints.fill(0, at, at + 16);
      // lane k starts at the unit state of bit b = 4·group + k (word w of lane k at at + 4w + k)
      for (let lane = 0; lane < 4; lane++) {
        const b = 4 * group + lane;
        ints[at + 4 * (b >> 5) + lane] = 1 << (b & 31);
      }
      kernels.xoshiroLanes(sink, 1 << log, states);
      for (let lane = 0; lane < 4; lane++) for (let w = 0; w < 4; w++) columns[4 * (4 * group + lane) + w] = ints[at + 4 * w + lane]!;
    }
    return stateMap(columns);
  };
  return (engine, log) => (tables[log] ??= build(engine, log));
})();


/** FNV-1a over the key's text: stable across runs and platforms. */
function hashKey(key: StreamKey): number {
  const text = typeof key === 'number' ? `#${key}` : key;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Murmur3's finaliser over two 32-bit words: neighbouring inputs give unrelated seeds. */
function mixSeed(a: number, b: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
