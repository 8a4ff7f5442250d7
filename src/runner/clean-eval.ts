import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset.js';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';

export interface ClassAccuracy {
  readonly classIndex: number;
  readonly className: string;
  readonly count: number;
  readonly correct: number;
  /** Fraction in [0, 1]; null when the class has no images in the evaluated set. */
  readonly accuracy: number | null;
}

export interface CleanEvaluation {
  readonly total: number;
  readonly correct: number;
  /** Top-1 accuracy, a fraction in [0, 1]. */
  readonly accuracy: number;
  readonly perClass: readonly ClassAccuracy[];
  /** The predicted class of every image, in dataset order. */
  readonly predictions: Int32Array;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

export interface EvaluateOptions {
  readonly batchSize?: number;
  /** Called after each batch with the number of images done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Fails early, with both shapes named, when a model cannot take the dataset's images or classes. */
export function checkCompatible(model: Classifier, dataset: Dataset): void {
  const [h, w, c] = model.inputShape;
  const [dh, dw, dc] = dataset.imageShape;
  ensure(
    h === dh && w === dw && c === dc,
    `the model expects ${h}×${w}×${c} images but ${dataset.info.name} has ${dh}×${dw}×${dc}`,
  );
  ensure(
    model.numClasses === dataset.numClasses,
    `the model predicts ${model.numClasses} classes but ${dataset.info.name} has ${dataset.numClasses}`,
  );
}

/** Top-1 accuracy of a classifier on a dataset, overall and per class, streamed batch by batch. */
export async function evaluateClean(model: Classifier, dataset: Dataset, options: EvaluateOptions = {}): Promise<CleanEvaluation> {
  checkCompatible(model, dataset);
  const predictions = new Int32Array(dataset.size);
  const started = performance.now();
  let done = 0;
  for await (const batch of dataset.batches(options.batchSize ?? 256)) {
    const predicted = tf.tidy(() => tf.argMax(model.logits(tf.tensor4d(batch.images, [...batch.shape])), 1));
    predictions.set(await predicted.data(), done);
    predicted.dispose();
    done += batch.labels.length;
    options.onProgress?.(done, dataset.size);
  }
  const seconds = (performance.now() - started) / 1000;
  return { ...scorePredictions(predictions, dataset.labels, dataset.classNames), predictions, seconds, imagesPerSecond: dataset.size / seconds };
}

/** Accuracy overall and per class from predicted and true labels. */
export function scorePredictions(
  predictions: Int32Array,
  labels: Int32Array,
  classNames: readonly string[],
): Pick<CleanEvaluation, 'total' | 'correct' | 'accuracy' | 'perClass'> {
  const count = new Array<number>(classNames.length).fill(0);
  const correctByClass = new Array<number>(classNames.length).fill(0);
  labels.forEach((label, i) => {
    count[label]!++;
    if (predictions[i] === label) correctByClass[label]!++;
  });
  const correct = correctByClass.reduce((a, b) => a + b, 0);
  return {
    total: labels.length,
    correct,
    accuracy: labels.length ? correct / labels.length : 0,
    perClass: classNames.map((className, classIndex) => ({
      classIndex,
      className,
      count: count[classIndex]!,
      correct: correctByClass[classIndex]!,
      accuracy: count[classIndex] ? correctByClass[classIndex]! / count[classIndex]! : null,
    })),
  };
}
