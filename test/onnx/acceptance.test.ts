/**
 * The acceptance models without PyTorch: torchvision's ResNet-18 (224×224, 11.7 M
 * parameters) and a timm-style ViT-S/16 (22 M), written by our builder in the patterns
 * torch.onnx exports, with seeded random weights. Logits must match onnxruntime-node within 1e-4,
 * and PGD must run through them. (test/onnx/large-models.test.ts does the same on real PyTorch
 * exports when they have been made.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgd } from '../../src/attacks/pgd.js';
import { useBackend } from '../../src/backend/index.js';
import type { Classifier } from '../../src/models/contract.js';
import { RandomStream } from '../../src/random/stream.js';
import { resnet18Onnx, vitOnnx, VIT_S16 } from './architectures.js';
import { compareWithReference, importGraph, uniformImages } from './harness.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const MODELS = [
  ['torchvision ResNet-18', () => resnet18Onnx({ stem: 'imagenet', imageSize: 224, classes: 1000, randomBatchNorm: true })],
  ['ViT-S/16', () => vitOnnx(VIT_S16)],
] as const;

describe('full-size backbones built in TypeScript', () => {
  it.each(MODELS)('%s: logits match onnxruntime-node within 1e-4, and PGD runs', async (_, build) => {
    const bytes = build();
    expect(await compareWithReference(bytes, [1, 224, 224, 3])).toBeLessThan(1e-4);

    const graph = importGraph(bytes);
    try {
      const model: Classifier = { name: 'acceptance', inputShape: [224, 224, 3], numClasses: 1000, logits: (x) => graph.run(x, 'logits') as tf.Tensor2D };
      const x = tf.tensor4d(uniformImages([1, 224, 224, 3], 12), [1, 224, 224, 3]);
      const predicted = tf.tidy(() => tf.argMax(model.logits(x), 1));
      const eps = 4 / 255;
      const out = await pgd.run(model, { images: x, labels: Int32Array.from(await predicted.data()), random: [RandomStream.fromSeed(0).derive('pgd', 0)] }, pgd.resolve(eps, { steps: 1 }));
      expect(out.perExample[0]!.norm).toBeGreaterThan(0);
      expect(out.perExample[0]!.norm).toBeLessThanOrEqual(eps + 1e-6);
      tf.dispose([x, predicted, out.adversarial]);
    } finally {
      graph.dispose();
    }
  });
});
