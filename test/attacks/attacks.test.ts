/** The attacks themselves on one batch of the bundled CNN (wasm): budgets, ranges, targeting, restarts, options. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attacks } from '../../src/attacks/catalogue.js';
import { apgdCe, apgdDlr, apgdT } from '../../src/attacks/apgd.js';
import { fgsm } from '../../src/attacks/fgsm.js';
import { pgd } from '../../src/attacks/pgd.js';
import type { AnyAttack, AttackInput, AttackOutput, Norm } from '../../src/attacks/types.js';
import { useBackend } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { RandomStream } from '../../src/random/stream.js';

let model: LoadedClassifier;
let images: tf.Tensor4D;
let pixels: Float32Array;
let labels: Int32Array;
const N = 24;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  const dataset = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(N);
  pixels = await dataset.read(Array.from({ length: N }, (_, i) => i));
  images = tf.tensor4d(pixels, [N, 28, 28, 1]);
  labels = dataset.labels;
});
afterAll(() => {
  images.dispose();
  model.dispose();
});

const streams = (seed: number) => Array.from({ length: N }, (_, i) => RandomStream.fromSeed(seed).derive(i));
const input = (extra: Partial<AttackInput> = {}): AttackInput => ({ images, labels, random: streams(5), ...extra });

/** Measured norms (float64 on the host) and the range of an adversarial batch. */
async function measure(out: AttackOutput, norm: Norm): Promise<{ norms: number[]; min: number; max: number }> {
  const adv = await out.adversarial.data();
  const size = 28 * 28;
  const norms = Array.from({ length: N }, (_, i) => {
    let m = 0;
    for (let j = i * size; j < (i + 1) * size; j++) {
      const d = adv[j]! - pixels[j]!;
      m = norm === 'linf' ? Math.max(m, Math.abs(d)) : m + d * d;
    }
    return norm === 'linf' ? m : Math.sqrt(m);
  });
  let min = Infinity;
  let max = -Infinity;
  for (const v of adv) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { norms, min, max };
}

describe.each([
  ['linf', 0.08],
  ['l2', 1.0],
] as const)('%s attacks at ε = %s', (norm, eps) => {
  it.each([fgsm, pgd, apgdCe, apgdT, apgdDlr] as AnyAttack[])('$id stays within ε and [0, 1], and reports what it measured', async (attack) => {
    const before = tf.memory().numTensors;
    const settings = attack === fgsm ? {} : attack === apgdT ? { steps: 4, targetClasses: 2 } : { steps: 5 };
    const out = await attack.run(model, input(), attack.resolve(eps, { norm, ...settings }));
    const { norms, min, max } = await measure(out, norm);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    norms.forEach((n, i) => {
      expect(n).toBeLessThanOrEqual(eps + 1e-6);
      expect(out.perExample[i]!.norm).toBeCloseTo(n, 5);
    });
    expect(out.perExample.filter((e) => e.success).length).toBeGreaterThan(N / 2);
    out.adversarial.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('attacks', () => {
  it('targeted PGD pushes images to the target class, far more often than untargeted PGD lands there', async () => {
    const targets = Int32Array.from(labels, (l) => (l + 1) % 10);
    const params = pgd.resolve(0.1, { steps: 10 });
    const targeted = await pgd.run(model, input({ targets }), params);
    const untargeted = await pgd.run(model, input(), params);
    const hits = (o: AttackOutput) => o.perExample.filter((e, i) => e.predicted === targets[i]).length;
    expect(targeted.perExample.every((e, i) => e.success === (e.predicted === targets[i]))).toBe(true);
    expect(hits(targeted)).toBeGreaterThan(N * 0.75);
    expect(hits(targeted)).toBeGreaterThan(hits(untargeted));
    tf.dispose([targeted.adversarial, untargeted.adversarial]);
  });

  it('targeted FGSM lowers the loss towards the target', async () => {
    const targets = Int32Array.from(labels, (l) => (l + 3) % 10);
    const zero = await fgsm.run(model, input({ targets }), fgsm.resolve(0, {}));
    const step = await fgsm.run(model, input({ targets }), fgsm.resolve(0.05, {}));
    const mean = (o: AttackOutput) => o.perExample.reduce((s, e) => s + e.loss, 0) / N;
    expect(mean(step)).toBeLessThan(mean(zero));
    tf.dispose([zero.adversarial, step.adversarial]);
  });

  it('keeps each example\'s worst case over restarts: more restarts never break fewer', async () => {
    const one = await pgd.run(model, input(), pgd.resolve(0.015, { steps: 3, restarts: 1 }));
    const three = await pgd.run(model, input(), pgd.resolve(0.015, { steps: 3, restarts: 3 }));
    one.perExample.forEach((e, i) => {
      if (e.success) expect(three.perExample[i]!.success).toBe(true);
      else if (!three.perExample[i]!.success) expect(three.perExample[i]!.loss).toBeGreaterThanOrEqual(e.loss);
    });
    expect(three.costPerImage).toBeGreaterThan(one.costPerImage);
    tf.dispose([one.adversarial, three.adversarial]);
  });

  it('leaves the images untouched at ε = 0', async () => {
    for (const attack of [fgsm, pgd] as AnyAttack[]) {
      const out = await attack.run(model, input(), attack.resolve(0, {}));
      expect(Array.from(await out.adversarial.data())).toEqual(Array.from(pixels));
      out.adversarial.dispose();
    }
  });

  it('fills every default and refuses what it does not take', () => {
    expect(pgd.resolve(0.1, {})).toEqual({ eps: 0.1, norm: 'linf', steps: 10, stepSize: 0.025, restarts: 1, randomStart: true });
    expect(pgd.resolve(0.5, { norm: 'l2', steps: 20, restarts: 2 })).toMatchObject({ stepSize: 2.5 * 0.5 / 20, restarts: 2 });
    expect(fgsm.resolve(0.1, {})).toEqual({ eps: 0.1, norm: 'linf' });
    expect(() => fgsm.resolve(0.1, { steps: 5 })).toThrow(/fgsm does not take --steps/);
    expect(() => pgd.resolve(-0.1, {})).toThrow(UserInputError);
    expect(() => pgd.resolve(1.5, {})).toThrow(/above 1/);
    expect(() => pgd.resolve(0.1, { steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => pgd.resolve(0.1, { restarts: 3, randomStart: false })).toThrow(/random start/);
    expect(() => attacks.get('cw')).toThrow(/unknown attack 'cw' \(known: fgsm, pgd, apgd-ce, apgd-t, apgd-dlr, square, ensemble\)/);
  });
});
