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
