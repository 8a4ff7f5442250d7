import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendProvider, probeBackends, type BackendAvailability } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/open.js';
import { loadClassifier } from '../../src/models/load.js';
import { evaluateClean } from '../../src/runner/clean-eval.js';

const requireWebgpu = process.env['SSL_ROBUST_REQUIRE_WEBGPU'] === '1';
let found: BackendAvailability[] = [];
let images: Float32Array;
let labels: number[];

/** Logits and input gradient of the bundled CNN on the first 16 bundled images, on one backend. */
async function logitsAndGradient(backend: 'cpu' | 'wasm' | 'webgpu') {
  await backendProvider(backend).activate();
  const model = await loadClassifier('fmnist-cnn');
  const x = tf.tensor4d(images, [16, 28, 28, 1]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const logits = tf.tidy(() => model.logits(x)).arraySync() as number[][];
  const gradient = tf.tidy(() => tf.grad((input: tf.Tensor) => tf.losses.softmaxCrossEntropy(oneHot, model.logits(input as tf.Tensor4D)))(x));
  const result = { logits, gradient: Array.from(await gradient.data()) };
  tf.dispose([x, oneHot, gradient]);
  model.dispose();
  return result;
}

function maxAbsDifference(a: readonly number[], b: readonly number[]): number {
  return a.reduce((max, value, i) => Math.max(max, Math.abs(value - (b[i] as number))), 0);
}

beforeAll(async () => {
  found = await probeBackends();
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  images = await dataset.read(Array.from({ length: 16 }, (_, i) => i));
  labels = Array.from(dataset.labels.slice(0, 16));
});

describe('every backend computes the same model', () => {
  it('wasm matches cpu: logits and input gradients within 1e-4', async () => {
    const cpu = await logitsAndGradient('cpu');
    const wasm = await logitsAndGradient('wasm');
    expect(maxAbsDifference(wasm.logits.flat(), cpu.logits.flat())).toBeLessThan(1e-4);
    expect(maxAbsDifference(wasm.gradient, cpu.gradient)).toBeLessThan(1e-4);
  });

  it('webgpu matches cpu: logits and input gradients within 1e-4', async (context) => {
    const webgpu = found.find((b) => b.name === 'webgpu')!;
    if (!webgpu.available) {
      if (requireWebgpu) throw new Error(`webgpu is required here but unavailable: ${webgpu.note}`);
      console.warn(`skipping webgpu: ${webgpu.note}`);
      context.skip();
    }
    const cpu = await logitsAndGradient('cpu');
    const gpu = await logitsAndGradient('webgpu');
    expect(maxAbsDifference(gpu.logits.flat(), cpu.logits.flat())).toBeLessThan(1e-4);
    expect(maxAbsDifference(gpu.gradient, cpu.gradient)).toBeLessThan(1e-4);
  });

  it('clean evaluation keeps the tensor count flat, batch after batch', async () => {
    await backendProvider('wasm').activate();
    const model = await loadClassifier('fmnist-cnn');
    const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
    const counts: number[] = [];
    await evaluateClean(model, dataset.take(640), { batchSize: 32, onProgress: () => counts.push(tf.memory().numTensors) });
    expect(counts).toHaveLength(20);
    expect(new Set(counts).size).toBe(1);
    model.dispose();
  });
});
