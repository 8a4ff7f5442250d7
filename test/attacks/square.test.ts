/**
 * The Square attack on the bundled CNN (wasm): within ε and [0, 1], robust accuracy falling with
 * ε, reproducible per seed and per image, queries stop once an image breaks, memory flat, and a
 * quantised-input model whose gradient is zero (FGSM and PGD fail) still broken: black-box search
 * does not care about gradient masking. The pure parts (p schedule, square sides, bump) are
 * property-tested.
 */
import { fc, test as propTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness } from '../../src/attacks/evaluate.js';
import { fgsm } from '../../src/attacks/fgsm.js';
import { pgd } from '../../src/attacks/pgd.js';
import {
  l2SquareSide,
  linfSquareSide,
  runSquare,
  scoreLogits,
  square,
  squareBump,
  squareFraction,
  SQUARE_DEFAULT_P_INIT,
  type SquareOutput,
} from '../../src/attacks/square.js';
import type { AttackInput, Norm } from '../../src/attacks/types.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import type { Classifier, LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { RandomStream } from '../../src/random/stream.js';

const N = 50;
const SIZE = 28 * 28;
let model: LoadedClassifier;
let data: Dataset;
let images: tf.Tensor4D;
let pixels: Float32Array;
let labels: Int32Array;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(N);
  pixels = await data.read(Array.from({ length: N }, (_, i) => i));
  images = tf.tensor4d(pixels, [N, 28, 28, 1]);
  labels = data.labels;
});
afterAll(() => {
  images.dispose();
  model.dispose();
});

const streams = (seed: number, count = N) => Array.from({ length: count }, (_, i) => RandomStream.fromSeed(seed).derive(i));

/** The first `count` images with their labels and streams. */
function firstImages(count: number, seed = 1): AttackInput & { images: tf.Tensor4D } {
  return {
    images: tf.tensor4d(pixels.subarray(0, count * SIZE), [count, 28, 28, 1]),
    labels: labels.subarray(0, count),
    random: streams(seed, count),
  };
}

/** Norms of adversarial − clean measured in float64 on the host, and the adversarial range. */
async function measure(out: SquareOutput, clean: Float32Array, norm: Norm) {
  const adv = await out.adversarial.data();
  const norms = out.perExample.map((_, i) => {
    let m = 0;
    for (let j = i * SIZE; j < (i + 1) * SIZE; j++) {
      const d = adv[j]! - clean[j]!;
      m = norm === 'linf' ? Math.max(m, Math.abs(d)) : m + d * d;
    }
    return norm === 'linf' ? m : Math.sqrt(m);
  });
  return { norms, min: Math.min(...adv), max: Math.max(...adv) };
}

/** The classifier, counting the images each forward pass gets and the live tensors at each call. */
function spy(inner: Classifier) {
  const calls: { rows: number; tensors: number }[] = [];
  const classifier: Classifier = { ...inner, logits: (x) => (calls.push({ rows: x.shape[0], tensors: tf.memory().numTensors }), inner.logits(x)) };
  return { classifier, calls };
}

describe('square attack on the bundled CNN', () => {
  it.each([
    ['linf', 0.05, 200],
    ['l2', 1.0, 150],
  ] as const)('%s at ε = %s stays within ε and [0, 1], reports what it measured, and breaks most images', async (norm, eps, queries) => {
    const before = tf.memory().numTensors;
    const input = firstImages(24);
    const out = await runSquare(model, input, square.resolve(eps, { norm, queries }));
    const { norms, min, max } = await measure(out, pixels, norm);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    norms.forEach((n, i) => {
      expect(n).toBeLessThanOrEqual(eps + 1e-6);
      expect(out.perExample[i]!.norm).toBeCloseTo(n, 6);
    });
    // Successes are re-checked against a fresh forward pass of the returned images.
    const predicted = tf.tidy(() => tf.argMax(model.logits(out.adversarial), 1));
    const again = await predicted.data();
    out.perExample.forEach((e, i) => {
      expect(e.predicted).toBe(again[i]);
      expect(e.success).toBe(again[i] !== input.labels[i]);
    });
    expect(out.perExample.filter((e) => e.success).length).toBeGreaterThan(24 * 0.6);
    tf.dispose([predicted, out.adversarial, input.images]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lowers robust accuracy as ε grows on 50 images, with every norm within ε', async () => {
    const eps = [0.03, 0.06, 0.12];
    const result = await evaluateRobustness(model, data, { attack: square, eps, options: { queries: 100 }, seed: 7, batchSize: N, checks: 'none' });
    const accuracy = result.results.map((r) => r.robustAccuracy);
    expect(accuracy[0]).toBeLessThan(result.cleanAccuracy);
    expect(accuracy[1]).toBeLessThan(accuracy[0]!);
    expect(accuracy[2]).toBeLessThanOrEqual(accuracy[1]!);
    expect(accuracy[2]).toBeLessThan(0.1); // an undefended CNN falls at ε = 0.12
    result.results.forEach((r) => expect(r.maxNorm).toBeLessThanOrEqual(r.eps + 1e-6));
    // Queries spent: at least the start per attacked image, at most the budget, fewer as ε grows.
    expect(result.attackCost).toBeGreaterThanOrEqual(result.cleanCorrect * eps.length);
    expect(result.attackCost).toBeLessThanOrEqual(result.cleanCorrect * eps.length * 100);
    expect(result.params[0]).toEqual({ eps: 0.03, norm: 'linf', queries: 100, restarts: 1, pInit: SQUARE_DEFAULT_P_INIT });
  });

  it('gives identical results for the same seed and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const input = firstImages(12, seed);
      const out = await runSquare(model, input, square.resolve(0.03, { queries: 60 }));
      const adv = Array.from(await out.adversarial.data());
      tf.dispose([out.adversarial, input.images]);
      return { adv, perExample: out.perExample };
    };
    const [a, b, c] = [await run(4), await run(4), await run(5)];
    expect(b.adv).toEqual(a.adv);
    expect(b.perExample).toEqual(a.perExample);
    expect(c.adv).not.toEqual(a.adv);
  });

  it('gives an image the same result alone as in a batch (one stream per image)', async () => {
    const batch = firstImages(6, 9);
    const together = await runSquare(model, batch, square.resolve(0.03, { queries: 40 }));
    const all = await together.adversarial.data();
    for (const i of [1, 4]) {
      const alone: AttackInput = { images: tf.slice(batch.images, [i, 0, 0, 0], [1, 28, 28, 1]), labels: batch.labels.subarray(i, i + 1), random: [batch.random[i]!] };
      const single = await runSquare(model, alone, square.resolve(0.03, { queries: 40 }));
      expect(Array.from(await single.adversarial.data())).toEqual(Array.from(all.subarray(i * SIZE, (i + 1) * SIZE)));
      expect(single.perExample[0]!.queries).toBe(together.perExample[i]!.queries);
      tf.dispose([single.adversarial, alone.images]);
    }
    tf.dispose([together.adversarial, batch.images]);
  });

  it('stops querying an image once it is broken, spends the whole budget on the others, and keeps memory flat', async () => {
    const budget = 80;
    const { classifier, calls } = spy(model);
    const before = tf.memory().numTensors;
    const input = firstImages(16);
    const out = await runSquare(classifier, input, square.resolve(0.02, { queries: budget }));
    const queries = out.perExample.map((e) => e.queries);
    // Every row the model saw is an image's query; costPerImage is their mean.
    expect(calls.reduce((sum, c) => sum + c.rows, 0)).toBe(queries.reduce((a, b) => a + b, 0));
    expect(out.costPerImage).toBeCloseTo(queries.reduce((a, b) => a + b, 0) / 16, 10);
    out.perExample.forEach((e) => (e.success ? expect(e.queries).toBeLessThanOrEqual(budget) : expect(e.queries).toBe(budget)));
    expect(out.perExample.some((e) => e.success && e.queries < budget)).toBe(true);
    expect(out.perExample.some((e) => !e.success)).toBe(true);
    // The batch shrinks as images break, and no tensor survives a query.
    expect(calls.at(-1)!.rows).toBeLessThan(calls[0]!.rows);
    expect(new Set(calls.map((c) => c.tensors)).size).toBe(1);
    tf.dispose([out.adversarial, input.images]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('breaks a model with zero gradients (quantised input) that FGSM and PGD cannot', async () => {
    // round() has a zero gradient, so every white-box step is zero: gradient masking by construction.
    const quantised: Classifier = { ...model, logits: (x) => tf.tidy(() => model.logits(tf.div(tf.round(tf.mul(x, 255)), 255))) };
    const gradient = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(quantised.logits(x as tf.Tensor4D)))(images));
    expect(await tf.max(tf.abs(gradient)).data()).toEqual(new Float32Array([0]));
    gradient.dispose();

    const subset = data.take(30);
    // The sanity checks (which would flag this model) are not under test here: the attacks are.
    const options = { attack: square, eps: [0.1], seed: 2, batchSize: 30, checks: 'none' as const };
    const black = await evaluateRobustness(quantised, subset, { ...options, options: { queries: 100 } });
    const white = await evaluateRobustness(quantised, subset, { ...options, attack: pgd, options: { steps: 5 } });
    const oneStep = await evaluateRobustness(quantised, subset, { ...options, attack: fgsm });
    const clean = black.cleanAccuracy;
    expect(oneStep.results[0]!.robustAccuracy).toBe(clean); // a zero step changes nothing
    expect(white.results[0]!.robustAccuracy).toBeGreaterThan(clean - 0.2); // only its random start can help
    expect(black.results[0]!.robustAccuracy).toBeLessThan(0.1);
  });

  it('pushes images to a target class in targeted mode', async () => {
    const input = firstImages(10);
    const targets = Int32Array.from(input.labels, (l) => (l + 1) % 10);
    const out = await runSquare(model, { ...input, targets }, square.resolve(0.1, { queries: 150 }));
    out.perExample.forEach((e, i) => expect(e.success).toBe(e.predicted === targets[i]));
    expect(out.perExample.filter((e) => e.success).length).toBeGreaterThanOrEqual(7);
    tf.dispose([out.adversarial, input.images]);
  });

  it('never breaks fewer images with more restarts (each restart only retries the unbroken ones)', async () => {
    const one = await runSquare(model, firstImages(12), square.resolve(0.015, { queries: 30, restarts: 1 }));
    const three = await runSquare(model, firstImages(12), square.resolve(0.015, { queries: 30, restarts: 3 }));
    one.perExample.forEach((e, i) => {
      if (e.success) expect(three.perExample[i]).toEqual(e);
      else expect(three.perExample[i]!.queries).toBeGreaterThan(e.queries);
    });
    expect(three.perExample.filter((e) => e.success).length).toBeGreaterThan(one.perExample.filter((e) => e.success).length);
    tf.dispose([one.adversarial, three.adversarial]);
  });

  it('leaves the images untouched at ε = 0, after one query each', async () => {
    const input = firstImages(8);
    const out = await runSquare(model, input, square.resolve(0, {}));
    expect(Array.from(await out.adversarial.data())).toEqual(Array.from(pixels.subarray(0, 8 * SIZE)));
    expect(out.perExample.every((e) => e.queries === 1 && e.norm === 0)).toBe(true);
    tf.dispose([out.adversarial, input.images]);
  });

  it('fills every default and refuses what it does not take', () => {
    expect(square.resolve(0.1, {})).toEqual({ eps: 0.1, norm: 'linf', queries: 5000, restarts: 1, pInit: 0.8 });
    expect(square.resolve(0.5, { norm: 'l2', queries: 1000, restarts: 2 })).toMatchObject({ norm: 'l2', queries: 1000, restarts: 2 });
    expect(square.kind).toBe('black-box');
    expect(() => square.resolve(0.1, { stepSize: 0.01 })).toThrow(/square does not take --step-size/);
    expect(() => square.resolve(0.1, { randomStart: false })).toThrow(UserInputError);
    expect(() => square.resolve(0.1, { queries: 0 })).toThrow(/queries must be a positive integer/);
    expect(() => square.resolve(0.1, { steps: 10 })).toThrow(/square does not take --steps/);
    expect(() => square.resolve(2, {})).toThrow(/above 1/);
  });
});

describe('square attack pieces', () => {
  it('follows the reference p schedule on a 10,000-query run and rescales it to the budget', () => {
    const at = (iteration: number, budget = 10000) => squareFraction(0.8, iteration, budget);
    expect([0, 10, 11, 50, 51, 200, 201, 1000, 1001, 8000, 8001, 9999].map((i) => at(i))).toEqual(
      [0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.05, 0.025, 0.8 / 256, 0.8 / 512, 0.8 / 512],
    );
    expect(at(100, 1000)).toBe(at(1000)); // iteration 100 of 1,000 is iteration 1,000 of 10,000
  });

  propTest.prop([fc.double({ min: 0.001, max: 1, noNaN: true }), fc.integer({ min: 1, max: 20000 }), fc.integer({ min: 0, max: 19999 })])(
    'p never grows over the run and stays within [p_init/512, p_init]',
    (pInit, budget, raw) => {
      const iteration = raw % budget;
      const p = squareFraction(pInit, iteration, budget);
      expect(p).toBeLessThanOrEqual(pInit);
      expect(p).toBeGreaterThanOrEqual(pInit / 512);
      if (iteration + 1 < budget) expect(squareFraction(pInit, iteration + 1, budget)).toBeLessThanOrEqual(p);
    },
  );

  propTest.prop([fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 })])(
    'square sides fit the image (L2: odd and at least 3 where the image allows)',
    (p, height, width) => {
      const linf = linfSquareSide(p, height, width);
      expect(linf).toBeGreaterThanOrEqual(1);
      expect(linf).toBeLessThanOrEqual(Math.max(1, Math.min(height, width) - 1));
      const l2 = l2SquareSide(p, height, width);
      expect(l2).toBeLessThanOrEqual(Math.min(height, width));
      if (Math.min(height, width) >= 3 && l2 < Math.min(height, width)) expect(l2 % 2).toBe(1);
      if (Math.min(height, width) >= 3) expect(l2).toBeGreaterThanOrEqual(3);
    },
  );

  propTest.prop([fc.integer({ min: 2, max: 40 }), fc.boolean()])('the L2 bump has unit length, a positive half and a negative half', (side, transpose) => {
    const bump = squareBump(side, transpose);
    expect(bump.reduce((s, v) => s + v * v, 0)).toBeCloseTo(1, 10);
    const half = Math.floor(side / 2);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const [row, value] = transpose ? [c, bump[r * side + c]!] : [r, bump[r * side + c]!];
        expect(row < half ? value > 0 : value < 0).toBe(true);
      }
    }
    const plain = squareBump(side, false);
    if (transpose) for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) expect(bump[c * side + r]).toBe(plain[r * side + c]);
  });

  it('scores logits by margin (untargeted) or cross-entropy to the target, with first-max ties', () => {
    const logits = [1, 3, 2];
    expect(scoreLogits(logits, 1, undefined)).toMatchObject({ predicted: 1, success: false, objective: 1 });
    expect(scoreLogits(logits, 2, undefined)).toMatchObject({ predicted: 1, success: true, objective: -1 });
    const ce = Math.log(Math.exp(1) + Math.exp(3) + Math.exp(2)) - 1;
    expect(scoreLogits(logits, 2, 0).objective).toBeCloseTo(ce, 12);
    expect(scoreLogits(logits, 2, 0)).toMatchObject({ success: false, loss: scoreLogits(logits, 2, 0).objective });
    expect(scoreLogits([2, 2], 1, undefined)).toMatchObject({ predicted: 0, success: true, objective: 0 });
  });
});
