/** Activations: the ReLU family, sigmoids and their hard versions, GELU/erf, tanh, softmax. */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../host-tensor.js';
import { normaliseAxis, run, unaryOp } from './common.js';
import { ALL_OPSETS, type NodeContext, type OpConverter } from './types.js';

/** The bounds of Clip: attributes before opset 11, optional constant inputs from then on. */
function clipBounds(ctx: NodeContext): [number, number] {
  if (ctx.opset < 11) return [ctx.float('min', -Infinity), ctx.float('max', Infinity)];
  const bound = (i: number, fallback: number) => (ctx.inputs[i] ? ctx.constant(i, i === 1 ? 'min' : 'max').data[0]! : fallback);
  return [bound(1, -Infinity), bound(2, Infinity)];
}

function clip(x: tf.Tensor, low: number, high: number): tf.Tensor {
  if (low === 0 && high === 6) return tf.relu6(x);
  if (low === 0 && high === Infinity) return tf.relu(x);
  if (high === Infinity) return tf.maximum(x, low);
  if (low === -Infinity) return tf.minimum(x, high);
  return tf.clipByValue(x, low, high);
}

function hardSigmoid(x: tf.Tensor, alpha: number, beta: number): tf.Tensor {
  return tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1);
}

/** Softmax or log-softmax along an axis; opsets before 13 flatten the tensor at the axis first. */
function softmaxOp(id: string, fn: (x: tf.Tensor) => tf.Tensor): OpConverter {
  return {
    id,
    opsets: ALL_OPSETS,
    // Before opset 13 softmax flattens at the axis, which needs the logical layout; so does the last axis.
    layout: (node, _, opset) => (opset < 13 || (node.attributes.get('axis')?.value ?? -1) === -1 ? 'onnx' : 'axes'),
    lower(ctx) {
      const x = ctx.input(0);
      const rank = x.shape.length;
      const legacy = ctx.opset < 13;
      const logical = normaliseAxis(ctx, ctx.int('axis', legacy ? 1 : -1), rank);
      const out = [{ shape: x.shape, dtype: x.dtype }];
      if (legacy) {
        const rows = sizeOf(x.shape.slice(0, logical));
        return run(out, ([input]) => [tf.reshape(fn(tf.reshape(input!, [rows, -1])), input!.shape)]);
      }
      const axis = ctx.axis(logical, rank);
      if (axis === rank - 1) return run(out, ([input]) => [fn(input!)]);
      const perm = [...Array(rank).keys()];
      perm[axis] = rank - 1;
      perm[rank - 1] = axis;
      return run(out, ([input]) => [tf.transpose(fn(tf.transpose(input!, perm)), perm)]);
    },
  };
}

/** erf via tfjs's kernel; GELU as in ONNX, exact (erf) or with the tanh approximation. */
function gelu(x: tf.Tensor, approximate: string): tf.Tensor {
  if (approximate === 'tanh') {
    const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
  }
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export const ACTIVATION_OPS: readonly OpConverter[] = [
  unaryOp('Relu', (x) => tf.relu(x)),
  unaryOp('LeakyRelu', (x, ctx) => tf.leakyRelu(x, ctx.float('alpha', 0.01))),
  unaryOp('Elu', (x, ctx) => {
    const alpha = ctx.float('alpha', 1);
    return alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(tf.sub(tf.exp(x), 1), alpha));
  }),
  unaryOp('Sigmoid', (x) => tf.sigmoid(x)),
  unaryOp('Tanh', (x) => tf.tanh(x)),
  unaryOp('Softplus', (x) => tf.softplus(x)),
  unaryOp('Erf', (x) => tf.erf(x)),
  unaryOp('HardSigmoid', (x, ctx) => hardSigmoid(x, ctx.float('alpha', 0.2), ctx.float('beta', 0.5))),
  unaryOp('HardSwish', (x) => tf.mul(x, hardSigmoid(x, 1 / 6, 0.5)), undefined, [14, 21]),
  unaryOp('Gelu', (x, ctx) => gelu(x, ctx.string('approximate', 'none')), undefined, [20, 21]),
  {
    id: 'Clip',
    opsets: ALL_OPSETS,
    layout: 'elementwise',
    lower(ctx) {
      const x = ctx.input(0);
      const [low, high] = clipBounds(ctx);
      return run([{ shape: x.shape, dtype: x.dtype }], ([input]) => [clip(input!, low, high)]);
    },
  },
  softmaxOp('Softmax', (x) => tf.softmax(x)),
  softmaxOp('LogSoftmax', (x) => tf.logSoftmax(x)),
];
