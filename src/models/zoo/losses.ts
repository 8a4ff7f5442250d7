import * as tf from '@tensorflow/tfjs-core';

/** Mean softmax cross-entropy of logits against integer labels. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbabilities), 1)));
  });
}

/**
 * SimCLR's NT-Xent: for 2N projections of N images (views a and b), each one's positive is
 * its other view and the other 2N − 2 are negatives; cross-entropy over cosine similarity / T.
 */
export function ntXent(a: tf.Tensor2D, b: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const n = a.shape[0];
    const z = tf.div(tf.concat([a, b], 0), tf.add(tf.norm(tf.concat([a, b], 0), 'euclidean', 1, true), 1e-12));
    // A large negative on the diagonal removes each projection's similarity with itself.
    const similarities = tf.sub(tf.div(tf.matMul(z, z, false, true), temperature), tf.mul(tf.eye(2 * n), 1e9)) as tf.Tensor2D;
    const positives = tf.tensor1d(Int32Array.from({ length: 2 * n }, (_, i) => (i < n ? i + n : i - n)), 'int32');
    return crossEntropy(similarities, positives);
  });
}

/** BYOL's regression loss: 2 − 2·cos(prediction, target), averaged over the batch. */
export function byolRegression(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const unit = (t: tf.Tensor2D) => tf.div(t, tf.add(tf.norm(t, 'euclidean', 1, true), 1e-12));
    return tf.mean(tf.sub(2, tf.mul(2, tf.sum(tf.mul(unit(prediction), unit(target)), 1))));
  });
}
