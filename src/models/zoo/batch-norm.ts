import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNormTraining,
  BatchNormTrainingGrad,
  hasBatchNormTrainingKernels,
  type BatchNormTrainingAttrs,
} from '../../backend/batch-norm-training-kernels.js';

/** Batch statistics of one training-mode batch norm, for the moving averages. */
export interface BatchMoments {
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/** One implementation of training-mode batch norm; `onMoments` as in batchNormTraining. */
type BatchNormImplementation = (
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  onMoments: (moments: BatchMoments) => void,
) => tf.Tensor;

/**
 * Training-mode batch normalisation over all axes but the last, differentiable in x, gamma and
 * beta: on the backend's own kernels where it has them (the native addon's, on wasm), else built
 * from tfjs ops. `onMoments` receives the batch mean and (biased) variance; they are kept, the
 * callee disposes them.
 */
export const batchNormTraining: BatchNormImplementation = (x, gamma, beta, epsilon, onMoments) =>
  (x.dtype === 'float32' && hasBatchNormTrainingKernels() ? batchNormByKernels : batchNormByOps)(x, gamma, beta, epsilon, onMoments);

/**
 * From tfjs ops, with a hand-written gradient. tfjs-core 4.22's FusedBatchNorm gradient tiles every
 * per-channel vector to the full activation shape; on wasm those Tile calls took more time than all
 * the convolutions of a training step. This gradient broadcasts instead and needs three full-size passes.
 */
const batchNormByOps: BatchNormImplementation = (x, gamma, beta, epsilon, onMoments) => {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const count = x.size / (x.shape[x.rank - 1] as number);
  const normalize = tf.customGrad((input, scale, offset, save) => {
    const xs = input as tf.Tensor;
    const mean = tf.mean(xs, axes);
    const centered = tf.sub(xs, mean);
    const variance = tf.mean(tf.square(centered), axes);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const normalized = tf.mul(centered, invStd);
    onMoments({ mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D });
    (save as tf.GradSaveFunc)([normalized, invStd, scale as tf.Tensor]);
    return {
      value: tf.add(tf.mul(normalized, scale as tf.Tensor), offset as tf.Tensor),
      gradFunc: (dy, saved) => {
        const [xhat, inv, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const dyT = dy as tf.Tensor;
        const dOffset = tf.sum(dyT, axes);
        const dScale = tf.sum(tf.mul(dyT, xhat), axes);
        // dx = γ·σ⁻¹/m · (m·dy − Σdy − x̂·Σ(dy·x̂)), the usual closed form.
        const inner = tf.sub(tf.sub(tf.mul(dyT, count), dOffset), tf.mul(xhat, dScale));
        const dInput = tf.mul(inner, tf.div(tf.mul(g, inv), count));
        return [dInput, dScale, dOffset];
      },
    };
  });
  return normalize(x, gamma, beta);
};

/** On the backend's BatchNormTraining kernels: two passes each way, sums in float64 on the native addon. */
const batchNormByKernels: BatchNormImplementation = (x, gamma, beta, epsilon, onMoments) => {
  const attrs: BatchNormTrainingAttrs = { epsilon };
  const normalize = tf.customGrad((input, scale, offset, save) => {
    const inputs = { x: input as tf.Tensor, scale: scale as tf.Tensor, offset: offset as tf.Tensor };
    const [y, mean, variance, invStd] = tf.engine().runKernel(BatchNormTraining, inputs, { ...attrs }) as tf.Tensor[];
    // Saved (as clones) before onMoments: its callee may dispose the mean it receives at once.
    (save as tf.GradSaveFunc)([inputs.x, mean!, invStd!, inputs.scale]);
    onMoments({ mean: tf.keep(mean!) as tf.Tensor1D, variance: tf.keep(variance!) as tf.Tensor1D });
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [xs, m, inv, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(BatchNormTrainingGrad, { dy: dy as tf.Tensor, x: xs, mean: m, invStd: inv, scale: g }) as tf.Tensor[];
      },
    };
  });
  return normalize(x, gamma, beta);
};
