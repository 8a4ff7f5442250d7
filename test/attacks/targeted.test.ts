/**
 * Targeted evaluation: target rules (random, least-likely, one class), success meaning "reached
 * the target", robust accuracy still meaning "kept the label", targets fixed per image across ε
 * and batch sizes, and refusals for attacks without a targeted mode.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness, type RobustnessEvaluation } from '../../src/attacks/evaluate.js';
import { chooseTargets, parseTargetRule } from '../../src/attacks/targets.js';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { RandomStream } from '../../src/random/stream.js';

describe('target rules', () => {
  it('parses random, least-likely and class indices, and refuses anything else in one line', () => {
    expect(parseTargetRule('random')).toBe('random');
    expect(parseTargetRule('least-likely')).toBe('least-likely');
    expect(parseTargetRule('3')).toEqual({ class: 3 });
    for (const bad of ['', '-1', '2.5', 'most-likely']) expect(() => parseTargetRule(bad)).toThrow(/unknown target rule .*known: random, least-likely/);
  });

  test.prop([fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })])(
    'a random target is never the label, and each other class is drawn',
    (numClasses, seed) => {
      const labels = Int32Array.from({ length: 400 }, (_, i) => i % numClasses);
      const root = RandomStream.fromSeed(seed);
      const targets = chooseTargets('random', labels, numClasses, Array.from(labels, (_, i) => root.derive(i)));
      targets.forEach((t, i) => {
        expect(t).not.toBe(labels[i]);
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThan(numClasses);
      });
      // 400 draws over at most 11 other classes: each class appears (chance of a miss < 1e-10).
      expect(new Set(targets).size).toBe(numClasses);
    },
  );

  it('takes the least-likely class as given and leaves images of a fixed target class without a target', () => {
    const labels = Int32Array.of(0, 1, 2);
    const streams = Array.from(labels, (_, i) => RandomStream.fromSeed(i));
    expect(chooseTargets('least-likely', labels, 3, streams, Int32Array.of(2, 0, 1))).toEqual([2, 0, 1]);
    expect(chooseTargets({ class: 1 }, labels, 3, streams)).toEqual([1, null, 1]);
  });
});

describe('targeted evaluation on the bundled CNN (wasm)', () => {
  let model: LoadedClassifier;
  let data: Dataset;
  let pgd: RobustnessEvaluation;

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadClassifier('fmnist-cnn');
    data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(32);
    pgd = await evaluateRobustness(model, data, { attack: 'pgd', eps: [0, 0.05, 0.15], options: { steps: 5 }, seed: 2, batchSize: 32, targets: 'random', checks: 'all' });
  });
  afterAll(() => model.dispose());

  it('reports the target of every attacked image, the same at every ε, and the success rate per ε', () => {
    expect(pgd.targets).toBe('random');
    const attacked = pgd.perExample.filter((r) => r.cleanCorrect);
    for (const r of attacked) {
      expect(r.target).not.toBe(r.label);
      expect(r.targetReached).toBe(r.predicted === r.target);
      expect(r.adversarialCorrect).toBe(r.predicted === r.label);
    }
    const byImage = new Map<number, number | null | undefined>();
    for (const r of attacked) {
      if (byImage.has(r.index)) expect(r.target).toBe(byImage.get(r.index));
      byImage.set(r.index, r.target);
    }
    const rates = pgd.results.map((r) => r.targetedSuccessRate!);
    expect(rates[0]).toBe(0);
    expect(rates[2]).toBeGreaterThan(0.5); // an undefended CNN is steered at ε = 0.15
    for (const r of pgd.results) {
      const hits = pgd.perExample.filter((x) => x.eps === r.eps && x.targetReached).length;
      expect(r.targetedSuccessRate).toBeCloseTo(hits / r.targeted!, 12);
      // Reaching a wrong target breaks the image, so accuracy ≤ 1 − hits among the attacked.
      expect(r.robustCount).toBeLessThanOrEqual(r.attacked - hits);
    }
  });

  it('runs only the checks that say something about a targeted run', () => {
    expect(pgd.checksRun).not.toContain('iterative-beats-one-step');
    expect(pgd.checksRun).not.toContain('more-effort-no-better');
    expect(pgd.checksRun).toContain('norm-within-budget');
  });

  it('gives the same records whatever the batch size', async () => {
    const again = await evaluateRobustness(model, data, { attack: 'pgd', eps: [0, 0.05, 0.15], options: { steps: 5 }, seed: 2, batchSize: 13, targets: 'random', checks: 'none' });
    expect(again.perExample.map((r) => [r.target, r.predicted])).toEqual(pgd.perExample.map((r) => [r.target, r.predicted]));
  });

  it('leaves images of a fixed target class unattacked and counts only the others', async () => {
    const result = await evaluateRobustness(model, data, { attack: 'fgsm', eps: [0.1], seed: 0, targets: { class: 0 }, checks: 'none' });
    const ofClass = result.perExample.filter((r) => r.label === 0);
    expect(ofClass.length).toBeGreaterThan(0);
    for (const r of ofClass) expect(r).toMatchObject({ target: null, norm: 0, targetReached: false });
    const given = result.perExample.filter((r) => r.cleanCorrect && r.label !== 0).length;
    expect(result.results[0]!.targeted).toBe(given);
  });

  it('steers least-likely targets less often than random ones (they are the hardest)', async () => {
    const least = await evaluateRobustness(model, data, { attack: 'pgd', eps: [0.05], options: { steps: 5 }, seed: 2, targets: 'least-likely', checks: 'none' });
    expect(least.results[0]!.targetedSuccessRate).toBeLessThanOrEqual(pgd.results[1]!.targetedSuccessRate!);
  });

  it('refuses attacks without a targeted mode and classes the model does not have, in one line', async () => {
    await expect(evaluateRobustness(model, data, { attack: 'apgd-ce', eps: [0.1], seed: 0, targets: 'random' })).rejects.toThrow(/apgd-ce has no targeted mode \(attacks with one: fgsm, pgd/);
    await expect(evaluateRobustness(model, data, { attack: 'fgsm', eps: [0.1], seed: 0, targets: { class: 10 } })).rejects.toThrow(/target class 10 does not exist: the model has classes 0–9/);
  });
});
