import * as tf from '@tensorflow/tfjs-core';

/** Keeps the DLR denominator finite when the top logits tie. */
const DLR_FLOOR = 1e-12;

/** Per-example cross-entropy of logits against class indices (int32). */
export function crossEntropy(logits: tf.Tensor2D, classes: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const picked = tf.sum(tf.mul(logits, tf.oneHot(classes, logits.shape[1])), 1);
    return tf.sub(tf.logSumExp(logits, 1), picked) as tf.Tensor1D;
  });
}

/** The largest logit of a class other than `classes` (the runner-up when the label leads). */
function bestOtherLogit(logits: tf.Tensor2D, classes: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const mask = tf.oneHot(classes, logits.shape[1]);
    // Subtracting a large constant from the excluded class keeps the gradient path of the rest.
    return tf.max(tf.sub(logits, tf.mul(mask, 1e9)), 1) as tf.Tensor1D;
  });
}

/** Logit of each example's class, picked by one-hot product so gradients flow to it. */
function logitOf(logits: tf.Tensor2D, classes: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(logits, tf.oneHot(classes, logits.shape[1])), 1) as tf.Tensor1D);
}

/**
 * The `count` largest logits of each row, largest first. tfjs has no gradient for TopK, so the
 * ranks come from repeated argmax (whose gradient is zero) and the values are picked by one-hot
 * products, through which the gradient flows as it does through a sort.
 */
function largestLogits(logits: tf.Tensor2D, count: number): tf.Tensor1D[] {
  const classes = logits.shape[1];
  const values: tf.Tensor1D[] = [];
  let excluded = tf.zeros(logits.shape);
  for (let rank = 0; rank < count; rank++) {
    const pick = tf.oneHot(tf.argMax(tf.sub(logits, tf.mul(excluded, 1e9)), 1), classes);
    values.push(tf.sum(tf.mul(logits, pick), 1) as tf.Tensor1D);
    excluded = tf.add(excluded, pick);
  }
  return values;
}

/**
 * Untargeted difference-of-logits ratio (Croce & Hein 2020), to be maximised:
 * −(z_y − max_{i≠y} z_i) / (z_π1 − z_π3), where π sorts the logits in decreasing order. Scaling
 * the logits does not change it, so attacks using it are not fooled by saturated softmax scales.
 * Needs at least 3 classes.
 */
export function dlrLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [first, , third] = largestLogits(logits, 3) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const margin = tf.sub(logitOf(logits, labels), bestOtherLogit(logits, labels));
    return tf.neg(tf.div(margin, tf.add(tf.sub(first, third), DLR_FLOOR))) as tf.Tensor1D;
  });
}

/**
 * Targeted DLR, to be maximised: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2). Needs at least 4 classes.
 */
export function targetedDlrLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, targets: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [first, , third, fourth] = largestLogits(logits, 4) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
    const margin = tf.sub(logitOf(logits, labels), logitOf(logits, targets));
    const scale = tf.add(tf.sub(first, tf.mul(tf.add(third, fourth), 0.5)), DLR_FLOOR);
    return tf.neg(tf.div(margin, scale)) as tf.Tensor1D;
  });
}
