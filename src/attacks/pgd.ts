import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/contract.js';
import { objectiveClasses, objectiveGradient, projectedStep, randomStart, WorstCase, type Radius } from './ops.js';
import { checkEps, checkOptions, checkPositiveInt } from './params.js';
import { defineAttack, type AttackBudget, type Attack, type AttackInput, type AttackOutput, type Norm } from './types.js';
import { ensure } from '../errors.js';

export interface PgdParams extends AttackBudget {
  readonly steps: number;
  /** Absolute step size per iteration. */
  readonly stepSize: number;
  /** Independent runs; each example keeps its worst case over all of them. */
  readonly restarts: number;
  /** Start each run at a uniform random point of the ε-ball (always on for restarts > 1). */
  readonly randomStart: boolean;
}

export const PGD_DEFAULT_STEPS = 10;

/**
 * Projected gradient descent (Madry et al. 2018), L∞ and L2: from a random point of the ε-ball,
 * `steps` steps of size `stepSize` (default 2.5·ε/steps) along the sign (L∞) or normalised (L2)
 * gradient, each followed by the exact projection onto the ball and a clip to [0, 1]. Every
 * iterate is scored from the same forward pass that gives the gradient, and each example keeps
 * its worst case over iterates and restarts.
 */
export const pgd: Attack<PgdParams> = defineAttack<PgdParams>({
  id: 'pgd',
  summary: 'projected gradient descent with random start and restarts (Madry et al.), L∞ and L2',
  kind: 'white-box',
  norms: ['linf', 'l2'],
  accepts: ['norm', 'steps', 'restarts', 'stepSize', 'randomStart'],
  targeted: true,
  resolve(eps, options) {
    checkOptions(pgd, options);
    const norm = options.norm ?? 'linf';
    checkEps(eps, norm);
    const steps = options.steps ?? PGD_DEFAULT_STEPS;
    checkPositiveInt(steps, 'steps');
    const restarts = options.restarts ?? 1;
    checkPositiveInt(restarts, 'restarts');
    const stepSize = options.stepSize ?? (2.5 * eps) / steps;
    ensure(Number.isFinite(stepSize) && stepSize >= 0, `step size must be a finite number ≥ 0, got ${stepSize}`);
    const start = options.randomStart ?? true;
    ensure(start || restarts === 1, 'restarts without a random start would repeat the same run');
    return { eps, norm, steps, stepSize, restarts, randomStart: start };
  },
  run: (classifier, input, params) => runPgd(classifier, input, params),
});

/** PGD's settings with the radius and step size either shared or one per example. */
export interface PgdRun {
  readonly eps: Radius;
  readonly norm: Norm;
  readonly steps: number;
  readonly stepSize: Radius;
  readonly restarts: number;
  readonly randomStart: boolean;
}

/**
 * The PGD loop on one batch. Per-example radii let the minimal-ε search bisect every image's
 * own ε in one batched run.
 */
export async function runPgd(classifier: Classifier, input: AttackInput, params: PgdRun): Promise<AttackOutput> {
  const { images, labels, targets, random } = input;
  const targeted = targets !== undefined;
  const classes = objectiveClasses(labels, targets);
  const tracker = new WorstCase(classes, targeted);
  let restartsRun = 0;
  let x: tf.Tensor4D | undefined;
  try {
    for (let restart = 0; restart < params.restarts; restart++) {
      restartsRun++;
      x = params.randomStart
        ? randomStart(images, params.eps, params.norm, random.map((stream) => stream.derive('restart', restart)))
        : tf.clone(images);
      for (let step = 0; step < params.steps; step++) {
        const current: tf.Tensor4D = x;
        const { gradient, logits } = objectiveGradient(classifier, current, classes, targeted);
        tracker.offer(current, logits);
        logits.dispose();
        x = projectedStep(images, current, gradient, params.stepSize, params.eps, params.norm);
        gradient.dispose();
        current.dispose();
      }
      const last: tf.Tensor4D = x;
      const finalLogits = tf.tidy(() => classifier.logits(last));
      tracker.offer(last, finalLogits);
      finalLogits.dispose();
      last.dispose();
      x = undefined;
      if (restart + 1 < params.restarts && (await tracker.allSucceeded())) break;
    }
    const { adversarial, perExample } = await tracker.finish(images, params.norm);
    return { adversarial, perExample, costPerImage: restartsRun * params.steps };
  } finally {
    x?.dispose();
    tracker.dispose();
    classes.dispose();
  }
}
