/**
 * A small classifier that every backend, even the slow pure-JS cpu one, attacks in seconds:
 * a 4×4 average pool then one dense layer, trained deterministically (zero start, full-batch
 * Adam) on the bundled Fashion-MNIST subset. Its weights move between backends as arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../src/models/contract.js';

export interface TinyWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

const POOLED = 7 * 7;
const CLASSES = 10;

function forward(images: tf.Tensor4D, kernel: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const pooled = tf.avgPool(images, 4, 4, 'valid');
  return tf.add(tf.matMul(tf.reshape(pooled, [images.shape[0], POOLED]), kernel), bias) as tf.Tensor2D;
}

/** Trains on the current backend; the same inputs give the same weights. */
export async function trainTinyModel(images: Float32Array, labels: Int32Array, steps = 150): Promise<TinyWeights> {
  const n = labels.length;
  const kernel = tf.variable(tf.zeros([POOLED, CLASSES]));
  const bias = tf.variable(tf.zeros([CLASSES]));
  const x = tf.tensor4d(images, [n, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
  const optimizer = tf.train.adam(0.05);
  for (let step = 0; step < steps; step++) {
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x, kernel as tf.Variable<tf.Rank.R2> as unknown as tf.Tensor2D, bias as unknown as tf.Tensor1D)) as tf.Scalar);
  }
  const weights = { kernel: (await kernel.data()) as Float32Array, bias: (await bias.data()) as Float32Array };
  tf.dispose([kernel, bias, x, y]);
  optimizer.dispose();
  return weights;
}

/** The trained weights as a classifier on the current backend. */
export function tinyClassifier(weights: TinyWeights): Classifier & { dispose(): void } {
  const kernel = tf.tensor2d(weights.kernel, [POOLED, CLASSES]);
  const bias = tf.tensor1d(weights.bias);
  return {
    name: 'tiny-linear',
    inputShape: [28, 28, 1],
    numClasses: CLASSES,
    logits: (images) => tf.tidy(() => forward(images, kernel, bias)),
    dispose: () => tf.dispose([kernel, bias]),
  };
}
