import { test as propTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/random/stream.js';

const draws = (stream: RandomStream, n = 8) => Array.from({ length: n }, () => stream.float());

describe('RandomStream', () => {
  propTest.prop([fc.nat()])('the same seed gives the same draws', (seed) => {
    expect(draws(RandomStream.fromSeed(seed))).toEqual(draws(RandomStream.fromSeed(seed)));
  });

  propTest.prop([fc.nat(), fc.string(), fc.nat()])('derived streams depend only on seed and keys, not on draws made before', (seed, name, index) => {
    const a = RandomStream.fromSeed(seed);
    const b = RandomStream.fromSeed(seed);
    draws(b, 5); // draws on the parent must not shift its children
    expect(draws(a.derive(name, index))).toEqual(draws(b.derive(name, index)));
  });

  it('gives different streams for different keys and seeds', () => {
    const root = RandomStream.fromSeed(1);
    expect(draws(root.derive('a'))).not.toEqual(draws(root.derive('b')));
    expect(draws(root.derive(1))).not.toEqual(draws(root.derive('1')));
    expect(draws(RandomStream.fromSeed(1))).not.toEqual(draws(RandomStream.fromSeed(2)));
  });

  propTest.prop([fc.nat(), fc.integer({ min: 0, max: 50 })])('fills words exactly as one-by-one draws give them, and continues the stream', (seed, n) => {
    const bulk = RandomStream.fromSeed(seed);
    const single = RandomStream.fromSeed(seed);
    expect(Array.from(bulk.fillUint32(new Uint32Array(n)))).toEqual(Array.from({ length: n }, () => single.uint32()));
    expect(bulk.uint32()).toBe(single.uint32());
  });

  it('draws normals with mean 0 and variance 1', () => {
    const stream = RandomStream.fromSeed(7);
    const n = 20000;
    const values = Array.from({ length: n }, () => stream.normal());
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    // 5 standard errors: fails by chance about once in a few million runs.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('fills arrays with uniforms in [0, 1) and normals of mean 0 and variance 1', () => {
    const stream = RandomStream.fromSeed(11);
    const n = 20000;
    const uniform = stream.fillUniform(new Float32Array(n));
    expect(Math.min(...uniform)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...uniform)).toBeLessThan(1);
    const mean = uniform.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    const normal = stream.fillNormal(new Float64Array(n + 1));
    const m = normal.reduce((a, b) => a + b, 0) / normal.length;
    const v = normal.reduce((a, b) => a + (b - m) ** 2, 0) / normal.length;
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('draws integers without bias over a range that does not divide 2^32', () => {
    const stream = RandomStream.fromSeed(3);
    const counts = [0, 0, 0];
    const n = 30000;
    for (let i = 0; i < n; i++) counts[stream.int(0, 2)]!++;
    // Chi-square with 2 degrees of freedom; 13.8 is its 0.999 quantile.
    const chi2 = counts.reduce((sum, c) => sum + (c - n / 3) ** 2 / (n / 3), 0);
    expect(chi2).toBeLessThan(13.8);
  });

  propTest.prop([fc.nat(), fc.array(fc.integer())])('shuffles into a permutation without touching the input', (seed, items) => {
    const copy = items.slice();
    const shuffled = RandomStream.fromSeed(seed).shuffled(items);
    expect(items).toEqual(copy);
    expect(shuffled.slice().sort((a, b) => a - b)).toEqual(copy.slice().sort((a, b) => a - b));
  });

  propTest.prop([fc.nat(), fc.integer({ min: -50, max: 50 }), fc.nat({ max: 100 })])('draws integers inside their bounds', (seed, min, span) => {
    const stream = RandomStream.fromSeed(seed);
    for (let i = 0; i < 20; i++) {
      const value = stream.int(min, min + span);
      expect(value).toBeGreaterThanOrEqual(min);
      expect(value).toBeLessThanOrEqual(min + span);
    }
  });
});
