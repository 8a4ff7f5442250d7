/**
 * Robust-accuracy evaluation on the bundled CNN (wasm): monotone in ε, PGD at most FGSM,
 * ε = 0 gives clean accuracy, reproducible from the seed, independent of the batch size, and
 * memory flat across batches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness, type RobustnessEvaluation } from '../../src/attacks/evaluate.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { evaluateClean } from '../../src/runner/clean-eval.js';
import { expectEqualUpToRounding } from '../helpers/rounding.js';

let model: LoadedClassifier;
let data: Dataset;
const EPS = [0, 0.01, 0.02, 0.05];

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(64);
});
afterAll(() => model.dispose());

const accuracies = (r: RobustnessEvaluation) => r.results.map((x) => x.robustAccuracy);

describe('evaluateRobustness on the bundled CNN', () => {
  let pgd10: RobustnessEvaluation;
  let fgsm: RobustnessEvaluation;

  beforeAll(async () => {
    pgd10 = await evaluateRobustness(model, data, { attack: 'pgd', eps: EPS, options: { steps: 10 }, seed: 3, batchSize: 64 });
    fgsm = await evaluateRobustness(model, data, { attack: 'fgsm', eps: EPS, seed: 3, batchSize: 64 });
  });

  it('gives the clean accuracy at ε = 0 and falls monotonically with ε under PGD-10', async () => {
    const clean = await evaluateClean(model, data);
    expect(pgd10.cleanAccuracy).toBe(clean.accuracy);
    expect(pgd10.results[0]!.robustAccuracy).toBe(clean.accuracy);
    expect(pgd10.results[0]!.maxNorm).toBe(0);
    const acc = accuracies(pgd10);
    for (let k = 1; k < acc.length; k++) expect(acc[k]).toBeLessThanOrEqual(acc[k - 1]!);
    expect(acc[2]).toBeLessThan(acc[0]!); // the attack does something at ε = 0.02
    expect(acc.at(-1)).toBeLessThan(0.2); // an undefended CNN breaks at ε = 0.05
  });

  it('finds PGD at most as accurate as FGSM at every ε', () => {
    expect(fgsm.results[0]!.robustAccuracy).toBe(fgsm.cleanAccuracy);
    accuracies(pgd10).forEach((a, k) => expect(a).toBeLessThanOrEqual(accuracies(fgsm)[k]!));
  });

  it('reports measured norms within ε, and per-example records that add up', () => {
    for (const r of [...pgd10.results, ...fgsm.results]) {
      expect(r.maxNorm).toBeLessThanOrEqual(r.eps + 1e-6);
      expect(r.meanNorm).toBeLessThanOrEqual(r.maxNorm);
      expect(r.attacked).toBe(pgd10.cleanCorrect);
    }
    expect(pgd10.perExample).toHaveLength(EPS.length * data.size);
    for (const [k, r] of pgd10.results.entries()) {
      const records = pgd10.perExample.filter((e) => e.eps === r.eps);
      expect(records.map((e) => e.index)).toEqual(Array.from({ length: data.size }, (_, i) => i));
      expect(records.filter((e) => e.adversarialCorrect).length).toBe(r.robustCount);
      for (const e of records) {
        expect(e.label).toBe(data.labels[e.index]);
        expect(e.brokenBy).toBe(!e.cleanCorrect ? 'clean' : e.adversarialCorrect ? null : 'pgd');
        expect(e.adversarialCorrect).toBe(e.predicted === e.label);
        expect(Number.isFinite(e.loss)).toBe(true);
      }
      expect(pgd10.params[k]).toEqual({ eps: r.eps, norm: 'linf', steps: 10, stepSize: (2.5 * r.eps) / 10, restarts: 1, randomStart: true });
    }
    expect(pgd10.seed).toBe(3);
    expect(pgd10.attackCost).toBe(EPS.length * pgd10.cleanCorrect * 10);
  });

  it('gives identical numbers for the same seed, for another batch size, and keeps the tensor count flat', async () => {
    // Quick checks: the re-attacking ones would run four times over and are not what is compared here.
    const opts = { attack: 'pgd', eps: [0.02], options: { steps: 3, norm: 'l2' as const }, seed: 11, checks: 'quick' as const };
    const small = data.take(40);
    const a = await evaluateRobustness(model, small, { ...opts, batchSize: 40 });
    const b = await evaluateRobustness(model, small, { ...opts, batchSize: 40 });
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const c = await evaluateRobustness(model, small, { ...opts, batchSize: 7, onProgress: () => counts.push(tf.memory().numTensors) });
    expect(b.results).toEqual(a.results);
    expect(b.perExample).toEqual(a.perExample);
    // Another batch size: the same predictions and counts; norms and losses up to float rounding.
    expectEqualUpToRounding(c.results, a.results);
    expectEqualUpToRounding(c.perExample, a.perExample);
    expect(counts).toHaveLength(6);
    expect(new Set(counts)).toEqual(new Set([before]));
    const other = await evaluateRobustness(model, small, { ...opts, seed: 12, batchSize: 40 });
    expect(other.perExample.map((e) => e.loss)).not.toEqual(a.perExample.map((e) => e.loss));
  });
});
