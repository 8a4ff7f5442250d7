/**
 * The sanity checks, each tripped by a model built to trip it, and silent on the bundled CNN:
 * a softmax output, dropout left in training mode, a zero input gradient; plus the result
 * checks on hand-made results.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness, type EpsResult } from '../../src/attacks/evaluate.js';
import { sanityChecks, selectChecks } from '../../src/attacks/sanity/catalogue.js';
import { monotoneInEps, normWithinBudget } from '../../src/attacks/sanity/result-checks.js';
import type { SanityContext } from '../../src/attacks/sanity/types.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import type { Classifier, LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';

let model: LoadedClassifier;
let data: Dataset;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(16);
});
afterAll(() => model.dispose());

/** The bundled CNN with something wrong in front of or behind it. */
function wrapped(name: string, logits: (images: tf.Tensor4D) => tf.Tensor2D): Classifier {
  return { name, inputShape: model.inputShape, numClasses: model.numClasses, logits: (images) => tf.tidy(() => logits(images)) };
}

const softmaxOutput = () => wrapped('softmax-output', (x) => tf.softmax(model.logits(x)));
const dropout = tfl.layers.dropout({ rate: 0.5 });
const dropoutInTraining = () => wrapped('dropout-training', (x) => dropout.apply(model.logits(x), { training: true }) as tf.Tensor2D);
/** Rounding has a zero gradient everywhere: gradient attacks see a flat loss. */
const zeroGradient = () => wrapped('zero-gradient', (x) => model.logits(tf.div(tf.round(tf.mul(x, 8)), 8) as tf.Tensor4D));

const quickPgd = { attack: 'pgd', eps: [0.05], options: { steps: 3 }, seed: 1 } as const;
const checksOf = (flags: readonly { check: string }[]) => [...new Set(flags.map((f) => f.check))];

describe('sanity checks on models built to trip them', () => {
  it('stay silent on the bundled CNN (logits, deterministic, useful gradients)', async () => {
    const result = await evaluateRobustness(model, data, { ...quickPgd, checks: 'quick' });
    expect(result.flags).toEqual([]);
    expect(result.checksRun).toEqual(['deterministic-outputs', 'batch-size-invariance', 'logits-not-probabilities', 'input-gradients', 'norm-within-budget']);
  });

  it('flag a softmax output', async () => {
    const result = await evaluateRobustness(softmaxOutput(), data, { ...quickPgd, checks: 'quick' });
    expect(checksOf(result.flags)).toEqual(['logits-not-probabilities']);
    expect(result.flags[0]!.message).toMatch(/probabilities.*remove the final softmax/);
  });

  it('flag dropout left in training mode: outputs change between identical calls', async () => {
    const result = await evaluateRobustness(dropoutInTraining(), data, { ...quickPgd, checks: ['deterministic-outputs', 'batch-size-invariance'] });
    expect(checksOf(result.flags)).toEqual(['deterministic-outputs', 'batch-size-invariance']);
    expect(result.flags.every((f) => f.severity === 'error')).toBe(true);
  });

  it('flag a zero input gradient, and a black-box attack breaking what the gradient attack cannot', async () => {
    const result = await evaluateRobustness(zeroGradient(), data, {
      attack: 'pgd', eps: [0.1], options: { steps: 3, randomStart: false }, seed: 1,
      checks: ['input-gradients', 'white-box-beats-black-box'],
    });
    expect(checksOf(result.flags)).toEqual(['input-gradients', 'white-box-beats-black-box']);
    expect(result.flags[0]!.message).toMatch(/16 of 16 images have an all-zero input gradient/);
  });

  it('the unbounded check breaks every image of a working model, and runs the re-attacks on it silently', async () => {
    const result = await evaluateRobustness(model, data, { attack: 'pgd', eps: [0.02, 0.05], options: { steps: 5 }, seed: 2 });
    expect(result.checksRun).toEqual(sanityChecks.ids());
    expect(result.flags).toEqual([]);
  });

  it('selects checks by name and refuses unknown ones, listing the known', () => {
    expect(selectChecks('none')).toEqual([]);
    expect(selectChecks(['monotone-in-eps']).map((c) => c.id)).toEqual(['monotone-in-eps']);
    expect(() => selectChecks(['gradient-masking'])).toThrow(UserInputError);
    expect(() => selectChecks(['gradient-masking'])).toThrow(/unknown sanity check 'gradient-masking' \(known: deterministic-outputs/);
  });
});

describe('result checks', () => {
  const result = (eps: number, robustCount: number, maxNorm = eps): EpsResult =>
    ({ eps, robustAccuracy: robustCount / 100, robustCount, attacked: 90, meanNorm: maxNorm, maxNorm });
  const context = (results: EpsResult[]) => ({ results }) as unknown as SanityContext;

  it('flag robust accuracy rising with ε by more than one example, and nothing else', async () => {
    expect(await monotoneInEps.run(context([result(0.1, 50), result(0.2, 51), result(0.3, 10)]))).toEqual([]);
    const found = await monotoneInEps.run(context([result(0.3, 10), result(0.1, 50), result(0.2, 53)]));
    expect(found).toHaveLength(1);
    expect(found![0]!.message).toMatch(/rises from 50 images at ε = 0.1 to 53 at ε = 0.2/);
    expect(await monotoneInEps.run(context([result(0.1, 50)]))).toBeNull();
  });

  it('flag a measured norm beyond ε, allowing 1e-6 of float error', async () => {
    expect(await normWithinBudget.run(context([result(0.1, 5, 0.1 + 5e-7)]))).toEqual([]);
    const found = await normWithinBudget.run(context([result(0.1, 5, 0.1001)]));
    expect(found).toMatchObject([{ check: 'norm-within-budget', severity: 'error' }]);
  });
});

describe('the convergence check', () => {
  it('flags an attack that more steps of the same size would make much stronger', async () => {
    const result = await evaluateRobustness(model, data, {
      attack: 'pgd', eps: [0.05], options: { steps: 2, stepSize: 0.002 }, seed: 3, checks: ['more-effort-no-better'],
    });
    expect(result.checksRun).toEqual(['more-effort-no-better']);
    expect(result.flags).toHaveLength(1);
    expect(result.flags[0]!.message).toMatch(/doubling steps to 4 broke \d+ more of 16 probe images: the attack has not converged/);
  });
});
