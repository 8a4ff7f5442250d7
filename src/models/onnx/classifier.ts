/** An ONNX file as the project's Classifier (and Backbone), loaded through loadClassifier. */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { basename, dirname } from 'node:path';
import { ensure } from '../../errors.js';
import type { Backbone, LoadedClassifier } from '../contract.js';
import { defaultEmbeddingValue, OnnxGraph, readOnnxFile, resolveValueName } from './model.js';
import { readSidecar, sidecarPath } from './sidecar.js';

export interface OnnxLoadOptions {
  readonly embeddingNode?: string;
  readonly inputMean?: readonly number[];
  readonly inputStd?: readonly number[];
}

function flattenRows(out: tf.Tensor): tf.Tensor2D {
  return out.rank === 2 ? (out as tf.Tensor2D) : (tf.reshape(out, [out.shape[0]!, -1]) as tf.Tensor2D);
}

/**
 * The model's identity for caches and reports: the file (and external data) plus the normalisation
 * it is run with, since the same file under another mean/std is another function of the images.
 */
function effectiveHash(fileHash: string, mean: readonly number[], std: readonly number[]): string {
  return createHash('sha256').update(fileHash).update(JSON.stringify({ mean, std })).digest('hex');
}

export async function loadOnnxClassifier(file: string, options: OnnxLoadOptions = {}): Promise<LoadedClassifier> {
  const parsed = readOnnxFile(file);
  const sidecar = readSidecar(file);
  const mean = options.inputMean ?? sidecar?.mean;
  const std = options.inputStd ?? sidecar?.std;
  const warnings: string[] = [];
  if (!mean && !std) {
    warnings.push(`no input normalisation given (--input-mean/--input-std or ${basename(sidecarPath(file))}): the model gets images in [0, 1] as they are`);
  }
  const embeddingName = options.embeddingNode ?? sidecar?.embeddingNode;
  const embeddingValue = embeddingName !== undefined ? resolveValueName(parsed, embeddingName) : defaultEmbeddingValue(parsed);
  const graph = new OnnxGraph(parsed, { mean: mean ?? [0], std: std ?? [1] }, dirname(file), embeddingValue ? [embeddingValue] : []);
  try {
    const [c, h, w] = graph.inputChw;
    const logitsName = graph.outputNames[0]!;
    const [logitsShape, embeddingShape] = graph.shapesOf(embeddingValue ? [logitsName, embeddingValue] : [logitsName]);
    ensure(logitsShape!.length >= 2, `${file}: the first output '${logitsName}' must be [batch, classes] logits, got [${logitsShape!.join(', ')}]`);
    const name = sidecar?.name ?? basename(file).replace(/\.onnx$/i, '');
    const size = (shape: readonly number[]) => shape.slice(1).reduce((a, b) => a * b, 1);
    const backbone: Backbone | undefined = embeddingValue === undefined ? undefined : {
      name,
      inputShape: [h, w, c],
      embeddingSize: size(embeddingShape!),
      embed: (images) => tf.tidy(() => flattenRows(graph.run(images, embeddingValue))),
    };
    const weights = [...graph.initializers.values()];
    if (weights.some((t) => t.dtype === 'float32' && t.data.some((v) => !Number.isFinite(v)))) warnings.push('weights contain NaN or Inf values');
    return {
      name,
      inputShape: [h, w, c],
      numClasses: size(logitsShape!),
      logits: (images) => tf.tidy(() => flattenRows(graph.run(images, logitsName))),
      ...(backbone ? { backbone } : {}),
      info: { file, format: 'onnx', sha256: effectiveHash(parsed.sha256, mean ?? [0], std ?? [1]), parameterCount: graph.parameterCount, warnings },
      dispose: () => graph.dispose(),
    };
  } catch (error) {
    graph.dispose();
    throw error;
  }
}
