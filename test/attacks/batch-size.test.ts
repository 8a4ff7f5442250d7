/** Automatic batch size: measured from the model's own memory per image, capped, and memory-neutral. */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoBatchSize, resolveBatchSize } from '../../src/attacks/batch-size.js';
import { evaluateRobustness } from '../../src/attacks/evaluate.js';
import { useBackend } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { expectEqualUpToRounding } from '../helpers/rounding.js';

let model: LoadedClassifier;
beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
});
afterAll(() => model.dispose());

describe('automatic batch size', () => {
  it('fits as many images as the budget holds, by the measured memory of one gradient step', async () => {
    const { bytesPerImage, batchSize } = await autoBatchSize(model);
    // A gradient step keeps at least the input, its gradient and the first layer's activations per image.
    expect(bytesPerImage).toBeGreaterThan(3 * 28 * 28 * 4);
    expect(batchSize).toBe(Math.min(256, Math.floor(2 ** 30 / bytesPerImage)));
    expect((await autoBatchSize(model, { memoryBudget: 10.5 * bytesPerImage, maxBatch: 1000 })).batchSize).toBe(10);
    expect((await autoBatchSize(model, { memoryBudget: 1 })).batchSize).toBe(1);
    expect((await autoBatchSize(model, { maxBatch: 3 })).batchSize).toBe(3);
  });

  it('needs less memory per image for a forward-only (black-box) attack', async () => {
    const white = await autoBatchSize(model);
    const black = await autoBatchSize(model, { gradients: false });
    expect(black.bytesPerImage).toBeLessThan(white.bytesPerImage);
  });

  it('leaves no tensor behind and keeps a fixed choice as given', async () => {
    const before = tf.memory().numTensors;
    await autoBatchSize(model);
    expect(tf.memory().numTensors).toBe(before);
    expect(await resolveBatchSize(model, 7)).toBe(7);
    await expect(resolveBatchSize(model, 0)).rejects.toThrow(/positive integer or 'auto'/);
  });

  it('is what evaluateRobustness uses by default, and reports', async () => {
    const data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(8);
    const result = await evaluateRobustness(model, data, { attack: 'fgsm', eps: [0.05], seed: 0, checks: 'none' });
    expect(result.batchSize).toBe((await autoBatchSize(model)).batchSize);
    const fixed = await evaluateRobustness(model, data, { attack: 'fgsm', eps: [0.05], seed: 0, checks: 'none', batchSize: 3 });
    expect(fixed.batchSize).toBe(3);
    expectEqualUpToRounding(fixed.results, result.results);
  });
});
