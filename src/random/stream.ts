import { fillNormalZiggurat, normalZiggurat } from './ziggurat.js';

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
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
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

  /** Fills `out` with random 32-bit words: the same words `uint32()` would give, without a call per word. */
  fillUint32(out: Uint32Array): Uint32Array {
    // The state lives in locals for the loop: field access per word costs several times more.
    // It is written back after every block, not only at the end: V8 compiles a long loop while
    // it runs (on-stack replacement), and code after it that has never run before then has no
    // type feedback, so the compiled loop would be thrown away on reaching it, call after call.
    // Written back per block, the write-back has run (and has feedback) before the loop is compiled.
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let start = 0; start < out.length; start += STATE_BLOCK) {
      const end = Math.min(start + STATE_BLOCK, out.length);
      for (let i = start; i < end; i++) {
        out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
        const t = s1 << 9;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
      }
      this.s0 = s0;
      this.s1 = s1;
      this.s2 = s2;
      this.s3 = s3;
    }
    return out;
  }

  /** Fills `out` with uniform draws in [0, 1) at float32 resolution (24 bits each, one word a value). */
  fillUniform<T extends Float32Array | Float64Array>(out: T): T {
    const words = this.fillUint32(new Uint32Array(out.length));
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

/** Words fillUint32 draws between write-backs of the state (see there). */
const STATE_BLOCK = 1024;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

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
