import * as tf from '@tensorflow/tfjs-core';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import { crossEntropy } from './losses.js';
import { lossGradient } from './ops.js';

/** `auto`, or a fixed number of images per batch. */
export type BatchSizeChoice = number | 'auto';

export interface AutoBatchOptions {
  /**
   * Bytes of tensor memory one batch may use. The default, 1 GiB, is a quarter of what the wasm
   * heap can grow to and well inside a GPU's memory or Node's default heap.
   */
  readonly memoryBudget?: number;
  /** Largest batch chosen: beyond a few hundred images, batches are no faster, only coarser. */
  readonly maxBatch?: number;
  /** Whether the attack takes input gradients (white-box) or only reads logits (black-box). */
  readonly gradients?: boolean;
}

export const AUTO_BATCH_DEFAULTS = { memoryBudget: 2 ** 30, maxBatch: 256 } as const;

/** Images in the probe batch: enough that per-image costs dominate the model's fixed ones. */
const PROBE_IMAGES = 4;

export interface AutoBatch {
  readonly batchSize: number;
  /** Peak tensor memory of one image's gradient step, as measured on the probe batch. */
  readonly bytesPerImage: number;
}

/**
 * The batch size that fits the memory budget: one input-gradient step (or, for black-box attacks,
 * one forward pass) on a small probe batch is profiled for its peak tensor memory, which scales
 * with the batch. The peak counts every intermediate of the step, so it overestimates rather
 * than underestimates.
 */
export async function autoBatchSize(classifier: Classifier, options: AutoBatchOptions = {}): Promise<AutoBatch> {
  const budget = options.memoryBudget ?? AUTO_BATCH_DEFAULTS.memoryBudget;
  const maxBatch = options.maxBatch ?? AUTO_BATCH_DEFAULTS.maxBatch;
  ensure(Number.isFinite(budget) && budget > 0, `the memory budget must be a positive number of bytes, got ${budget}`);
  ensure(Number.isInteger(maxBatch) && maxBatch >= 1, `the largest batch must be a positive integer, got ${maxBatch}`);
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const images = tf.fill([PROBE_IMAGES, ...classifier.inputShape], 0.5) as tf.Tensor4D;
      if (options.gradients === false) {
        classifier.logits(images);
        return;
      }
      const labels = tf.zeros([PROBE_IMAGES], 'int32') as tf.Tensor1D;
      const { gradient, logits, losses } = lossGradient(classifier, images, (out) => crossEntropy(out, labels));
      tf.dispose([gradient, logits, losses]);
    });
  });
  const bytesPerImage = Math.max(1, (profile.peakBytes - before) / PROBE_IMAGES);
  return { batchSize: Math.max(1, Math.min(maxBatch, Math.floor(budget / bytesPerImage))), bytesPerImage };
}

/** A fixed batch size as given, or the automatic one for this classifier. */
export async function resolveBatchSize(classifier: Classifier, choice: BatchSizeChoice, options: AutoBatchOptions = {}): Promise<number> {
  if (choice !== 'auto') {
    ensure(Number.isInteger(choice) && choice >= 1, `the batch size must be a positive integer or 'auto', got ${choice}`);
    return choice;
  }
  return (await autoBatchSize(classifier, options)).batchSize;
}
