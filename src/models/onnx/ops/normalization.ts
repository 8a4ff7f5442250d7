/** BatchNormalization (inference, folded to one scale and shift per channel) and LayerNormalization. */
import * as tf from '@tensorflow/tfjs-core';
import { host, type HostTensor } from '../host-tensor.js';
import { normaliseAxis, run } from './common.js';
import { ALL_OPSETS, type OpConverter } from './types.js';

/** scale / sqrt(var + eps) and bias - mean * that, per channel: the whole of inference-mode batch norm. */
export function batchNormAffine(scale: HostTensor, bias: HostTensor, mean: HostTensor, variance: HostTensor, epsilon: number): { multiplier: Float32Array; shift: Float32Array } {
  const channels = scale.data.length;
  const multiplier = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let i = 0; i < channels; i++) {
    multiplier[i] = scale.data[i]! / Math.sqrt(variance.data[i]! + epsilon);
    shift[i] = bias.data[i]! - mean.data[i]! * multiplier[i]!;
  }
  return { multiplier, shift };
}

const batchNormalization: OpConverter = {
  id: 'BatchNormalization',
  opsets: ALL_OPSETS,
  layout: (_, inputs) => (inputs[0]?.shape.length === 4 ? 'nhwc' : 'onnx'),
  lower(ctx) {
    const x = ctx.input(0);
    if (ctx.int('training_mode', 0) !== 0) ctx.fail('training mode is not supported; export the model in eval mode');
    if (ctx.node.outputs.slice(1).some(Boolean)) ctx.fail('running-statistics outputs (training mode) are not supported');
    if (x.shape.length < 2) ctx.fail(`input of rank ${x.shape.length}`);
    const channels = x.shape[1]!;
    const params = [1, 2, 3, 4].map((i) => ctx.constant(i, ['scale', 'bias', 'mean', 'variance'][i - 1]!));
    if (params.some((p) => p.data.length !== channels)) ctx.fail(`parameters do not have ${channels} channels`);
    const { multiplier, shift } = batchNormAffine(params[0]!, params[1]!, params[2]!, params[3]!, ctx.float('epsilon', 1e-5));
    // Channels are last in NHWC and in [N, C]; for [N, C, L, …] they broadcast over the trailing axes.
    const trailing = x.shape.length === 4 || x.shape.length === 2 ? [] : new Array<number>(x.shape.length - 2).fill(1);
    const a = ctx.derived('multiplier', () => host('float32', [channels, ...trailing], multiplier));
    const b = ctx.derived('shift', () => host('float32', [channels, ...trailing], shift));
    return run([{ shape: x.shape, dtype: 'float32' }], ([input]) => [tf.add(tf.mul(input!, a), b)]);
  },
};

const layerNormalization: OpConverter = {
  id: 'LayerNormalization',
  opsets: [17, 21],
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const axis = normaliseAxis(ctx, ctx.int('axis', -1), rank);
    const epsilon = ctx.float('epsilon', 1e-5);
    if (ctx.node.outputs.slice(1).some(Boolean)) ctx.fail('the mean and inverse-deviation outputs are not supported');
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    return run([{ shape: x.shape, dtype: 'float32' }], ([input, scale, bias]) => {
      const mean = tf.mean(input!, axes, true);
      const centred = tf.sub(input!, mean);
      const variance = tf.mean(tf.square(centred), axes, true);
      const normalised = tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon)));
      const scaled = tf.mul(normalised, scale!);
      return [bias ? tf.add(scaled, bias) : scaled];
    });
  },
};

export const NORMALIZATION_OPS: readonly OpConverter[] = [batchNormalization, layerNormalization];
