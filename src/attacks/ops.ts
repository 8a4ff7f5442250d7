import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/contract.js';
import type { RandomStream } from '../random/stream.js';
import { crossEntropy } from './losses.js';
import type { AttackExampleOutcome, Norm } from './types.js';

/** An ε-ball radius: one for the whole batch, or one per example (the minimal-ε search). */
export type Radius = number | Float32Array;

/** Smallest norm a gradient is divided by: a zero gradient gives a zero step, never NaN. */
const TINY = 1e-12;

/**
 * Gradient of the summed per-example loss with respect to the images, with the logits and the
 * per-example losses of that same forward pass (so iterates are scored without a second pass).
 * The caller owns all three.
 */
export function lossGradient(
  classifier: Classifier,
  images: tf.Tensor4D,
  loss: (logits: tf.Tensor2D) => tf.Tensor1D,
): { gradient: tf.Tensor4D; logits: tf.Tensor2D; losses: tf.Tensor1D } {
  let logits: tf.Tensor2D | undefined;
  let losses: tf.Tensor1D | undefined;
  const { value, grad } = tf.valueAndGrad((x: tf.Tensor4D) => {
    const out = classifier.logits(x);
    logits = tf.keep(out);
    const perExample = loss(out);
    losses = tf.keep(perExample);
    return tf.sum(perExample);
  })(images);
  value.dispose();
  return { gradient: grad as tf.Tensor4D, logits: logits as tf.Tensor2D, losses: losses as tf.Tensor1D };
}

/**
 * Gradient of the cross-entropy against `classes`, negated in targeted mode (we descend towards
 * the target), and the logits of the same pass. The caller owns both.
 */
export function objectiveGradient(
  classifier: Classifier,
  images: tf.Tensor4D,
  classes: tf.Tensor1D,
  targeted: boolean,
): { gradient: tf.Tensor4D; logits: tf.Tensor2D } {
  const { gradient, logits, losses } = lossGradient(classifier, images, (out) =>
    targeted ? tf.neg(crossEntropy(out, classes)) : crossEntropy(out, classes),
  );
  losses.dispose();
  return { gradient, logits };
}

/** A radius as something to broadcast against a batch: a number, or an [N, 1, 1, 1] tensor. */
function radiusOf(eps: Radius): number | tf.Tensor4D {
  return typeof eps === 'number' ? eps : tf.tensor4d(eps, [eps.length, 1, 1, 1]);
}

/** Per-example norm of a batch of perturbations, shaped [N, 1, 1, 1] for broadcasting. */
function exampleNorm(delta: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() =>
    norm === 'linf' ? tf.max(tf.abs(delta), [1, 2, 3], true) : tf.sqrt(tf.sum(tf.square(delta), [1, 2, 3], true)),
  ) as tf.Tensor4D;
}

/** Per-example norms of adversarial − clean, as a 1-D tensor. */
export function perturbationNorms(clean: tf.Tensor4D, adversarial: tf.Tensor4D, norm: Norm): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(exampleNorm(tf.sub(adversarial, clean), norm), [clean.shape[0]])) as tf.Tensor1D;
}

/**
 * The steepest-ascent direction of unit size in the norm: sign(g) for L∞, g/‖g‖₂ for L2.
 * A zero gradient gives a zero direction.
 */
export function ascentDirection(gradient: tf.Tensor4D, norm: Norm): tf.Tensor4D {
  return tf.tidy(() =>
    norm === 'linf' ? tf.sign(gradient) : tf.div(gradient, tf.maximum(exampleNorm(gradient, 'l2'), TINY)),
  ) as tf.Tensor4D;
}

/**
 * Exact projection of candidate − clean onto the L∞ ball of radius eps (a per-pixel clip),
 * then a clip of the image to [0, 1]. The clip never takes a pixel further from the clean one
 * (the clean image is in [0, 1]), so the result stays inside the ball.
 */
export function projectLinf(clean: tf.Tensor4D, candidate: tf.Tensor4D, eps: Radius): tf.Tensor4D {
  return tf.tidy(() => {
    const delta = tf.sub(candidate, clean);
    const radius = radiusOf(eps);
    const clipped = typeof radius === 'number' ? tf.clipByValue(delta, -radius, radius) : tf.minimum(tf.maximum(delta, tf.neg(radius)), radius);
    return tf.clipByValue(tf.add(clean, clipped), 0, 1);
  }) as tf.Tensor4D;
}

/**
 * Exact projection of candidate − clean onto the L2 ball of radius eps (rescaled when longer),
 * then a clip to [0, 1], which only shortens each pixel's change, so the result stays inside.
 */
export function projectL2(clean: tf.Tensor4D, candidate: tf.Tensor4D, eps: Radius): tf.Tensor4D {
  return tf.tidy(() => {
    const delta = tf.sub(candidate, clean) as tf.Tensor4D;
    const length = exampleNorm(delta, 'l2');
    const factor = tf.minimum(1, tf.div(radiusOf(eps), tf.maximum(length, TINY)));
    return tf.clipByValue(tf.add(clean, tf.mul(delta, factor)), 0, 1);
  }) as tf.Tensor4D;
}

export function project(clean: tf.Tensor4D, candidate: tf.Tensor4D, eps: Radius, norm: Norm): tf.Tensor4D {
  return norm === 'linf' ? projectLinf(clean, candidate, eps) : projectL2(clean, candidate, eps);
}

/** One step of size `stepSize` (per example or shared) along the ascent direction, projected back. */
export function projectedStep(
  clean: tf.Tensor4D,
  current: tf.Tensor4D,
  gradient: tf.Tensor4D,
  stepSize: Radius | tf.Tensor4D,
  eps: Radius,
  norm: Norm,
): tf.Tensor4D {
  return tf.tidy(() => {
    const size = stepSize instanceof tf.Tensor ? stepSize : radiusOf(stepSize);
    return project(clean, tf.add(current, tf.mul(ascentDirection(gradient, norm), size)) as tf.Tensor4D, eps, norm);
  });
}

/**
 * A random start inside the ball, one stream per image: uniform per pixel in [−ε, ε] for L∞,
 * uniform in the L2 ball (Gaussian direction, radius ε·u^(1/d)) for L2; then projected.
 */
export function randomStart(clean: tf.Tensor4D, eps: Radius, norm: Norm, streams: readonly RandomStream[]): tf.Tensor4D {
  const [n, h, w, c] = clean.shape;
  const size = h * w * c;
  const noise = new Float32Array(n * size);
  for (let i = 0; i < n; i++) {
    const stream = streams[i] as RandomStream;
    const row = noise.subarray(i * size, (i + 1) * size);
    const radius = typeof eps === 'number' ? eps : (eps[i] as number);
    if (norm === 'linf') {
      stream.fillUniform(row);
      for (let j = 0; j < size; j++) row[j] = (2 * row[j]! - 1) * radius;
    } else {
      stream.fillNormal(row);
      let sumSquares = 0;
      for (let j = 0; j < size; j++) sumSquares += row[j]! * row[j]!;
      const length = radius * Math.pow(stream.float(), 1 / size);
      const scale = sumSquares > 0 ? length / Math.sqrt(sumSquares) : 0;
      for (let j = 0; j < size; j++) row[j] = row[j]! * scale;
    }
  }
  return tf.tidy(() => project(clean, tf.add(clean, tf.tensor4d(noise, [n, h, w, c])), eps, norm));
}

/** Per-example success: untargeted, predicted ≠ label; targeted, predicted = target. */
export function successOf(predicted: tf.Tensor1D, classes: tf.Tensor1D, targeted: boolean): tf.Tensor1D {
  return tf.tidy(() => (targeted ? tf.equal(predicted, classes) : tf.notEqual(predicted, classes))) as tf.Tensor1D;
}

/**
 * Each example's best adversarial so far: a success beats a failure, and between equals the
 * larger objective (CE against the label, or −CE against the target) wins. Owns its tensors.
 */
export class WorstCase {
  private x?: tf.Tensor4D;
  private objective?: tf.Tensor1D;
  private success?: tf.Tensor1D;
  private predicted?: tf.Tensor1D;

  constructor(
    private readonly classes: tf.Tensor1D,
    private readonly targeted: boolean,
  ) {}

  /** Considers candidate images with their logits; neither is taken over. */
  offer(candidate: tf.Tensor4D, logits: tf.Tensor2D): void {
    const next = tf.tidy(() => {
      const ce = crossEntropy(logits, this.classes);
      const objective = this.targeted ? tf.neg(ce) : ce;
      const predicted = tf.cast(tf.argMax(logits, 1), 'int32') as tf.Tensor1D;
      const success = successOf(predicted, this.classes, this.targeted);
      if (!this.x || !this.objective || !this.success || !this.predicted) {
        return { x: tf.clone(candidate), objective, success, predicted };
      }
      const better = tf.logicalOr(
        tf.logicalAnd(success, tf.logicalNot(this.success)),
        tf.logicalAnd(tf.equal(success, this.success), tf.greater(objective, this.objective)),
      );
      const betterImage = tf.broadcastTo(tf.reshape(better, [better.shape[0], 1, 1, 1]), candidate.shape);
      return {
        x: tf.where(betterImage, candidate, this.x) as tf.Tensor4D,
        objective: tf.where(better, objective, this.objective) as tf.Tensor1D,
        success: tf.logicalOr(success, this.success) as tf.Tensor1D,
        predicted: tf.where(better, predicted, this.predicted) as tf.Tensor1D,
      };
    });
    this.dispose();
    Object.assign(this, next);
  }

  /** Whether every example has been broken (reads one small tensor). */
  async allSucceeded(): Promise<boolean> {
    if (!this.success) return false;
    const flags = await this.success.data();
    return flags.every((flag) => flag !== 0);
  }

  /** Hands over the best images and reads the per-example outcome; the tracker is empty after. */
  async finish(clean: tf.Tensor4D, norm: Norm): Promise<{ adversarial: tf.Tensor4D; perExample: AttackExampleOutcome[] }> {
    if (!this.x || !this.objective || !this.success || !this.predicted) throw new Error('WorstCase.finish before any offer');
    const norms = perturbationNorms(clean, this.x, norm);
    const [objective, success, predicted, measured] = await Promise.all([
      this.objective.data(), this.success.data(), this.predicted.data(), norms.data(),
    ]);
    norms.dispose();
    const adversarial = this.x;
    this.x = undefined;
    this.dispose();
    const perExample = Array.from(objective, (value, i) => ({
      success: success[i] !== 0,
      predicted: predicted[i] as number,
      norm: measured[i] as number,
      loss: this.targeted ? -value : value,
    }));
    return { adversarial, perExample };
  }

  dispose(): void {
    for (const t of [this.x, this.objective, this.success, this.predicted]) t?.dispose();
    this.x = this.objective = this.success = this.predicted = undefined;
  }
}

/** The classes the objective refers to: targets in targeted mode, else the labels. */
export function objectiveClasses(labels: Int32Array, targets: Int32Array | undefined): tf.Tensor1D {
  return tf.tensor1d(targets ?? labels, 'int32');
}
