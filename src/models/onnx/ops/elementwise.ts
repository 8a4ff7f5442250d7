/** Arithmetic, comparison and selection ops with numpy broadcasting; folded on the host for shape maths. */
import * as tf from '@tensorflow/tfjs-core';
import { hostCast } from '../host-tensor.js';
import { runtimeDType } from '../tensor-data.js';
import { broadcastOp, folded, run, unaryOp } from './common.js';
import { ALL_OPSETS, type OpConverter } from './types.js';

const intDivide = (a: number, b: number) => Math.trunc(a / b);

function power([x, y]: tf.Tensor[]): tf.Tensor {
  return tf.pow(x!, y!);
}

export const ELEMENTWISE_OPS: readonly OpConverter[] = [
  broadcastOp('Add', ([a, b]) => tf.add(a!, b!), { host: (a, b) => a + b }),
  broadcastOp('Sub', ([a, b]) => tf.sub(a!, b!), { host: (a, b) => a - b }),
  broadcastOp('Mul', ([a, b]) => tf.mul(a!, b!), { host: (a, b) => a * b }),
  {
    ...broadcastOp('Div', ([a, b]) => tf.div(a!, b!)),
    lower(ctx) {
      // Integer division truncates (as onnxruntime does); it only meets shape arithmetic, folded here.
      const host = ctx.input(0).dtype === 'float32' ? (a: number, b: number) => a / b : intDivide;
      return broadcastOp('Div', ([a, b]) => tf.div(a!, b!), { host }).lower(ctx);
    },
  },
  {
    ...broadcastOp('Pow', power, { host: (a, b) => a ** b }),
    lower(ctx) {
      const x = ctx.input(0);
      const exponent = ctx.input(1).constant;
      // x^2 (the variance in exported layer norms) as a square: exact, with a plain gradient.
      if (!x.constant && exponent?.data.length === 1 && exponent.data[0] === 2 && exponent.shape.length <= x.shape.length) {
        return run([{ shape: x.shape, dtype: x.dtype }], ([input]) => [tf.square(input!)]);
      }
      return broadcastOp('Pow', power, { host: (a, b) => a ** b }).lower(ctx);
    },
  },
  broadcastOp('Max', (xs) => xs.reduce((a, b) => tf.maximum(a, b)), { host: Math.max }),
  broadcastOp('Min', (xs) => xs.reduce((a, b) => tf.minimum(a, b)), { host: Math.min }),
  broadcastOp('Sum', (xs) => xs.reduce((a, b) => tf.add(a, b)), { host: (...v) => v.reduce((a, b) => a + b, 0) }),
  broadcastOp('Equal', ([a, b]) => tf.equal(a!, b!), { host: (a, b) => Number(a === b), dtype: 'bool' }),
  broadcastOp('Less', ([a, b]) => tf.less(a!, b!), { host: (a, b) => Number(a < b), dtype: 'bool' }),
  broadcastOp('Greater', ([a, b]) => tf.greater(a!, b!), { host: (a, b) => Number(a > b), dtype: 'bool' }),
  broadcastOp('And', ([a, b]) => tf.logicalAnd(a!, b!), { host: (a, b) => Number(a !== 0 && b !== 0), dtype: 'bool' }),
  broadcastOp('Or', ([a, b]) => tf.logicalOr(a!, b!), { host: (a, b) => Number(a !== 0 || b !== 0), dtype: 'bool' }),
  {
    ...broadcastOp('Where', ([c, a, b]) => tf.where(tf.cast(c!, 'bool'), a!, b!), { host: (c, a, b) => (c ? a : b) }),
    lower(ctx) {
      // The output takes the dtype of the values, not of the condition.
      const dtype = ctx.input(1).dtype;
      return broadcastOp('Where', ([c, a, b]) => tf.where(tf.cast(c!, 'bool'), a!, b!), { host: (c, a, b) => (c ? a : b), dtype }).lower(ctx);
    },
  },
  unaryOp('Not', (x) => tf.logicalNot(x), (v) => Number(v === 0)),
  unaryOp('Neg', (x) => tf.neg(x), (v) => -v),
  unaryOp('Abs', (x) => tf.abs(x), Math.abs),
  unaryOp('Sqrt', (x) => tf.sqrt(x), Math.sqrt),
  unaryOp('Reciprocal', (x) => tf.reciprocal(x), (v) => 1 / v),
  unaryOp('Exp', (x) => tf.exp(x), Math.exp),
  unaryOp('Log', (x) => tf.log(x), Math.log),
  unaryOp('Floor', (x) => tf.floor(x), Math.floor),
  unaryOp('Ceil', (x) => tf.ceil(x), Math.ceil),
  unaryOp('Identity', (x) => tf.clone(x), (v) => v),
  {
    id: 'Cast',
    opsets: ALL_OPSETS,
    layout: 'elementwise',
    lower(ctx) {
      const x = ctx.input(0);
      const to = ctx.int('to');
      const dtype = runtimeDType(to);
      if (!dtype) return ctx.fail(`casting to data type ${to} is not supported`);
      if (x.constant) return folded(hostCast(x.constant, dtype));
      return run([{ shape: x.shape, dtype }], ([input]) => [input!.dtype === dtype ? tf.clone(input!) : tf.cast(input!, dtype)]);
    },
  },
];
