/**
 * Whole backbones exported from PyTorch (scripts/make_onnx_fixtures.py, random weights, small
 * widths) against onnxruntime-node, and through loadClassifier as the rest of the project uses
 * them: logits, embeddings, input gradients against finite differences, tensor bookkeeping.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import { loadClassifier } from '../../src/models/load.js';
import { RandomStream } from '../../src/random/stream.js';
import { compareWithReference, maxError, runReference, uniformImages } from './harness.js';

const FIXTURES = 'test/fixtures/onnx';
const fixture = (name: string) => `${FIXTURES}/${name}.onnx`;

const MODELS: readonly { name: string; size: number }[] = [
  { name: 'resnet18-tiny-opset13', size: 64 },
  { name: 'resnet18-tiny-opset17-batch1', size: 64 },
  { name: 'vit-tiny-opset13', size: 32 },
  { name: 'vit-tiny-opset17', size: 32 },
  { name: 'mobilenet-v2-tiny-opset13', size: 64 },
  { name: 'mobilenet-v3-small-tiny-opset17', size: 64 },
  { name: 'efficientnet-tiny-opset17', size: 64 },
  { name: 'convnext-tiny-opset17', size: 32 },
];

beforeAll(async () => {
  await useBackend('wasm');
});

describe('PyTorch exports match onnxruntime-node within 1e-4', () => {
  it.each(MODELS.map((m) => [m.name, m] as const))('%s', async (_, m) => {
    const bytes = new Uint8Array(readFileSync(fixture(m.name)));
    expect(await compareWithReference(bytes, [3, m.size, m.size, 3])).toBeLessThan(1e-4);
  });
});

/** <∇f(x), d> against the central difference (f(x + hd) − f(x − hd)) / 2h, for f = Σ logits·weights. */
async function gradientCheck(file: string, size: number, h: number): Promise<{ analytic: number; numeric: number }> {
  const model = await loadClassifier(file, { inputMean: [0.5], inputStd: [0.25] });
  try {
    const stream = RandomStream.fromSeed(3);
    const shape = [2, size, size, 3] as const;
    const x = tf.tensor4d(uniformImages(shape, 4), [...shape]);
    const d = tf.tensor4d(stream.derive('direction').fillNormal(new Float32Array(x.size)), [...shape]);
    const weights = tf.tensor2d(stream.derive('weights').fillNormal(new Float32Array(2 * model.numClasses)), [2, model.numClasses]);
    const f = (images: tf.Tensor) => tf.sum(tf.mul(model.logits(images as tf.Tensor4D), weights)) as tf.Scalar;
    const analytic = tf.tidy(() => tf.sum(tf.mul(tf.grad(f)(x), d)).arraySync() as number);
    const numeric = tf.tidy(() => ((f(tf.add(x, tf.mul(d, h))).arraySync() as number) - (f(tf.sub(x, tf.mul(d, h))).arraySync() as number)) / (2 * h));
    tf.dispose([x, d, weights]);
    return { analytic, numeric };
  } finally {
    model.dispose();
  }
}

describe('input gradients through imported graphs', () => {
  // ReLU and max-pool kinks make finite differences on the ResNet rougher than on the smooth nets.
  it.each([
    ['vit-tiny-opset17', 32, 2e-2],
    ['vit-tiny-opset13', 32, 2e-2],
    ['efficientnet-tiny-opset17', 64, 2e-2],
    ['convnext-tiny-opset17', 32, 2e-2],
    ['resnet18-tiny-opset13', 64, 5e-2],
  ] as const)('%s: the gradient matches finite differences', async (name, size, tolerance) => {
    const { analytic, numeric } = await gradientCheck(fixture(name), size, 1e-3);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(analytic - numeric)).toBeLessThan(tolerance * Math.abs(analytic));
  });
});

describe('loadClassifier on .onnx files', () => {
  it('applies the sidecar normalisation, finds the embedding before the head, and keeps the tensor count flat', async () => {
    const file = fixture('resnet18-tiny-opset13');
    const model = await loadClassifier(file);
    try {
      expect(model.name).toBe('resnet18-tiny');
      expect(model.inputShape).toEqual([64, 64, 3]);
      expect(model.numClasses).toBe(10);
      expect(model.info.format).toBe('onnx');
      expect(model.info.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(model.info.warnings).toEqual([]);
      expect(model.backbone?.embeddingSize).toBe(32);

      const shape = [2, 64, 64, 3] as const;
      const images = uniformImages(shape, 9);
      // onnxruntime on the images normalised with ImageNet's statistics, as the sidecar says.
      const mean = [0.485, 0.456, 0.406];
      const std = [0.229, 0.224, 0.225];
      const normalised = images.map((v, i) => (v - mean[i % 3]!) / std[i % 3]!);
      const bytes = new Uint8Array(readFileSync(file));
      const reference = (await runReference(bytes, normalised, shape, 'images')).get('logits')!;
      const x = tf.tensor4d(images, [...shape]);
      const logits = model.logits(x);
      expect(maxError(await logits.data(), reference.data)).toBeLessThan(1e-4);
      const embedding = model.backbone!.embed(x);
      expect(embedding.shape).toEqual([2, 32]);

      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) tf.dispose([model.logits(x), model.backbone!.embed(x), tf.grad((v: tf.Tensor) => tf.sum(model.logits(v as tf.Tensor4D)))(x)]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, logits, embedding]);
    } finally {
      model.dispose();
    }
  });

  it('command-line normalisation overrides the sidecar, and a file without either warns', async () => {
    const plain = await loadClassifier(fixture('vit-tiny-opset17'));
    expect(plain.info.warnings.join()).toMatch(/no input normalisation given/);
    plain.dispose();
    const file = fixture('resnet18-tiny-opset13');
    const [sidecar, flagged] = [await loadClassifier(file), await loadClassifier(file, { inputMean: [0.485, 0.456, 0.406], inputStd: [0.229, 0.224, 0.225] })];
    const other = await loadClassifier(file, { inputMean: [0.5], inputStd: [0.5] });
    const x = tf.tensor4d(uniformImages([1, 64, 64, 3], 2), [1, 64, 64, 3]);
    const [a, b, c] = [sidecar.logits(x), flagged.logits(x), other.logits(x)];
    expect(maxError(await a.data(), await b.data())).toBe(0);
    expect(maxError(await a.data(), await c.data())).toBeGreaterThan(1e-3);
    tf.dispose([x, a, b, c]);
    [sidecar, flagged, other].forEach((m) => m.dispose());
  });

  it('keeps a bounded number of compiled batch sizes', async () => {
    const model = await loadClassifier(fixture('vit-tiny-opset13'));
    const runSizes = (sizes: number[]) => {
      for (const n of sizes) tf.tidy(() => void model.logits(tf.zeros([n, 32, 32, 3]) as tf.Tensor4D));
      return tf.memory().numTensors;
    };
    const afterTen = runSizes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(runSizes([11, 12, 13, 14, 15, 16, 17, 18, 19, 20])).toBe(afterTen);
    model.dispose();
  });

  it('--embedding-node picks a node by name or a value by name', async () => {
    const file = fixture('vit-tiny-opset17');
    const model = await loadClassifier(file, { embeddingNode: '/norm/LayerNormalization' });
    expect(model.backbone?.embeddingSize).toBe(17 * 32);
    model.dispose();
    await expect(loadClassifier(file, { embeddingNode: 'no-such-node' })).rejects.toThrow(/no node or value named 'no-such-node'/);
  });
});
