import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendProvider, probeBackends, type BackendAvailability } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/open.js';
import { loadClassifier } from '../../src/models/load.js';
import { assetPath } from '../../src/paths.js';
import { evaluateClean } from '../../src/runner/clean-eval.js';

const requireWebgpu = process.env['SSL_ROBUST_REQUIRE_WEBGPU'] === '1';
/** Images compared: few, since the cpu backend's convolution gradients are slow. */
const COUNT = 6;
let found: BackendAvailability[] = [];
let cpu: Awaited<ReturnType<typeof logitsAndGradient>>;
let images: Float32Array;
let labels: number[];

/** Logits and input gradient of the bundled CNN on the first bundled images, on one backend. */
async function logitsAndGradient(backend: 'cpu' | 'wasm' | 'webgpu') {
  await backendProvider(backend).activate();
  const model = await loadClassifier('fmnist-cnn');
  const x = tf.tensor4d(images, [COUNT, 28, 28, 1]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const logitsTensor = tf.tidy(() => model.logits(x));
  // Async reads: webgpu under Node has no synchronous readback.
  const logits = (await logitsTensor.array()) as number[][];
  logitsTensor.dispose();
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
  images = await dataset.read(Array.from({ length: COUNT }, (_, i) => i));
  labels = Array.from(dataset.labels.slice(0, COUNT));
  cpu = await logitsAndGradient('cpu');
});

describe('every backend computes the same model', () => {
  it('wasm matches cpu: logits and input gradients within 1e-4', async () => {
    const wasm = await logitsAndGradient('wasm');
    expect(maxAbsDifference(wasm.logits.flat(), cpu.logits.flat())).toBeLessThan(1e-4);
    expect(maxAbsDifference(wasm.gradient, cpu.gradient)).toBeLessThan(1e-4);
  });

  it('webgpu matches cpu: logits within 1e-4', async (context) => {
    const webgpu = found.find((b) => b.name === 'webgpu')!;
    if (!webgpu.available) {
      if (requireWebgpu) throw new Error(`webgpu is required here but unavailable: ${webgpu.note}`);
      console.warn(`skipping webgpu: ${webgpu.note}`);
      context.skip();
    }
    const gpu = await logitsAndGradient('webgpu');
    expect(maxAbsDifference(gpu.logits.flat(), cpu.logits.flat())).toBeLessThan(1e-4);
    // Input gradients are not compared here: where a max-pool window ties (all zeros after a
    // ReLU, common in this model) tfjs-backend-webgpu sends the gradient to the window's last
    // maximum, cpu and wasm to the first (as TensorFlow and PyTorch do). Both are valid
    // subgradients; test/backend/webgpu.test.ts checks gradients on a net without ties.
    expect(gpu.gradient.every(Number.isFinite)).toBe(true);
  });

  it('predicts every bundled image exactly as PyTorch did', async () => {
    const reference = JSON.parse(readFileSync(assetPath('models', 'fmnist-cnn', 'reference.json'), 'utf8'));
    await backendProvider('wasm').activate();
    const model = await loadClassifier('fmnist-cnn');
    const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
    const result = await evaluateClean(model, dataset);
    expect(Array.from(result.predictions)).toEqual(reference.subsetPredictions);
    model.dispose();
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
