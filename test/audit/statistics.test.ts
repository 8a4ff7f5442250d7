import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/random/stream.js';
import { median, pairedGroupDifference, wilsonInterval } from '../../src/runner/audit/statistics.js';

describe('intervals', () => {
  test.prop([fc.integer({ min: 1, max: 5000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n)))])(
    'the Wilson interval lies in [0, 1] and holds the observed proportion',
    ([k, n]) => {
      const [low, high] = wilsonInterval(k, n);
      expect(low).toBeGreaterThanOrEqual(0);
      expect(high).toBeLessThanOrEqual(1);
      expect(low).toBeLessThanOrEqual(k / n + 1e-12);
      expect(high).toBeGreaterThanOrEqual(k / n - 1e-12);
    },
  );

  it('matches a textbook Wilson interval (81/263 → [0.2553, 0.3662])', () => {
    const [low, high] = wilsonInterval(81, 263);
    expect(low).toBeCloseTo(0.2553, 3);
    expect(high).toBeCloseTo(0.3662, 3);
  });

  it('medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([1, Infinity, Infinity])).toBe(Infinity);
  });
});

function bernoulli(n: number, p: number, seed: number): Float64Array {
  const random = RandomStream.fromSeed(seed);
  return Float64Array.from({ length: n }, () => (random.float() < p ? 1 : 0));
}

describe('paired bootstrap of a group difference', () => {
  test.prop([fc.integer({ min: 0, max: 1000 })])('identical groups differ by exactly 0 in every resample', (seed) => {
    const v = bernoulli(200, 0.3, seed);
    const result = pairedGroupDifference([v], [Float64Array.from(v)], 200, RandomStream.fromSeed(seed));
    expect(result.estimate).toBe(0);
    expect(result.ci95).toEqual([0, 0]);
  });

  it('finds a real difference and not a null one, with a 95% interval around the estimate', () => {
    const random = RandomStream.fromSeed(1);
    const worse = bernoulli(1000, 0.4, 2);
    const better = bernoulli(1000, 0.2, 3);
    const clear = pairedGroupDifference([better], [worse], 1000, random);
    expect(clear.estimate).toBeCloseTo(-0.2, 1);
    expect(clear.ci95[1]).toBeLessThan(0);
    expect(clear.ci95[0]).toBeLessThan(clear.estimate);
    const same = pairedGroupDifference([bernoulli(1000, 0.3, 4)], [bernoulli(1000, 0.3, 5)], 1000, RandomStream.fromSeed(1));
    expect(same.ci95[0]).toBeLessThan(0);
    expect(same.ci95[1]).toBeGreaterThan(0);
  });

  it('is reproducible from its seed', () => {
    const a = [bernoulli(300, 0.5, 7)];
    const b = [bernoulli(300, 0.4, 8)];
    expect(pairedGroupDifference(a, b, 300, RandomStream.fromSeed(9))).toEqual(pairedGroupDifference(a, b, 300, RandomStream.fromSeed(9)));
  });
});
