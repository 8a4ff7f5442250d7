import type * as tf from '@tensorflow/tfjs-core';
import type { ImageShape } from '../data/dataset.js';

/**
 * A backbone: images NHWC float32 in [0, 1] in, embeddings out. Any input normalisation lives
 * inside the model, and it always runs in inference mode (batch norm uses its moving
 * statistics, dropout is off), so two identical calls give identical outputs.
 */
export interface Backbone {
  readonly name: string;
  readonly inputShape: ImageShape;
  readonly embeddingSize: number;
  /** Differentiable: attacks take gradients through it. The caller owns the result. */
  embed(images: tf.Tensor4D): tf.Tensor2D;
}

/** A backbone plus a classification head: logits (not probabilities) out. */
export interface Classifier {
  readonly name: string;
  readonly inputShape: ImageShape;
  readonly numClasses: number;
  /** Differentiable: attacks take gradients through it. The caller owns the result. */
  logits(images: tf.Tensor4D): tf.Tensor2D;
  /** The feature extractor under the head, when the model exposes one. */
  readonly backbone?: Backbone;
}

/** Facts about a loaded model for reports and manifests. */
export interface ModelInfo {
  readonly file: string;
  readonly format: 'layers-model' | 'graph-model' | 'onnx';
  readonly sha256: string;
  readonly parameterCount: number;
  /** Problems worth telling the user that do not stop evaluation (NaN or Inf weights, …). */
  readonly warnings: readonly string[];
}

/** A classifier loaded from disk, holding tensors until disposed. */
export interface LoadedClassifier extends Classifier {
  readonly info: ModelInfo;
  dispose(): void;
}
