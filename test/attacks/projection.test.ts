/** Properties of the projections and random starts, plus ε presets and parsing (no model needed). */
import { test as propTest, fc } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { perturbationNorms, project, randomStart } from '../../src/attacks/ops.js';
import { EPS_PRESETS, parseEps, parseEpsList, presetById, resolveBudget } from '../../src/attacks/presets.js';
import type { Norm } from '../../src/attacks/types.js';
import { useBackend } from '../../src/backend/index.js';
import { UserInputError } from '../../src/errors.js';
import { RandomStream } from '../../src/random/stream.js';

beforeAll(async () => {
  await useBackend('cpu');
});

const TOL = 1e-6;

/** A small batch of images in [0, 1] plus an arbitrary candidate (possibly far outside [0, 1] and the ball). */
const problem = fc
  .record({ n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), c: fc.constantFrom(1, 3) })
  .chain(({ n, h, w, c }) => {
    const size = n * h * w * c;
    return fc.record({
      shape: fc.constant([n, h, w, c] as [number, number, number, number]),
      clean: fc.float32Array({ minLength: size, maxLength: size, min: 0, max: 1, noNaN: true, noDefaultInfinity: true }),
      candidate: fc.float32Array({ minLength: size, maxLength: size, min: -3, max: 3, noNaN: true, noDefaultInfinity: true }),
      eps: fc.oneof(fc.constant(0), fc.double({ min: 1e-4, max: 2, noNaN: true })),
      norm: fc.constantFrom<Norm>('linf', 'l2'),
    });
  });

async function check(clean: tf.Tensor4D, out: tf.Tensor4D, eps: number, norm: Norm): Promise<void> {
  const norms = perturbationNorms(clean, out, norm);
  const [values, measured] = await Promise.all([out.data(), norms.data()]);
  norms.dispose();
  for (const v of values) expect(v >= 0 && v <= 1).toBe(true);
  for (const m of measured) expect(m).toBeLessThanOrEqual(eps + TOL);
}

describe('projection onto the ε-ball and [0, 1]', () => {
  propTest.prop([problem], { numRuns: 60 })('lands inside the ball and inside [0, 1], for both norms', async ({ shape, clean, candidate, eps, norm }) => {
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(clean, shape);
    const y = tf.tensor4d(candidate, shape);
    const out = project(x, y, eps, norm);
    await check(x, out, eps, norm);
    tf.dispose([x, y, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  propTest.prop([problem], { numRuns: 30 })('leaves points already inside the ball and [0, 1] where they are', async ({ shape, clean, eps, norm }) => {
    const x = tf.tensor4d(clean, shape);
    const out = project(x, x, eps, norm);
    expect(Array.from(await out.data())).toEqual(Array.from(clean));
    tf.dispose([x, out]);
  });

  propTest.prop([problem, fc.integer({ min: 0, max: 2 ** 31 })], { numRuns: 30 })('random starts lie in the ball and [0, 1] and follow the seed', async ({ shape, clean, eps, norm }, seed) => {
    const x = tf.tensor4d(clean, shape);
    const streams = () => Array.from({ length: shape[0] }, (_, i) => RandomStream.fromSeed(seed).derive(i));
    const a = randomStart(x, eps, norm, streams());
    const b = randomStart(x, eps, norm, streams());
    await check(x, a, eps, norm);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([x, a, b]);
  });

  it('rescales an L2 perturbation that is too long to exactly ε', async () => {
    const x = tf.fill([1, 2, 2, 1], 0.5) as tf.Tensor4D;
    const y = tf.tensor4d([0.9, 0.5, 0.5, 0.8], [1, 2, 2, 1]); // δ = (0.4, 0, 0, 0.3), ‖δ‖ = 0.5
    const out = project(x, y, 0.25, 'l2');
    const values = Array.from(await out.data());
    [0.7, 0.5, 0.5, 0.65].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 6));
    tf.dispose([x, y, out]);
  });
});

describe('ε presets and parsing', () => {
  it('has the named presets with their values', () => {
    expect(presetById('fmnist-linf-0.1')).toMatchObject({ norm: 'linf', eps: [0.1] });
    expect(presetById('fmnist-linf-0.3')).toMatchObject({ norm: 'linf', eps: [0.3] });
    expect(presetById('cifar-linf-8/255')).toMatchObject({ norm: 'linf', eps: [8 / 255] });
    expect(presetById('cifar-l2-0.5')).toMatchObject({ norm: 'l2', eps: [0.5] });
    expect(presetById('imagenet-linf-4/255')).toMatchObject({ norm: 'linf', eps: [4 / 255] });
    expect(new Set(EPS_PRESETS.map((p) => p.id)).size).toBe(EPS_PRESETS.length);
  });

  it('parses decimals and fractions', () => {
    expect(parseEpsList('0.05, 0.1,8/255')).toEqual([0.05, 0.1, 8 / 255]);
    expect(parseEps('0')).toBe(0);
    expect(() => parseEps('-0.1')).toThrow(/≥ 0/);
    expect(() => parseEps('')).toThrow(/not a number/);
    expect(() => parseEps('1/0')).toThrow(/not a number/);
  });

  it('refuses to run without ε or a preset, and refuses both', () => {
    expect(() => resolveBudget({})).toThrow(UserInputError);
    expect(() => resolveBudget({})).toThrow(/no ε given.*no default ε/);
    expect(() => resolveBudget({ eps: [0.1], preset: 'fmnist-linf-0.1' })).toThrow(/either --eps or --preset/);
    expect(() => resolveBudget({ preset: 'cifar-l2-0.5', norm: 'linf' })).toThrow(/preset cifar-l2-0.5 is l2/);
    expect(() => resolveBudget({ preset: 'nope' })).toThrow(/unknown ε preset 'nope' \(known: fmnist-linf-0.1/);
    expect(resolveBudget({ preset: 'cifar-l2-0.5' })).toEqual({ eps: [0.5], norm: 'l2', preset: 'cifar-l2-0.5' });
    expect(resolveBudget({ eps: [0.1, 0.2] })).toEqual({ eps: [0.1, 0.2], norm: 'linf', preset: null });
  });
});
