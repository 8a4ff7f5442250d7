/** The minimal-ε search: radii within the search, consistent with the accuracy curve, reproducible. */
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMinimalEps, medianRadius, resolveMinEps, type MinEpsEvaluation } from '../../src/attacks/min-eps.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';

let model: LoadedClassifier;
let data: Dataset;
let search: MinEpsEvaluation;
const MAX_EPS = 0.08;
const REPORT = [0.005, 0.01, 0.02, 0.04, 0.08];

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(32);
  search = await evaluateMinimalEps(model, data, { maxEps: MAX_EPS, eps: REPORT, steps: 5, bisections: 6, seed: 7 });
});
afterAll(() => model.dispose());

describe('minimal-ε search on the bundled CNN', () => {
  it('gives each clean-correct image a radius within the search, and 0 to misclassified ones', () => {
    expect(search.perExample).toHaveLength(32);
    for (const r of search.perExample) {
      if (!r.cleanCorrect) expect(r.radius).toBe(0);
      else if (r.radius !== null) {
        expect(r.radius).toBeGreaterThan(0);
        expect(r.radius).toBeLessThanOrEqual(MAX_EPS + 1e-6);
        expect(r.predicted).not.toBe(r.label);
      }
    }
    // An undefended CNN breaks well inside L∞ 0.08.
    expect(search.perExample.filter((r) => r.cleanCorrect && r.radius === null).length).toBeLessThan(3);
  });

  it('reads a robust accuracy curve off the radii that falls with ε, and a median inside it', () => {
    const accuracies = search.results.map((r) => r.robustAccuracy);
    for (let k = 1; k < accuracies.length; k++) expect(accuracies[k]).toBeLessThanOrEqual(accuracies[k - 1]!);
    expect(accuracies[0]).toBeLessThanOrEqual(search.cleanAccuracy);
    expect(search.medianRadius).not.toBeNull();
    expect(search.medianRadius!).toBeGreaterThan(0);
    expect(search.medianRadius!).toBeLessThan(MAX_EPS);
    expect(search.attackCost).toBeLessThanOrEqual(search.cleanCorrect * 7 * 5);
  });

  it('gives the same radii for the same seed and another batch size, with a flat tensor count', async () => {
    const before = tf.memory().numTensors;
    const again = await evaluateMinimalEps(model, data, { maxEps: MAX_EPS, eps: REPORT, steps: 5, bisections: 6, seed: 7, batchSize: 10 });
    expect(again.perExample.map((r) => r.radius)).toEqual(search.perExample.map((r) => r.radius));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an empty search, ε beyond it and bad counts', async () => {
    expect(() => resolveMinEps({ maxEps: 0 })).toThrow(UserInputError);
    expect(() => resolveMinEps({ maxEps: 0.1, bisections: 0 })).toThrow(/bisections must be a positive integer/);
    await expect(evaluateMinimalEps(model, data, { maxEps: 0.1, eps: [0.2], seed: 0 })).rejects.toThrow(/beyond the search's upper end/);
  });
});

describe('median radius', () => {
  test.prop([fc.array(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }), { minLength: 1, maxLength: 40 })])(
    'splits the radii in half, counting unbroken images as +∞',
    (radii) => {
      const median = medianRadius(radii);
      const values = radii.map((r) => r ?? Infinity);
      if (median === null) {
        expect(values.filter((v) => v === Infinity).length * 2).toBeGreaterThanOrEqual(values.length);
      } else {
        expect(values.filter((v) => v <= median).length * 2).toBeGreaterThanOrEqual(values.length);
        expect(values.filter((v) => v >= median).length * 2).toBeGreaterThanOrEqual(values.length);
      }
    },
  );
});
