/** Class-imbalance profiles, subsampling and many/medium/few groups. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { imbalanceProfiles } from '../../src/labels/catalogue.js';
import { classGroups } from '../../src/labels/imbalance/groups.js';
import { longTailCounts } from '../../src/labels/imbalance/longtail.js';
import { imbalancedSubset } from '../../src/labels/imbalance/subset.js';
import { classCounts } from '../../src/labels/matrix.js';
import { RandomStream } from '../../src/random/stream.js';
import { coveredLabelSet, sameLabels, seedArb } from './arbitraries.js';

const longtail = imbalanceProfiles.get('longtail');
const step = imbalanceProfiles.get('step');

describe('profiles', () => {
  it.each([
    // The LDAM-DRW / Liu et al. 2022 code's counts (int(n_max · (1/ρ)^(i/(K−1)))).
    [5000, 10, [5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500]],
    [5000, 50, [5000, 3237, 2096, 1357, 878, 568, 368, 238, 154, 100]],
    [5000, 100, [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]],
    [6000, 100, [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]],
  ])('longtail with n_max %i and ρ %i gives the reference counts', (maxPerClass, ratio, counts) => {
    expect(longtail.counts(maxPerClass, 10, { ratio })).toEqual(counts);
  });

  test.prop([fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 2, max: 100 }), fc.double({ min: 1, max: 1000, noNaN: true })], { numRuns: 300 })(
    'longtail follows n_i = floor(n_max·ρ^(−i/(K−1))): head n_max, non-increasing, each within rounding of the formula',
    (maxPerClass, numClasses, ratio) => {
      const counts = longTailCounts(maxPerClass, numClasses, ratio);
      expect(counts).toHaveLength(numClasses);
      expect(counts[0]).toBe(maxPerClass);
      counts.forEach((count, i) => {
        const exact = maxPerClass * ratio ** (-i / (numClasses - 1));
        expect(Number.isInteger(count)).toBe(true);
        expect(count).toBeLessThanOrEqual(exact + 1e-6);
        expect(count).toBeGreaterThan(exact - 1);
        if (i > 0) expect(count).toBeLessThanOrEqual(counts[i - 1]!);
      });
      // Where n_max/ρ is a whole number the tail is exactly it.
      if (Number.isInteger(maxPerClass / ratio)) expect(counts[numClasses - 1]).toBe(maxPerClass / ratio);
    },
  );

  test.prop([fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 2, max: 100 }), fc.double({ min: 1, max: 1000, noNaN: true })], { numRuns: 200 })(
    'step keeps n_max for the first ceil(K/2) classes and floor(n_max/ρ) for the last floor(K/2)',
    (maxPerClass, numClasses, ratio) => {
      const counts = step.counts(maxPerClass, numClasses, { ratio });
      const minorities = Math.floor(numClasses / 2);
      expect(counts.slice(0, numClasses - minorities).every((c: number) => c === maxPerClass)).toBe(true);
      expect(counts.slice(numClasses - minorities).every((c: number) => c === Math.floor(maxPerClass / ratio + 1e-9))).toBe(true);
    },
  );

  it('step takes a minority fraction μ', () => {
    expect(step.counts(100, 10, { ratio: 10, minorityFraction: 0.3 })).toEqual([100, 100, 100, 100, 100, 100, 100, 10, 10, 10]);
    expect(() => step.counts(100, 10, { ratio: 10, minorityFraction: 0.05 })).toThrow(/0 minority classes/);
    expect(() => step.counts(100, 10, { ratio: 10, minorityFraction: 1 })).toThrow(/must be in \(0, 1\)/);
  });

  it.each([0.5, 0, -3, Number.NaN, Infinity])('refuses ρ = %s', (ratio) => {
    expect(() => longtail.counts(100, 10, { ratio })).toThrow(/ρ = n_max \/ n_min must be a finite number ≥ 1/);
    expect(() => step.counts(100, 10, { ratio })).toThrow(/ρ = n_max \/ n_min must be a finite number ≥ 1/);
  });
});

const subsetCase = coveredLabelSet(10, 5, 400).chain((set) =>
  fc.record({
    set: fc.constant(set),
    profile: fc.constantFrom('longtail', 'step'),
    ratio: fc.double({ min: 1, max: 5, noNaN: true }),
    order: fc.option(fc.shuffledSubarray(Array.from({ length: set.numClasses }, (_, c) => c), { minLength: set.numClasses }), { nil: undefined }),
    seed: seedArb,
  }));

describe('imbalanced subsets', () => {
  test.prop([subsetCase], { numRuns: 150 })(
    'keep exactly the profile\'s counts per class, at least one each, with no index duplicated or lost, reproducibly',
    ({ set, profile, ratio, order, seed }) => {
      const before = set.labels.slice();
      const request = { profile: imbalanceProfiles.get(profile), params: { ratio }, ...(order ? { classOrder: order } : {}) };
      const subset = imbalancedSubset(set.labels, set.numClasses, request, RandomStream.fromSeed(seed));
      expect(sameLabels(set.labels, before)).toBe(true);
      if (order) expect(subset.classOrder).toEqual(order);
      expect([...subset.classOrder].sort((a, b) => a - b)).toEqual(Array.from({ length: set.numClasses }, (_, c) => c));
      // Indices: ascending, unique, in range.
      subset.indices.forEach((index, i) => {
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(set.labels.length);
        if (i > 0) expect(index).toBeGreaterThan(subset.indices[i - 1]!);
      });
      const counts = classCounts(subset.indices.map((i) => set.labels[i]!), set.numClasses);
      expect(counts).toEqual(subset.countsByClass);
      expect(subset.countsByRank).toEqual(imbalanceProfiles.get(profile).counts(subset.maxPerClass, set.numClasses, { ratio }));
      subset.classOrder.forEach((c, r) => expect(counts[c]).toBe(subset.countsByRank[r]));
      expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
      // n_max by default is the largest every class can supply.
      const available = classCounts(set.labels, set.numClasses);
      const next = imbalanceProfiles.get(profile).counts(subset.maxPerClass + 1, set.numClasses, { ratio });
      expect(next.some((count: number, r: number) => count > available[subset.classOrder[r]!]!)).toBe(true);
      const again = imbalancedSubset(set.labels, set.numClasses, request, RandomStream.fromSeed(seed));
      expect(again.indices).toEqual(subset.indices);
    },
  );

  it('refuses a profile that leaves a class empty, and n_max above what a class has', () => {
    const labels = Int32Array.from({ length: 100 }, (_, i) => i % 10);
    expect(() => imbalancedSubset(labels, 10, { profile: longtail, params: { ratio: 100 } }, RandomStream.fromSeed(0))).toThrow(/leaves class \d+ \(rank 5\) with no examples/);
    expect(() => imbalancedSubset(labels, 10, { profile: longtail, params: { ratio: 2 }, maxPerClass: 11 }, RandomStream.fromSeed(0))).toThrow(/needs 11 examples for n_max = 11 but has 10/);
    expect(() => imbalancedSubset(labels, 10, { profile: longtail, params: { ratio: 2 }, classOrder: [0, 1, 2] }, RandomStream.fromSeed(0))).toThrow(/lists all 10 classes once/);
    expect(() => imbalancedSubset(labels, 11, { profile: longtail, params: { ratio: 2 } }, RandomStream.fromSeed(0))).toThrow(/class 10 has no examples/);
  });

  it('draws the class order from the seed', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
    const order = (seed: number) => imbalancedSubset(labels, 10, { profile: longtail, params: { ratio: 10 } }, RandomStream.fromSeed(seed)).classOrder;
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
  });
});

describe('many/medium/few groups', () => {
  test.prop([fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 40 }), fc.constantFrom('terciles' as const, 'oltr' as const)])(
    'partition the classes, larger groups holding the larger classes',
    (counts, rule) => {
      const order = counts.map((_, c) => c);
      const groups = classGroups(counts, order, rule);
      expect([...groups.many, ...groups.medium, ...groups.few].sort((a, b) => a - b)).toEqual(order);
      const min = (g: readonly number[]) => Math.min(...g.map((c) => counts[c]!));
      const max = (g: readonly number[]) => Math.max(...g.map((c) => counts[c]!));
      if (groups.many.length && groups.medium.length) expect(min(groups.many)).toBeGreaterThanOrEqual(max(groups.medium));
      if (groups.medium.length && groups.few.length) expect(min(groups.medium)).toBeGreaterThanOrEqual(max(groups.few));
      if (rule === 'terciles') {
        expect(groups.many.length).toBe(Math.floor(counts.length / 3));
        expect(groups.few.length).toBe(Math.floor(counts.length / 3));
      } else {
        for (const c of groups.many) expect(counts[c]).toBeGreaterThan(100);
        for (const c of groups.few) expect(counts[c]).toBeLessThan(20);
      }
    },
  );

  it('splits ten classes 3/4/3, and CIFAR-10-LT ρ = 100 by the OLTR thresholds', () => {
    const counts = [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50];
    const order = counts.map((_, c) => c);
    expect(classGroups(counts, order, 'terciles')).toEqual({ rule: 'terciles', many: [0, 1, 2], medium: [3, 4, 5, 6], few: [7, 8, 9] });
    expect(classGroups(counts, order, 'oltr')).toEqual({ rule: 'oltr', many: [0, 1, 2, 3, 4, 5, 6, 7], medium: [8, 9], few: [] });
  });
});
