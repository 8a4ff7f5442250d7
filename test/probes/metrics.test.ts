/** The metrics every report uses, checked against their definitions on arbitrary label vectors. */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  balancedAccuracy,
  classCounts,
  degradation,
  groupAccuracy,
  meanConfidenceInterval,
  perClassAccuracy,
} from '../../src/runner/metrics.js';

const K = 6;
/** Predicted and true labels of equal length over K classes. */
const labelPairs = fc.integer({ min: 1, max: 80 }).chain((n) =>
  fc.tuple(fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: n, maxLength: n })),
);

describe('accuracy metrics', () => {
  test.prop([labelPairs])('accuracy is the count-weighted mean of per-class accuracy; balanced accuracy their plain mean', ([predictions, labels]) => {
    const perClass = perClassAccuracy(predictions, labels, K);
    const counts = classCounts(labels, K);
    const weighted = perClass.reduce<number>((sum, a, c) => sum + (a ?? 0) * counts[c]!, 0) / labels.length;
    expect(accuracy(predictions, labels)).toBeCloseTo(weighted, 12);
    const present = perClass.filter((a): a is number => a !== null);
    expect(balancedAccuracy(predictions, labels, K)).toBeCloseTo(present.reduce((a, b) => a + b, 0) / present.length, 12);
    perClass.forEach((a, c) => expect(a === null).toBe(counts[c] === 0));
  });

  test.prop([labelPairs])('perfect predictions score 1 everywhere, and a class never predicted scores 0', ([, labels]) => {
    expect(accuracy(labels, labels)).toBe(1);
    expect(balancedAccuracy(labels, labels, K)).toBe(1);
    const shifted = labels.map((l) => (l + 1) % K);
    expect(accuracy(shifted, labels)).toBe(0);
  });

  it('balanced accuracy differs from accuracy on an imbalanced test set', () => {
    // 8 of class 0 all right, 2 of class 1 all wrong: accuracy 0.8, balanced 0.5.
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    const predictions = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(accuracy(predictions, labels)).toBe(0.8);
    expect(balancedAccuracy(predictions, labels, 2)).toBe(0.5);
    expect(perClassAccuracy(predictions, labels, 3)).toEqual([1, 0, null]);
  });

  it('refuses mismatched lengths and labels outside the classes', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/2 predictions for 1 labels/);
    expect(() => perClassAccuracy([0], [5], 3)).toThrow(/label 5 is not a class index in \[0, 2\]/);
  });
});

describe('long-tail groups', () => {
  it('group accuracy is the mean per-class accuracy within each group', () => {
    const labels = [0, 0, 1, 1, 2, 2, 2, 2];
    const predictions = [0, 0, 1, 0, 2, 0, 0, 0];
    const groups = { many: [0, 1], medium: [], few: [2] };
    expect(groupAccuracy(predictions, labels, groups, 3)).toEqual({ many: (1 + 0.5) / 2, medium: null, few: 0.25 });
  });
});

describe('degradation and confidence intervals', () => {
  it('reports the absolute and relative loss against the clean reference', () => {
    const d = degradation(0.8, 0.6);
    expect(d.absolute).toBeCloseTo(0.2, 12);
    expect(d.relative).toBeCloseTo(0.25, 12);
    expect(degradation(0, 0.1).relative).toBeNull();
    expect(degradation(0.5, 0.7).absolute).toBeCloseTo(-0.2, 12);
  });

  it('computes mean ± 1.96·sd/√n with the sample standard deviation', () => {
    const ci = meanConfidenceInterval([0.5, 0.7, 0.9, 0.7]);
    const sd = Math.sqrt(((0.2 ** 2) * 2) / 3);
    expect(ci.mean).toBeCloseTo(0.7, 12);
    expect(ci.sd).toBeCloseTo(sd, 12);
    expect(ci.halfWidth).toBeCloseTo((1.96 * sd) / 2, 12);
    expect(ci.low).toBeCloseTo(0.7 - ci.halfWidth, 12);
    expect(meanConfidenceInterval([0.3]).halfWidth).toBe(0);
    expect(() => meanConfidenceInterval([])).toThrow(/at least one value/);
  });

  test.prop([fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 50 })])('the interval contains the mean and shrinks as 1/√n when values repeat', (values) => {
    const once = meanConfidenceInterval(values);
    const four = meanConfidenceInterval([...values, ...values, ...values, ...values]);
    expect(once.low).toBeLessThanOrEqual(once.mean + 1e-12);
    expect(once.high).toBeGreaterThanOrEqual(once.mean - 1e-12);
    expect(four.mean).toBeCloseTo(once.mean, 10);
    // Same spread, four times the count: about half the width (sample sd changes slightly with n).
    if (once.sd > 1e-9) expect(four.halfWidth / once.halfWidth).toBeCloseTo(0.5 * (four.sd / once.sd), 10);
  });
});
