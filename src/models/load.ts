import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfconv from '@tensorflow/tfjs-converter';
import type { ImageShape } from '../data/dataset.js';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { assetPath } from '../paths.js';
import type { Backbone, LoadedClassifier, ModelInfo } from './contract.js';
import { readModelFiles, type LoadedArtifacts } from './files.js';
import { foldedInference } from './folded-inference.js';
import { loadOnnxClassifier } from './onnx/classifier.js';

/** Models that ship inside the package, usable by name instead of a path. */
export function bundledModelNames(): string[] {
  const folder = assetPath('models');
  return existsSync(folder) ? readdirSync(folder).filter((name) => existsSync(assetPath('models', name, 'model.json'))).sort() : [];
}

/** Resolves --model: a bundled model's name, else a path to model.json or its folder. */
export function resolveModelPath(spec: string): string {
  if (!spec.includes('/') && !spec.endsWith('.json') && bundledModelNames().includes(spec)) {
    return assetPath('models', spec, 'model.json');
  }
  ensure(
    existsSync(spec),
    () => `--model ${spec}: no such file or folder${bundledModelNames().length ? ` (bundled models: ${bundledModelNames().join(', ')})` : ''}`,
  );
  return spec;
}

export interface LoadOptions {
  /** For GraphModels and ONNX files: the node whose output is the embedding. */
  readonly embeddingNode?: string;
  /** For ONNX files: per-channel normalisation of [0, 1] images, (x - mean) / std. */
  readonly inputMean?: readonly number[];
  readonly inputStd?: readonly number[];
}

/** Loads a TF.js LayersModel or GraphModel, or an ONNX file, from disk as a Classifier (logits out). */
export async function loadClassifier(spec: string, options: LoadOptions = {}): Promise<LoadedClassifier> {
  if (/\.onnx$/i.test(spec)) return loadOnnxClassifier(resolveModelPath(spec), options);
  ensure(options.inputMean === undefined && options.inputStd === undefined, `--input-mean/--input-std apply to .onnx models only; a TF.js model carries its normalisation inside`);
  const files = await readModelFiles(resolveModelPath(spec));
  const isGraph = files.json.format === 'graph-model' || hasGraphTopology(files.json.modelTopology);
  try {
    return isGraph ? await graphClassifier(files, options) : await layersClassifier(files);
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${files.file}: cannot build the model: ${messageOf(error)}`);
  }
}

function hasGraphTopology(topology: unknown): boolean {
  return typeof topology === 'object' && topology !== null && 'node' in topology;
}

function imageShapeOf(shape: readonly (number | null)[] | undefined, file: string): ImageShape {
  ensure(
    shape && shape.length === 4 && shape.slice(1).every((d) => typeof d === 'number' && d > 0),
    `${file}: the model's input must be NHWC images with a fixed size, got [${shape?.join(', ')}]`,
  );
  const [, height, width, channels] = shape as [unknown, number, number, number];
  return [height, width, channels];
}

/**
 * Scans weights for NaN or Inf: such a model still runs, but its results are not to be trusted.
 * Reads asynchronously: webgpu under Node has no synchronous readback.
 */
async function nonFiniteWeightWarnings(weights: readonly { name: string; tensor: tf.Tensor }[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const { name, tensor } of weights) {
    if (tensor.dtype !== 'float32') continue;
    const flag = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(tensor))));
    const [bad] = await flag.data();
    flag.dispose();
    if (bad) warnings.push(`weight ${name} contains NaN or Inf values`);
  }
  return warnings;
}

async function modelInfo(files: LoadedArtifacts, format: ModelInfo['format'], weights: readonly { name: string; tensor: tf.Tensor }[]): Promise<ModelInfo> {
  return {
    file: files.file,
    format,
    sha256: files.sha256,
    parameterCount: weights.reduce((sum, { tensor }) => sum + tensor.size, 0),
    warnings: await nonFiniteWeightWarnings(weights),
  };
}

/** The layer whose output is the embedding: one named `embedding`, else the input of the final layer. */
function embeddingLayerOutput(model: tfl.LayersModel): tfl.SymbolicTensor | undefined {
  const named = model.layers.find((layer) => layer.name === 'embedding');
  if (named) return named.output as tfl.SymbolicTensor;
  const last = model.layers[model.layers.length - 1];
  const input = last?.input;
  return input && !Array.isArray(input) && input !== model.inputs[0] ? input : undefined;
}

async function layersClassifier(files: LoadedArtifacts): Promise<LoadedClassifier> {
  const model = await tfl.loadLayersModel(tf.io.fromMemory(files.artifacts));
  ensure(model.inputs.length === 1 && model.outputs.length === 1, `${files.file}: expected one input and one output, got ${model.inputs.length} and ${model.outputs.length}`);
  const inputShape = imageShapeOf(model.inputs[0]!.shape, files.file);
  const outputShape = model.outputs[0]!.shape;
  ensure(outputShape.length === 2 && typeof outputShape[1] === 'number', `${files.file}: the output must be [batch, classes] logits, got [${outputShape.join(', ')}]`);
  const name = files.json['name'] as string | undefined ?? model.name;
  const embeddingOutput = embeddingLayerOutput(model);
  // Batch norm folded into the convolutions, weight gradients skipped; model.apply where it does not apply.
  const folded = foldedInference(model, embeddingOutput ? [embeddingOutput] : []);
  const featureModel = embeddingOutput && !folded ? tfl.model({ inputs: model.inputs, outputs: embeddingOutput }) : undefined;
  const backbone: Backbone | undefined = embeddingOutput && {
    name,
    inputShape,
    embeddingSize: (embeddingOutput.shape.slice(1) as number[]).reduce((a, b) => a * b, 1),
    embed: (images) => tf.tidy(() => {
      const out = folded ? folded.run(images, embeddingOutput) : featureModel!.apply(images, { training: false }) as tf.Tensor;
      return tf.reshape(out, [out.shape[0]!, -1]) as tf.Tensor2D;
    }),
  };
  const weights = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  return {
    name,
    inputShape,
    numClasses: outputShape[1] as number,
    // Inference mode (batch norm's moving statistics, no dropout), differentiable in the images.
    logits: (images) => (folded ? folded.run(images, model.outputs[0]!) : model.apply(images, { training: false })) as tf.Tensor2D,
    ...(backbone ? { backbone } : {}),
    info: await modelInfo(files, 'layers-model', weights),
    dispose: () => {
      folded?.dispose();
      model.dispose();
    },
  };
}

async function graphClassifier(files: LoadedArtifacts, options: LoadOptions): Promise<LoadedClassifier> {
  const model = await tfconv.loadGraphModel(tf.io.fromMemory(files.artifacts));
  ensure(model.inputs.length === 1, `${files.file}: expected one input, got ${model.inputs.length}`);
  const inputShape = imageShapeOf(model.inputs[0]!.shape, files.file);
  const run = (images: tf.Tensor4D, node?: string) => {
    const out = (node ? model.execute(images, node) : model.execute(images)) as tf.Tensor;
    return out.rank === 2 ? (out as tf.Tensor2D) : (tf.reshape(out, [out.shape[0]!, -1]) as tf.Tensor2D);
  };
  // The class count is only known once the graph has run.
  const numClasses = tf.tidy(() => run(tf.zeros([1, ...inputShape]) as tf.Tensor4D).shape[1]);
  const embeddingNode = options.embeddingNode;
  const backbone: Backbone | undefined = embeddingNode === undefined ? undefined : {
    name: files.file,
    inputShape,
    embeddingSize: tf.tidy(() => run(tf.zeros([1, ...inputShape]) as tf.Tensor4D, embeddingNode).shape[1]),
    embed: (images) => tf.tidy(() => run(images, embeddingNode)),
  };
  const weights = Object.entries(model.weights).flatMap(([name, tensors]) => tensors.map((tensor) => ({ name, tensor })));
  return {
    name: files.file,
    inputShape,
    numClasses,
    logits: (images) => tf.tidy(() => run(images)),
    ...(backbone ? { backbone } : {}),
    info: await modelInfo(files, 'graph-model', weights),
    dispose: () => model.dispose(),
  };
}
