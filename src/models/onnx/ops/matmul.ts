/** Gemm and MatMul (with numpy-style batch broadcasting). */
import * as tf from '@tensorflow/tfjs-core';
import { broadcastShapes } from '../host-tensor.js';
import { run } from './common.js';
import { ALL_OPSETS, type OpConverter } from './types.js';

const gemm: OpConverter = {
  id: 'Gemm',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const a = ctx.input(0);
    const b = ctx.input(1);
    if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail('inputs must be matrices');
    const transA = ctx.int('transA', 0) === 1;
    const transB = ctx.int('transB', 0) === 1;
    const alpha = ctx.float('alpha', 1);
    const beta = ctx.float('beta', 1);
    const rows = transA ? a.shape[1]! : a.shape[0]!;
    const cols = transB ? b.shape[0]! : b.shape[1]!;
    return run([{ shape: [rows, cols], dtype: 'float32' }], ([x, w, c]) => {
      let y: tf.Tensor = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, transA, transB);
      if (alpha !== 1) y = tf.mul(y, alpha);
      if (c) y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
      return [y];
    });
  },
};

const matMul: OpConverter = {
  id: 'MatMul',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const a = ctx.input(0).shape;
    const b = ctx.input(1).shape;
    if (a.length === 0 || b.length === 0) ctx.fail('scalar operands');
    // 1-D operands are promoted to matrices and the added axis dropped afterwards, as numpy does.
    const a2 = a.length === 1 ? [1, a[0]!] : a;
    const b2 = b.length === 1 ? [b[0]!, 1] : b;
    if (a2[a2.length - 1] !== b2[b2.length - 2]) ctx.fail(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not multiply`);
    const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
    if (!batch) return ctx.fail(`batch dimensions of [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    const full = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
    const shape = full.filter((_, i) => !(a.length === 1 && i === full.length - 2) && !(b.length === 1 && i === full.length - 1));
    const k = a2[a2.length - 1]!;
    return run([{ shape, dtype: 'float32' }], ([x, w]) => {
      const left = tf.reshape(x!, [...a2]);
      const right = tf.reshape(w!, [...b2]);
      // [..., n, k] × [k, m]: one 2-D product over all leading rows, which tfjs runs fastest.
      if (b2.length === 2 && a2.length > 2) {
        const y = tf.matMul(tf.reshape(left, [-1, k]) as tf.Tensor2D, right as tf.Tensor2D);
        return [tf.reshape(y, shape)];
      }
      return [tf.reshape(tf.matMul(left as tf.Tensor3D, right as tf.Tensor3D), shape)];
    });
  },
};

export const MATMUL_OPS: readonly OpConverter[] = [gemm, matMul];
