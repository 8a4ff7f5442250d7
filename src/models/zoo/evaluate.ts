import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../data/dataset.js';
import type { RandomStream } from '../../random/stream.js';
import { CLASSIFIER_LAYER } from './architecture.js';
import { crossEntropy } from './losses.js';
import { warmupCosine } from './schedule.js';

/** Embeddings of a whole dataset in inference mode, row-major [size, embeddingSize]. */
export async function extractFeatures(embed: (images: tf.Tensor4D) => tf.Tensor2D, dataset: Dataset, batchSize = 500): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const batch of dataset.batches(batchSize)) {
    const features = tf.tidy(() => embed(tf.tensor4d(batch.images, [...batch.shape])));
    parts.push((await features.data()) as Float32Array);
    features.dispose();
  }
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Features with their labels, as the probes take them. */
export interface LabelledFeatures {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  readonly dimension: number;
}

/** Weighted-kNN settings: the reference notes' defaults (InstDisc, MoCo, Lightly): k = 200, T = 0.1, cosine. */
export interface KnnOptions {
  readonly k: number;
  readonly temperature: number;
  readonly numClasses: number;
}

export const KNN_DEFAULTS = { k: 200, temperature: 0.1 } as const;

/**
 * Weighted kNN accuracy: each test feature's k most cosine-similar training features vote for
 * their class with weight exp(similarity / T).
 */
export async function knnAccuracy(train: LabelledFeatures, test: LabelledFeatures, options: KnnOptions): Promise<number> {
  const k = Math.min(options.k, train.labels.length);
  const trainUnit = tf.tidy(() => unitRows(tf.tensor2d(train.features, [train.labels.length, train.dimension])));
  const trainLabels = tf.tensor1d(train.labels, 'int32');
  let correct = 0;
  const chunk = 256;
  try {
    for (let start = 0; start < test.labels.length; start += chunk) {
      const count = Math.min(chunk, test.labels.length - start);
      const predicted = tf.tidy(() => {
        const query = unitRows(tf.tensor2d(test.features.subarray(start * test.dimension, (start + count) * test.dimension), [count, test.dimension]));
        const { values, indices } = tf.topk(tf.matMul(query, trainUnit, false, true), k);
        const weights = tf.exp(tf.div(values, options.temperature));
        const votes = tf.mul(tf.oneHot(tf.gather(trainLabels, indices), options.numClasses), tf.expandDims(weights, 2));
        return tf.argMax(tf.sum(votes, 1), 1);
      });
      const labels = await predicted.data();
      predicted.dispose();
      for (let i = 0; i < count; i++) if (labels[i] === test.labels[start + i]) correct++;
    }
  } finally {
    tf.dispose([trainUnit, trainLabels]);
  }
  return correct / test.labels.length;
}

function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12));
}

/** Linear-probe recipe: fixed in advance (never tuned on the test split). */
export interface ProbeOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly numClasses: number;
}

export const PROBE_DEFAULTS = { epochs: 30, batchSize: 256, learningRate: 0.1 } as const;

/** A trained linear probe: a dense layer on raw (unstandardised) features, ready to put on the backbone. */
export interface LinearProbe {
  /** [dimension, classes], row-major. */
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
  readonly dimension: number;
  readonly numClasses: number;
}

/**
 * Fits multinomial logistic regression on frozen features: features standardised with the
 * training mean and deviation, SGD with Nesterov momentum and a cosine schedule, no weight
 * decay, no augmentation (Ericsson et al.'s frozen-feature protocol, with SGD instead of
 * L-BFGS). The standardisation is folded into the returned weights.
 */
export async function fitLinearProbe(train: LabelledFeatures, options: ProbeOptions, random: RandomStream): Promise<LinearProbe> {
  const n = train.labels.length;
  const d = train.dimension;
  const { mean, scale } = standardisation(train);
  const weights = tf.variable(tf.zeros([d, options.numClasses]));
  const bias = tf.variable(tf.zeros([options.numClasses]));
  const optimizer = tf.train.momentum(options.learningRate, 0.9, true);
  const all = tf.tidy(() => tf.div(tf.sub(tf.tensor2d(train.features, [n, d]), tf.tensor1d(mean)), tf.tensor1d(scale)));
  const labels = tf.tensor1d(train.labels, 'int32');
  const batch = Math.min(options.batchSize, n);
  const steps = Math.ceil(n / batch);
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const order = random.derive('probe-epoch', epoch).shuffled(Array.from({ length: n }, (_, i) => i));
      for (let s = 0; s < steps; s++) {
        optimizer.setLearningRate(warmupCosine(epoch * steps + s, options.epochs * steps, 0, options.learningRate));
        tf.tidy(() => {
          const rows = tf.tensor1d(Int32Array.from(order.slice(s * batch, (s + 1) * batch)), 'int32');
          const x = tf.gather(all, rows);
          const y = tf.gather(labels, rows);
          optimizer.minimize(() => crossEntropy(tf.add(tf.matMul(x, weights), bias) as tf.Tensor2D, y as tf.Tensor1D), false, [weights, bias]);
        });
      }
    }
    // Fold the standardisation in: W' = W / σ (per input row), b' = b − Σ (μ/σ)·W.
    const [kernel, folded] = tf.tidy(() => {
      const scaled = tf.div(weights, tf.expandDims(tf.tensor1d(scale), 1));
      const shift = tf.squeeze(tf.matMul(tf.expandDims(tf.tensor1d(mean), 0), scaled), [0]);
      return [scaled, tf.sub(bias, shift)];
    });
    const result = { kernel: (await kernel!.data()) as Float32Array, bias: (await folded!.data()) as Float32Array, dimension: d, numClasses: options.numClasses };
    tf.dispose([kernel!, folded!]);
    return result;
  } finally {
    tf.dispose([weights, bias, all, labels]);
    optimizer.dispose();
  }
}

function standardisation({ features, labels, dimension }: LabelledFeatures): { mean: Float32Array; scale: Float32Array } {
  const n = labels.length;
  const mean = new Float64Array(dimension);
  const square = new Float64Array(dimension);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dimension; j++) {
      const v = features[i * dimension + j]!;
      mean[j]! += v;
      square[j]! += v * v;
    }
  }
  const outMean = new Float32Array(dimension);
  const scale = new Float32Array(dimension);
  for (let j = 0; j < dimension; j++) {
    outMean[j] = mean[j]! / n;
    // A constant feature (a dead unit) keeps scale 1 instead of dividing by zero.
    scale[j] = Math.sqrt(Math.max(square[j]! / n - outMean[j]! ** 2, 0)) || 1;
  }
  return { mean: outMean, scale };
}

/** Accuracy of a linear probe on features. */
export async function probeAccuracy(probe: LinearProbe, test: LabelledFeatures): Promise<number> {
  const predicted = tf.tidy(() => tf.argMax(tf.add(
    tf.matMul(tf.tensor2d(test.features, [test.labels.length, test.dimension]), tf.tensor2d(probe.kernel, [probe.dimension, probe.numClasses])),
    tf.tensor1d(probe.bias),
  ), 1));
  const labels = await predicted.data();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === test.labels[i]) correct++;
  return correct / test.labels.length;
}

/** The probe as a dense layer named like an exported classifier head. */
export function probeLayer(probe: LinearProbe): tfl.layers.Layer {
  const layer = tfl.layers.dense({ name: CLASSIFIER_LAYER, units: probe.numClasses, inputShape: [probe.dimension] });
  layer.build([null, probe.dimension]);
  const values = [tf.tensor2d(probe.kernel, [probe.dimension, probe.numClasses]), tf.tensor1d(probe.bias)];
  layer.setWeights(values);
  tf.dispose(values);
  return layer;
}
