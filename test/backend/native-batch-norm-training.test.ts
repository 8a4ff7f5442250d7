/**
 * The addon's training-mode batch-norm kernels (src/backend/native/kernels/batch-norm-training.ts)
 * against the tfjs-op construction the zoo falls back to, computed on the cpu backend: the output,
 * the batch moments and all three gradients, over random shapes, offsets and scales. Skipped, with
 * the reason in the name, where the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBatchNormTrainingKernels } from '../../src/backend/batch-norm-training-kernels.js';
import { useBackend } from '../../src/backend/index.js';
import { loadNativeAddon, registerNativeKernels, unregisterNativeKernels } from '../../src/backend/native/index.js';
import { openDataset } from '../../src/data/open.js';
import { buildBackbone, RESNET_FMNIST } from '../../src/models/zoo/architecture.js';
import { batchNormTraining } from '../../src/models/zoo/batch-norm.js';
import { forwardTraining, layerVariables, trainableVariables } from '../../src/models/zoo/forward.js';
import { RandomStream } from '../../src/random/stream.js';
import { expectClose, on, values } from '../helpers/kernels.js';

const load = loadNativeAddon();
const skipReason = load.ok ? undefined : load.reason;

/** y, batch mean and variance, and the gradients of Σ y·w with respect to x, γ and β. */
function normalizeAndDifferentiate(shape: number[], seed: number, offset: number): () => tf.Tensor[] {
  return () => {
    const channels = shape[shape.length - 1]!;
    // An offset and a spread per channel: statistics far from (0, 1), as after a convolution.
    const x = tf.add(tf.mul(tf.tensor(values(shape, seed), shape), tf.add(tf.tensor1d(values([channels], seed + 1)), 1.5)), offset);
    const gamma = tf.tensor1d(values([channels], seed + 2));
    const beta = tf.tensor1d(values([channels], seed + 3));
    const w = tf.tensor(values(shape, seed + 4), shape);
    const moments: tf.Tensor[] = [];
    const f = (xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      batchNormTraining(xs, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, ({ mean, variance }) => moments.push(mean, variance));
    const y = f(x, gamma, beta);
    const grads = tf.grads((xs, g, b) => tf.sum(tf.mul(f(xs, g, b), w)))([x, gamma, beta]);
    // The moments are kept past tidy; the second pass's are not returned, so they are freed here.
    tf.dispose(moments.slice(2));
    return [y, moments[0]!, moments[1]!, ...grads];
  };
}

const shapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 })).map((s) => [...s]),
  fc.tuple(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 130 })).map((s) => [...s]),
);

describe.skipIf(skipReason !== undefined)(`native training batch norm${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    // The wasm backend as ssl-robust sets it up (gradient kernels included); the native kernels
    // registered explicitly, so that the tests also run under SSL_ROBUST_NATIVE=0.
    await useBackend('wasm');
    registerNativeKernels();
  });
  afterAll(() => unregisterNativeKernels());

  it('is what wasm offers once registered, and only then', async () => {
    await tf.setBackend('wasm');
    expect(hasBatchNormTrainingKernels()).toBe(true);
    await tf.setBackend('cpu');
    expect(hasBatchNormTrainingKernels()).toBe(false);
    await tf.setBackend('wasm');
    unregisterNativeKernels();
    expect(hasBatchNormTrainingKernels()).toBe(false);
    registerNativeKernels();
    expect(hasBatchNormTrainingKernels()).toBe(true);
  });

  it('gives the tfjs-op construction’s output, moments and gradients within 1e-4', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(10_000), fc.double({ min: -4, max: 4, noNaN: true }), async (shape, seed, offset) => {
        const names = ['y', 'mean', 'variance', 'dx', 'dGamma', 'dBeta'];
        const native = await on('wasm', normalizeAndDifferentiate(shape, seed, offset));
        const reference = await on('cpu', normalizeAndDifferentiate(shape, seed, offset));
        native.forEach((v, i) => expectClose(v, reference[i]!, `${names[i]} of [${shape.join(', ')}]`));
      }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('gives the zoo backbone’s training gradients within 1e-3 of the cpu backend, on real images', async () => {
    const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
    const images = await dataset.read([0, 1, 2, 3]);
    const gradients = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      const model = buildBackbone(RESNET_FMNIST, RandomStream.fromSeed(1));
      // γ = 1 in the residual branches (they start at 0, which would zero most gradients).
      for (const v of layerVariables(model)) if (v.originalName.endsWith('/gamma')) v.write(tf.onesLike(v.read()));
      const x = tf.tensor4d(images, [4, 28, 28, 1]);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(forwardTraining(model, x, { updateStatistics: false }))) as tf.Scalar, trainableVariables(model));
      const out = [await value.data(), ...(await Promise.all(Object.values(grads).map((g) => g.data())))] as Float32Array[];
      tf.dispose([x, value, ...Object.values(grads)]);
      model.dispose();
      return out;
    };
    const native = await gradients('wasm');
    const reference = await gradients('cpu');
    await tf.setBackend('wasm');
    native.forEach((g, k) => {
      const scale = reference[k]!.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
      g.forEach((v, i) => expect(Math.abs(v - reference[k]![i]!) / scale, `gradient ${k}, element ${i}`).toBeLessThan(1e-3));
    });
  });

  it('keeps the tensor count flat over repeated training steps', async () => {
    await tf.setBackend('wasm');
    const step = normalizeAndDifferentiate([4, 5, 5, 8], 1, 0.5);
    tf.dispose(tf.tidy(step));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(tf.tidy(step));
    expect(tf.memory().numTensors).toBe(before);
  });
});
