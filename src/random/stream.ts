import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

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
  private readonly generator: RandomGenerator;
  /** Box–Muller yields normals in pairs; the spare one waits here. */
  private spareNormal: number | undefined;

  private constructor(readonly seed: number) {
    this.generator = xoroshiro128plus(seed);
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

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.generator);
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.generator, min, max);
  }

  /** Standard normal draw. */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    // 1 - u keeps the logarithm's argument in (0, 1].
    const radius = Math.sqrt(-2 * Math.log(1 - this.float()));
    const angle = 2 * Math.PI * this.float();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
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
    return this.int(0, 0x7fffffff);
  }
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
