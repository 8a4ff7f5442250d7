/**
 * APGD-CE, APGD-T, APGD-DLR and the ensemble on the bundled CNN (wasm): within budget, falling
 * with ε, at least as strong as their baselines, each example's worst case over members, and
 * reproducible from the seed with a flat tensor count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apgdCe, apgdT } from '../../src/attacks/apgd.js';
import { evaluateRobustness, type RobustnessEvaluation } from '../../src/attacks/evaluate.js';
import { dlrLoss, targetedDlrLoss } from '../../src/attacks/losses.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';

let model: LoadedClassifier;
let data: Dataset;
const EPS = [0.01, 0.02, 0.04];
/** APGD's schedule needs some steps to pay off: at 8 it can trail PGD by a couple of images. */
const STEPS = 20;
const SHORT = 6;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(32);
});
afterAll(() => model.dispose());

const robust = (r: RobustnessEvaluation) => r.results.map((x) => x.robustCount);
/** Dataset positions left robust at one ε. */
const robustSet = (r: RobustnessEvaluation, eps: number) => new Set(r.perExample.filter((e) => e.eps === eps && e.adversarialCorrect).map((e) => e.index));

describe('the DLR losses', () => {
  it('are invariant to the logits\' scale and shift, and negative exactly when the label leads', async () => {
    const logits = tf.tensor2d([[3, 1, 0.5, -2], [0, 2, 1, -1]]);
    const labels = tf.tensor1d([0, 0], 'int32');
    const targets = tf.tensor1d([1, 2], 'int32');
    const base = await dlrLoss(logits, labels).array();
    const scaled = await dlrLoss(tf.add(tf.mul(logits, 7), 3) as tf.Tensor2D, labels).array();
    base.forEach((v, i) => expect(scaled[i]).toBeCloseTo(v, 5));
    expect(base[0]).toBeCloseTo(-(3 - 1) / (3 - 0.5), 6);
    expect(base[1]).toBeCloseTo(2 / (2 - 0), 6);
    const targeted = await targetedDlrLoss(logits, labels, targets).array();
    expect(targeted[0]).toBeCloseTo(-(3 - 1) / (3 - (0.5 - 2) / 2), 6);
    expect(targeted[1]).toBeCloseTo(-(0 - 1) / (2 - (0 + -1) / 2), 6);
    tf.dispose([logits, labels, targets]);
  });

  it('have gradients that match finite differences', async () => {
    const labels = tf.tensor1d([0, 1], 'int32');
    const targets = tf.tensor1d([2, 3], 'int32');
    const rows = [[3, 1, 0.5, -2], [0, 2, 1, -1]];
    for (const loss of [(l: tf.Tensor) => tf.sum(dlrLoss(l as tf.Tensor2D, labels)), (l: tf.Tensor) => tf.sum(targetedDlrLoss(l as tf.Tensor2D, labels, targets))]) {
      const gradient = (await tf.grad(loss)(tf.tensor2d(rows)).array()) as number[][];
      const at = async (values: number[][]) => (await loss(tf.tensor2d(values)).data())[0]!;
      const base = await at(rows);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 4; j++) {
          const moved = rows.map((row) => [...row]);
          moved[i]![j]! += 1e-3;
          expect(gradient[i]![j]!).toBeCloseTo((await at(moved) - base) / 1e-3, 2);
        }
      }
    }
    tf.dispose([labels, targets]);
  });
});

describe('APGD and the ensemble on the bundled CNN', () => {
  let pgd: RobustnessEvaluation;
  let ce: RobustnessEvaluation;
  let ceShort: RobustnessEvaluation;
  let targeted: RobustnessEvaluation;
  let ensemble: RobustnessEvaluation;
  let tensorsBefore: number;

  beforeAll(async () => {
    tensorsBefore = tf.memory().numTensors;
    const common = { eps: EPS, seed: 4, batchSize: 16, checks: 'none' } as const;
    pgd = await evaluateRobustness(model, data, { ...common, attack: 'pgd', options: { steps: STEPS } });
    ce = await evaluateRobustness(model, data, { ...common, attack: 'apgd-ce', options: { steps: STEPS } });
    ceShort = await evaluateRobustness(model, data, { ...common, attack: 'apgd-ce', options: { steps: SHORT } });
    targeted = await evaluateRobustness(model, data, { ...common, attack: 'apgd-t', options: { steps: SHORT, targetClasses: 3 } });
    ensemble = await evaluateRobustness(model, data, { ...common, attack: 'ensemble', options: { steps: SHORT, targetClasses: 3, queries: 100 } });
  }, 600_000);

  it('fall monotonically with ε and stay within it', () => {
    for (const result of [ce, ceShort, targeted, ensemble]) {
      const counts = robust(result);
      for (let k = 1; k < counts.length; k++) expect(counts[k]).toBeLessThanOrEqual(counts[k - 1]!);
      for (const r of result.results) expect(r.maxNorm).toBeLessThanOrEqual(r.eps + 1e-6);
    }
  });

  it('APGD-CE is at least as strong as PGD with the same number of steps (within one image)', () => {
    robust(ce).forEach((count, k) => expect(count).toBeLessThanOrEqual(robust(pgd)[k]! + 1));
  });

  it('the ensemble leaves robust only images every member left robust, and says which member broke each', () => {
    for (const eps of EPS) {
      const left = robustSet(ensemble, eps);
      for (const member of [ceShort, targeted]) for (const index of left) expect(robustSet(member, eps).has(index)).toBe(true);
    }
    const breakers = new Set(ensemble.perExample.map((e) => e.brokenBy));
    expect([...breakers].every((b) => b === null || ['clean', 'apgd-ce', 'apgd-t', 'square'].includes(b))).toBe(true);
    expect(breakers.has('apgd-ce')).toBe(true);
    expect(ensemble.params[0]).toMatchObject({ members: [{ attack: 'apgd-ce' }, { attack: 'apgd-t' }, { attack: 'square' }] });
  });

  it('costs only what it ran: APGD-T runs on fewer images per target than APGD-CE restarts', () => {
    expect(ce.attackCost).toBe(ce.cleanCorrect * EPS.length * (STEPS + 1));
    expect(targeted.attackCost).toBeLessThan(targeted.cleanCorrect * EPS.length * 3 * (SHORT + 1));
  });

  it('gives the same numbers for the same seed, and keeps the tensor count flat', async () => {
    const again = await evaluateRobustness(model, data, { eps: EPS, seed: 4, batchSize: 32, checks: 'none', attack: 'apgd-t', options: { steps: SHORT, targetClasses: 3 } });
    expect(robust(again)).toEqual(robust(targeted));
    expect(again.perExample.map((e) => e.predicted)).toEqual(targeted.perExample.map((e) => e.predicted));
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('fills every default (100 steps, 9 targets) and refuses what an attack does not take', () => {
    expect(apgdCe.resolve(0.1, {})).toEqual({ eps: 0.1, norm: 'linf', steps: 100, restarts: 1 });
    expect(apgdT.resolve(0.5, { norm: 'l2' })).toEqual({ eps: 0.5, norm: 'l2', steps: 100, restarts: 1, targetClasses: 9 });
    expect(() => apgdCe.resolve(0.1, { stepSize: 0.01 })).toThrow(/apgd-ce does not take --step-size/);
    expect(() => apgdCe.resolve(0.1, { targetClasses: 2 })).toThrow(/apgd-ce does not take --target-classes/);
  });
});
