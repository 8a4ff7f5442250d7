import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { RandomStream } from '../../random/stream.js';
import { seededDense } from './architecture.js';

/** A linear layer on the embedding (classifier, rotation head), as its own model. */
export function linearHead(random: RandomStream, name: string, inputSize: number, units: number): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize], name: `${name}_input` });
  const output = seededDense(random, `${name}_dense`, units).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name });
}

/** A two-layer MLP (dense → batch norm → ReLU → dense): SimCLR's projector, BYOL's projector and predictor. */
export function mlpHead(random: RandomStream, name: string, inputSize: number, hidden: number, output: number): tfl.LayersModel {
  const input = tfl.input({ shape: [inputSize], name: `${name}_input` });
  let x = seededDense(random, `${name}_hidden`, hidden, false).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9, epsilon: 1e-5 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu', name: `${name}_relu` }).apply(x) as tfl.SymbolicTensor;
  const out = seededDense(random, `${name}_out`, output).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name });
}

/** A dense layer with given weights (kernel inputSize × units, row-major), e.g. a linear probe turned into a classifier head. */
export function denseHead(name: string, inputSize: number, weights: { kernel: Float32Array; bias: Float32Array }): tfl.layers.Layer {
  const units = weights.bias.length;
  const layer = tfl.layers.dense({ name, units, inputShape: [inputSize] });
  layer.build([null, inputSize]);
  const values = [tf.tensor2d(weights.kernel, [inputSize, units]), tf.tensor1d(weights.bias)];
  layer.setWeights(values);
  tf.dispose(values);
  return layer;
}
