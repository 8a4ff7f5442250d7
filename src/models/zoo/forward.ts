import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTraining } from './batch-norm.js';

/** A layer variable as tfjs-layers exposes it: read() gives the backing tf.Variable. */
export interface LayerVariableLike {
  readonly originalName: string;
  readonly trainable: boolean;
  read(): tf.Variable;
  write(value: tf.Tensor): unknown;
}

export function layerVariables(model: tfl.LayersModel | tfl.layers.Layer): LayerVariableLike[] {
  return model.weights as unknown as LayerVariableLike[];
}

/** The backing tf.Variables of a model's trainable weights, for variableGrads and optimizers. */
export function trainableVariables(model: tfl.LayersModel | tfl.layers.Layer): tf.Variable[] {
  return (model.trainableWeights as unknown as LayerVariableLike[]).map((w) => w.read());
}

function weightOf(layer: tfl.layers.Layer, suffix: string): LayerVariableLike {
  const found = layerVariables(layer).find((w) => w.originalName.endsWith(`/${suffix}`));
  if (!found) throw new Error(`layer ${layer.name} has no weight '${suffix}'`);
  return found;
}

export interface TrainingForwardOptions {
  /** Update batch norm's moving mean and variance from this batch (false for EMA targets, probes, …). */
  readonly updateStatistics: boolean;
}

/**
 * Runs a functional LayersModel in training mode (batch statistics in batch norm), layer by
 * layer, with our own batch-norm training op in place of tfjs-layers' (see batch-norm.ts); other
 * layers run through their own `apply`. Differentiable. Each layer must appear once in the model.
 */
export function forwardTraining(model: tfl.LayersModel, input: tf.Tensor, options: TrainingForwardOptions): tf.Tensor {
  const values = new Map<number, tf.Tensor>([[model.inputs[0]!.id, input]]);
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw new Error(`layer ${layer.name} is used ${layer.inboundNodes.length} times; forwardTraining needs each layer once`);
    const node = layer.inboundNodes[0]!;
    const inputs = node.inputTensors.map((t) => {
      const value = values.get(t.id);
      if (!value) throw new Error(`layer ${layer.name}: input ${t.name} not computed yet`);
      return value;
    });
    const output = layer.getClassName() === 'BatchNormalization'
      ? batchNormLayerTraining(layer, inputs[0]!, options.updateStatistics)
      : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: true }) as tf.Tensor);
    values.set(node.outputTensors[0]!.id, output);
  }
  return values.get(model.outputs[0]!.id)!;
}

function batchNormLayerTraining(layer: tfl.layers.Layer, x: tf.Tensor, updateStatistics: boolean): tf.Tensor {
  const config = layer.getConfig() as { momentum: number; epsilon: number; axis: number | number[]; center: boolean; scale: boolean };
  const lastAxis = Array.isArray(config.axis) ? config.axis[0] : config.axis;
  if (!(lastAxis === -1 || lastAxis === x.rank - 1) || !config.center || !config.scale) {
    throw new Error(`layer ${layer.name}: only channels-last batch norm with centre and scale is supported`);
  }
  const gamma = weightOf(layer, 'gamma').read() as tf.Tensor1D;
  const beta = weightOf(layer, 'beta').read() as tf.Tensor1D;
  return batchNormTraining(x, gamma, beta, config.epsilon, ({ mean, variance }) => {
    if (updateStatistics) {
      const decay = 1 - config.momentum;
      for (const [name, batchValue] of [['moving_mean', mean], ['moving_variance', variance]] as const) {
        const moving = weightOf(layer, name);
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batchValue), decay)));
        });
      }
    }
    mean.dispose();
    variance.dispose();
  });
}
