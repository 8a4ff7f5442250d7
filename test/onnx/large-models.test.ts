/**
 * The acceptance check on full-size exports (too big to commit): torchvision's ResNet-18
 * and a timm-style ViT-S/16 with random weights, written by scripts/export_onnx_models.py into
 * $SSL_ROBUST_ONNX_MODELS (default ~/.cache/ssl-robust/onnx-models). Logits must match
 * onnxruntime-node within 1e-4 and PGD must run, on wasm and (where an adapter exists) webgpu.
 * Skipped, with a note, when the files are not there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pgd } from '../../src/attacks/pgd.js';
import { backendProvider, useBackend } from '../../src/backend/index.js';
import { loadClassifier } from '../../src/models/load.js';
import { RandomStream } from '../../src/random/stream.js';
import { maxError, runReference, uniformImages } from './harness.js';

const folder = process.env['SSL_ROBUST_ONNX_MODELS'] ?? join(homedir(), '.cache', 'ssl-robust', 'onnx-models');
const MODELS = ['resnet18', 'vit-s16'] as const;
const present = MODELS.every((name) => existsSync(join(folder, `${name}.onnx`)));
if (!present) console.warn(`skipping full-size ONNX checks: run scripts/export_onnx_models.py ${folder} first`);

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
const backends = ['wasm', ...((await backendProvider('webgpu').probe()).available ? ['webgpu' as const] : [])] as const;

describe.skipIf(!present)('full-size PyTorch exports', () => {
  it.each(MODELS)('%s: logits match onnxruntime-node within 1e-4 (wasm)', async (name) => {
    await useBackend('wasm');
    const file = join(folder, `${name}.onnx`);
    const shape = [2, 224, 224, 3] as const;
    const images = uniformImages(shape, 11);
    const reference = (await runReference(new Uint8Array(readFileSync(file)), images.map((v, i) => (v - IMAGENET_MEAN[i % 3]!) / IMAGENET_STD[i % 3]!), shape, 'images')).get('logits')!;
    const model = await loadClassifier(file);
    try {
      const x = tf.tensor4d(images, [...shape]);
      const logits = model.logits(x);
      expect(logits.shape).toEqual([2, 1000]);
      expect(maxError(await logits.data(), reference.data)).toBeLessThan(1e-4);
      tf.dispose([x, logits]);
    } finally {
      model.dispose();
    }
  });

  it.each(MODELS.flatMap((name) => backends.map((backend) => [name, backend] as const)))('%s: PGD runs on %s', async (name, backend) => {
    await useBackend(backend);
    const model = await loadClassifier(join(folder, `${name}.onnx`));
    try {
      const x = tf.tensor4d(uniformImages([1, 224, 224, 3], 12), [1, 224, 224, 3]);
      const predicted = tf.tidy(() => tf.argMax(model.logits(x), 1));
      const labels = Int32Array.from(await predicted.data());
      const eps = 4 / 255;
      const out = await pgd.run(model, { images: x, labels, random: [RandomStream.fromSeed(0).derive('pgd', 0)] }, pgd.resolve(eps, { steps: 2 }));
      expect(out.perExample[0]!.norm).toBeLessThanOrEqual(eps + 1e-6);
      expect(out.perExample[0]!.norm).toBeGreaterThan(0);
      expect(out.costPerImage).toBeGreaterThanOrEqual(2);
      tf.dispose([x, predicted, out.adversarial]);
    } finally {
      model.dispose();
    }
  });
});
