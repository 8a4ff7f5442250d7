/** ReduceMean/Sum/Max/Min/Prod/SumSquare/L2: axes from an attribute or, in newer opsets, an input. */
import * as tf from '@tensorflow/tfjs-core';
import { axesOf, normaliseAxis, run } from './common.js';
import { ALL_OPSETS, type OpConverter } from './types.js';

/** The opset from which each reduction takes its axes as an input instead of an attribute. */
function reduceOp(id: string, axesInputFrom: number, fn: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): OpConverter {
  return {
    id,
    opsets: ALL_OPSETS,
    // With keepdims the rank is kept, so NHWC activations can stay as they are.
    layout: (node, inputs) => ((node.attributes.get('keepdims')?.value ?? 1) === 1 && inputs[0]?.shape.length === 4 ? 'axes' : 'onnx'),
    lower(ctx) {
      const x = ctx.input(0);
      const rank = x.shape.length;
      const keep = ctx.int('keepdims', 1) === 1;
      const given = axesOf(ctx, 'axes', 1, axesInputFrom);
      const noopWhenEmpty = ctx.int('noop_with_empty_axes', 0) === 1;
      if ((!given || given.length === 0) && noopWhenEmpty) return run([{ shape: x.shape, dtype: x.dtype }], ([input]) => [tf.clone(input!)]);
      const logical = given && given.length ? [...new Set(given.map((a) => normaliseAxis(ctx, a, rank)))].sort() : [...Array(rank).keys()];
      const shape = keep ? x.shape.map((d, i) => (logical.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !logical.includes(i));
      const stored = logical.map((a) => ctx.axis(a, rank));
      return run([{ shape, dtype: x.dtype }], ([input]) => [fn(input!, stored, keep)]);
    },
  };
}

export const REDUCE_OPS: readonly OpConverter[] = [
  reduceOp('ReduceMean', 18, (x, axes, keep) => tf.mean(x, axes, keep)),
  reduceOp('ReduceSum', 13, (x, axes, keep) => tf.sum(x, axes, keep)),
  reduceOp('ReduceMax', 18, (x, axes, keep) => tf.max(x, axes, keep)),
  reduceOp('ReduceMin', 18, (x, axes, keep) => tf.min(x, axes, keep)),
  reduceOp('ReduceProd', 18, (x, axes, keep) => tf.prod(x, axes, keep)),
  reduceOp('ReduceSumSquare', 18, (x, axes, keep) => tf.sum(tf.square(x), axes, keep)),
  reduceOp('ReduceL2', 18, (x, axes, keep) => tf.sqrt(tf.sum(tf.square(x), axes, keep))),
];

