import * as tf from '@tensorflow/tfjs-core';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import { crossEntropy, dlrLoss, targetedDlrLoss } from './losses.js';
import { lossGradient, project, projectedStep, randomStart, WorstCase } from './ops.js';
import { checkEps, checkOptions, checkPositiveInt } from './params.js';
import { runStages, type Stage } from './stages.js';
import { defineAttack, type AnyAttack, type Attack, type AttackBudget, type AttackInput, type AttackOptions, type AttackOutput, type Norm } from './types.js';

export interface ApgdParams extends AttackBudget {
  /** Iterations per run (AutoAttack: 100). */
  readonly steps: number;
  /** Runs from fresh random starts, each only on the examples still unbroken. */
  readonly restarts: number;
}

export interface ApgdTargetedParams extends ApgdParams {
  /** How many of the highest-scoring wrong classes are tried as targets, one run each (AutoAttack: 9). */
  readonly targetClasses: number;
}

export const APGD_DEFAULT_STEPS = 100;
export const APGD_DEFAULT_TARGET_CLASSES = 9;

/** The step-size schedule constants of Croce & Hein (2020), as in their reference code. */
const MOMENTUM = 0.75;
const OSCILLATION_THRESHOLD = 0.75;
const FIRST_CHECKPOINT = 0.22;
const MIN_CHECKPOINT_GAP = 0.06;
const CHECKPOINT_GAP_DECREASE = 0.03;

/** A per-example loss to maximise, given the logits and the labels. */
type ApgdLoss = (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Tensor1D;

/**
 * One APGD run (Croce & Hein 2020) on a batch: from a random start, steps of per-example size
 * (starting at 2ε) along the sign (L∞) or normalised (L2) gradient, with momentum 0.75. At each
 * checkpoint an example's step is halved, and it restarts from its best point, when its loss
 * rose in fewer than 75% of the steps since the last checkpoint, or when its best loss did not
 * improve and its step was not just halved. The checkpoint gap starts at 22% of the steps and
 * shrinks by 3% down to 6%. Success is misclassification; the tracker keeps each example's first
 * success (or highest cross-entropy) over every iterate.
 */
async function runApgdOnce(
  classifier: Classifier,
  input: AttackInput,
  params: { eps: number; norm: Norm; steps: number },
  loss: ApgdLoss,
): Promise<AttackOutput> {
  const { images, labels, random } = input;
  const n = images.shape[0];
  const labelTensor = tf.tensor1d(labels, 'int32');
  const tracker = new WorstCase(labelTensor, false);
  const objective = (logits: tf.Tensor2D) => loss(logits, labelTensor);
  const state: Record<string, tf.Tensor> = {};
  /** Replaces a state tensor, disposing the one it replaces. */
  const set = (name: string, value: tf.Tensor) => {
    if (state[name] !== value) state[name]?.dispose();
    state[name] = value;
  };
  const get = <T extends tf.Tensor>(name: string) => state[name] as T;
  const perImage = (flags: tf.Tensor1D) => tf.reshape(flags, [n, 1, 1, 1]);

  try {
    const start = randomStart(images, params.eps, params.norm, random);
    const first = lossGradient(classifier, start, objective);
    tracker.offer(start, first.logits);
    first.logits.dispose();
    set('x', start);
    set('previous', tf.clone(start));
    set('gradient', first.gradient);
    set('loss', first.losses);
    set('bestX', tf.clone(start));
    set('bestGradient', tf.clone(first.gradient));
    set('bestLoss', tf.clone(first.losses));
    set('bestLossAtCheckpoint', tf.clone(first.losses));
    set('stepSize', tf.fill([n, 1, 1, 1], 2 * params.eps));
    set('increases', tf.zeros([n]));
    set('halvedAtCheckpoint', tf.zeros([n], 'bool'));

    let gap = Math.max(Math.floor(FIRST_CHECKPOINT * params.steps), 1);
    const minGap = Math.max(Math.floor(MIN_CHECKPOINT_GAP * params.steps), 1);
    const gapDecrease = Math.max(Math.floor(CHECKPOINT_GAP_DECREASE * params.steps), 1);
    let sinceCheckpoint = 0;

    for (let step = 0; step < params.steps; step++) {
      const momentum = step === 0 ? 1 : MOMENTUM;
      const x = get<tf.Tensor4D>('x');
      const next = tf.tidy(() => {
        const z = projectedStep(images, x, get('gradient'), get<tf.Tensor4D>('stepSize'), params.eps, params.norm);
        const blended = tf.add(tf.add(x, tf.mul(tf.sub(z, x), momentum)), tf.mul(tf.sub(x, get('previous')), 1 - momentum));
        return project(images, blended as tf.Tensor4D, params.eps, params.norm);
      });
      set('previous', x);
      state['x'] = next;
      const { gradient, logits, losses } = lossGradient(classifier, next, objective);
      tracker.offer(next, logits);
      logits.dispose();
      set('gradient', gradient);
      const improved = tf.greater(losses, get('bestLoss')) as tf.Tensor1D;
      const improvedImage = perImage(improved);
      set('increases', tf.tidy(() => tf.add(get('increases'), tf.cast(tf.greater(losses, get('loss')), 'float32'))));
      set('bestX', tf.where(improvedImage, next, get('bestX')));
      set('bestGradient', tf.where(improvedImage, gradient, get('bestGradient')));
      set('bestLoss', tf.where(improved, losses, get('bestLoss')));
      set('loss', losses);
      improved.dispose();
      improvedImage.dispose();

      if (++sinceCheckpoint < gap) continue;
      const halve = tf.tidy(() => {
        const oscillating = tf.lessEqual(get('increases'), gap * OSCILLATION_THRESHOLD);
        const stalled = tf.logicalAnd(tf.logicalNot(get('halvedAtCheckpoint')), tf.greaterEqual(get('bestLossAtCheckpoint'), get('bestLoss')));
        return tf.logicalOr(oscillating, stalled) as tf.Tensor1D;
      });
      const halveImage = perImage(halve);
      set('stepSize', tf.tidy(() => tf.where(halveImage, tf.mul(get('stepSize'), 0.5), get('stepSize'))));
      set('x', tf.where(halveImage, get('bestX'), get('x')));
      set('gradient', tf.where(halveImage, get('bestGradient'), get('gradient')));
      set('halvedAtCheckpoint', halve);
      set('bestLossAtCheckpoint', tf.clone(get('bestLoss')));
      set('increases', tf.zeros([n]));
      halveImage.dispose();
      sinceCheckpoint = 0;
      gap = Math.max(gap - gapDecrease, minGap);
    }
    const { adversarial, perExample } = await tracker.finish(images, params.norm);
    return { adversarial, perExample, costPerImage: params.steps + 1 };
  } finally {
    for (const tensor of Object.values(state)) tensor.dispose();
    tracker.dispose();
    labelTensor.dispose();
  }
}

/** The same run repeated from fresh random starts, each on the examples still unbroken. */
function restartStages(id: string, restarts: number, run: Stage['run']): Stage[] {
  return Array.from({ length: restarts }, (_, restart) => ({ id, streamKeys: ['restart', restart], run }));
}

function resolveApgd(attack: AnyAttack, eps: number, options: AttackOptions): ApgdParams {
  checkOptions(attack, options);
  const norm = options.norm ?? 'linf';
  checkEps(eps, norm);
  const steps = options.steps ?? APGD_DEFAULT_STEPS;
  checkPositiveInt(steps, 'steps');
  const restarts = options.restarts ?? 1;
  checkPositiveInt(restarts, 'restarts');
  return { eps, norm, steps, restarts };
}

/** An untargeted APGD attack on one loss, restarted only on the examples still unbroken. */
function defineUntargetedApgd(id: string, summary: string, loss: ApgdLoss, minClasses: number): Attack<ApgdParams> {
  const attack: Attack<ApgdParams> = defineAttack<ApgdParams>({
    id,
    summary,
    kind: 'white-box',
    norms: ['linf', 'l2'],
    accepts: ['norm', 'steps', 'restarts'],
    targeted: false,
    resolve: (eps, options) => resolveApgd(attack, eps, options),
    run(classifier, input, params) {
      ensure(classifier.numClasses >= minClasses, `${id} needs at least ${minClasses} classes; the model has ${classifier.numClasses}`);
      return runStages(input, restartStages(id, params.restarts, (subset) => runApgdOnce(classifier, subset, params, loss)));
    },
  });
  return attack;
}

export const apgdCe = defineUntargetedApgd(
  'apgd-ce',
  'auto-PGD with cross-entropy (Croce & Hein 2020): adaptive step size and momentum, 100 steps, no step size to tune',
  crossEntropy,
  2,
);

/** The DLR loss cannot be masked by the logits' scale (AutoAttack's "plus" version runs it). */
export const apgdDlr = defineUntargetedApgd('apgd-dlr', 'auto-PGD with the scale-invariant DLR loss (Croce & Hein 2020); needs ≥ 3 classes', dlrLoss, 3);

/**
 * The classes to target for each example, best wrong class first: the highest clean logits
 * other than the label's, as AutoAttack's APGD-T picks them.
 */
async function targetRanking(classifier: Classifier, images: tf.Tensor4D, labels: Int32Array, count: number): Promise<Int32Array[]> {
  const order = tf.tidy(() => tf.topk(classifier.logits(images), classifier.numClasses).indices);
  const ranked = await order.array();
  order.dispose();
  return Array.from({ length: count }, (_, rank) =>
    Int32Array.from(ranked as number[][], (row, i) => row.filter((cls) => cls !== labels[i])[rank] as number),
  );
}

/**
 * APGD with the targeted DLR loss against each of the top wrong classes in turn (AutoAttack's
 * APGD-T), each run only on the examples still unbroken. Success is any misclassification.
 */
export const apgdT: Attack<ApgdTargetedParams> = defineAttack<ApgdTargetedParams>({
  id: 'apgd-t',
  summary: 'auto-PGD with the targeted DLR loss against the top wrong classes in turn (AutoAttack APGD-T); needs ≥ 4 classes',
  kind: 'white-box',
  norms: ['linf', 'l2'],
  accepts: ['norm', 'steps', 'restarts', 'targetClasses'],
  targeted: false,
  resolve(eps, options) {
    const base = resolveApgd(apgdT, eps, options);
    const targetClasses = options.targetClasses ?? APGD_DEFAULT_TARGET_CLASSES;
    checkPositiveInt(targetClasses, 'target classes');
    return { ...base, targetClasses };
  },
  async run(classifier, input, params) {
    ensure(classifier.numClasses >= 4, `apgd-t's targeted DLR loss needs at least 4 classes; the model has ${classifier.numClasses}`);
    const count = Math.min(params.targetClasses, classifier.numClasses - 1);
    const ranking = await targetRanking(classifier, input.images, input.labels, count);
    const stages: Stage[] = [];
    for (let restart = 0; restart < params.restarts; restart++) {
      for (const [rank, targets] of ranking.entries()) {
        stages.push({
          id: 'apgd-t',
          streamKeys: ['restart', restart, 'target', rank],
          run: async (subset, positions) => {
            const targetTensor = tf.tensor1d(Int32Array.from(positions, (i) => targets[i] as number), 'int32');
            try {
              return await runApgdOnce(classifier, subset, params, (logits, labels) => targetedDlrLoss(logits, labels, targetTensor));
            } finally {
              targetTensor.dispose();
            }
          },
        });
      }
    }
    return runStages(input, stages);
  },
});
