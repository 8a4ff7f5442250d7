import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../losses.js';
import { lossGradient } from '../ops.js';
import { defineCheck, flag } from './types.js';

/** AutoAttack's tolerance for logits that change between identical calls. */
const REPEAT_TOLERANCE = 1e-4;
const REPEATED_CALLS = 5;
/** Batched and one-by-one logits may differ by float reordering, never by more than this (relative). */
const BATCH_TOLERANCE = 1e-3;
const BATCH_PROBE_IMAGES = 8;
/** Rows summing to 1 within this, all in [0, 1], are probabilities. */
const PROBABILITY_TOLERANCE = 1e-5;

async function logitsOf(classifier: Parameters<typeof lossGradient>[0], images: tf.Tensor4D): Promise<Float32Array> {
  const logits = tf.tidy(() => classifier.logits(images));
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

/** Largest difference between two logit arrays relative to the larger one's scale. */
function relativeDifference(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    difference = Math.max(difference, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(a[i] as number));
  }
  return difference / scale;
}

function argmaxRows(values: Float32Array, classes: number): number[] {
  return Array.from({ length: values.length / classes }, (_, row) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if ((values[row * classes + k] as number) > (values[row * classes + best] as number)) best = k;
    return best;
  });
}

export const deterministicOutputs = defineCheck({
  id: 'deterministic-outputs',
  summary: `${REPEATED_CALLS} identical calls give identical logits (else: randomness or layers left in training mode)`,
  async run({ classifier, sample }) {
    const first = await logitsOf(classifier, sample.images);
    let worst = 0;
    for (let call = 1; call < REPEATED_CALLS; call++) worst = Math.max(worst, relativeDifference(first, await logitsOf(classifier, sample.images)));
    if (worst <= REPEAT_TOLERANCE) return [];
    return [flag('deterministic-outputs', 'error',
      `the model's outputs change between identical calls (relative difference ${worst.toExponential(2)}): it is random or has dropout/batch norm in training mode, so attack results are unreliable`)];
  },
});

export const batchSizeInvariance = defineCheck({
  id: 'batch-size-invariance',
  summary: 'an image gets the same logits alone as in a batch (else: batch norm in training mode)',
  async run({ classifier, sample }) {
    const count = Math.min(BATCH_PROBE_IMAGES, sample.labels.length);
    if (count < 2) return null;
    const batch = tf.tidy(() => tf.slice(sample.images, 0, count)) as tf.Tensor4D;
    try {
      const together = await logitsOf(classifier, batch);
      const alone = new Float32Array(together.length);
      for (let i = 0; i < count; i++) {
        const one = tf.tidy(() => tf.slice(batch, i, 1)) as tf.Tensor4D;
        alone.set(await logitsOf(classifier, one), i * classifier.numClasses);
        one.dispose();
      }
      const difference = relativeDifference(together, alone);
      const flips = argmaxRows(together, classifier.numClasses).filter((p, i) => p !== argmaxRows(alone, classifier.numClasses)[i]).length;
      if (difference <= BATCH_TOLERANCE && flips === 0) return [];
      return [flag('batch-size-invariance', 'error',
        `logits depend on the batch (relative difference ${difference.toExponential(2)}, ${flips} of ${count} predictions change): batch statistics are used at inference`)];
    } finally {
      batch.dispose();
    }
  },
});

export const logitsNotProbabilities = defineCheck({
  id: 'logits-not-probabilities',
  summary: 'the model outputs logits, not softmax probabilities (cross-entropy on probabilities saturates)',
  async run({ classifier, sample }) {
    const values = await logitsOf(classifier, sample.images);
    const classes = classifier.numClasses;
    let probabilities = true;
    for (let row = 0; row < values.length / classes && probabilities; row++) {
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        const v = values[row * classes + k] as number;
        if (v < 0 || v > 1) probabilities = false;
        sum += v;
      }
      if (Math.abs(sum - 1) > PROBABILITY_TOLERANCE) probabilities = false;
    }
    if (!probabilities) return [];
    return [flag('logits-not-probabilities', 'warning',
      'the model outputs probabilities (every row in [0, 1], summing to 1), not logits: gradient attacks on the cross-entropy saturate and overstate robustness; remove the final softmax')];
  },
});

export const inputGradients = defineCheck({
  id: 'input-gradients',
  summary: 'the loss gradient at the clean images is finite and not zero (else: gradient masking)',
  async run({ classifier, sample }) {
    const labels = tf.tensor1d(sample.labels, 'int32');
    const { gradient, logits, losses } = lossGradient(classifier, sample.images, (out) => crossEntropy(out, labels));
    logits.dispose();
    losses.dispose();
    labels.dispose();
    const values = await gradient.data();
    gradient.dispose();
    const size = values.length / sample.labels.length;
    let zero = 0;
    let nonFinite = 0;
    for (let i = 0; i < sample.labels.length; i++) {
      const row = values.subarray(i * size, (i + 1) * size);
      if (row.some((v) => !Number.isFinite(v))) nonFinite++;
      else if (row.every((v) => v === 0)) zero++;
    }
    const found = [];
    if (nonFinite) found.push(flag('input-gradients', 'error', `${nonFinite} of ${sample.labels.length} images have NaN or Inf input gradients`));
    if (zero) found.push(flag('input-gradients', 'warning',
      `${zero} of ${sample.labels.length} images have an all-zero input gradient: gradient attacks cannot move them (gradient masking or saturated outputs); trust a black-box attack here`));
    return found;
  },
});
