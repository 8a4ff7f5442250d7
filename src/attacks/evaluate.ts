import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset.js';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import { RandomStream } from '../random/stream.js';
import type { Registry } from '../registry.js';
import { checkCompatible } from '../runner/clean-eval.js';
import { resolveBatchSize, type BatchSizeChoice } from './batch-size.js';
import { attacks as builtInAttacks } from './catalogue.js';
import { crossEntropy } from './losses.js';
import { REATTACK_CHECKS, selectChecks, type CheckSelection } from './sanity/catalogue.js';
import { runSanityChecks } from './sanity/run.js';
import { checkTargetRule, chooseTargets, describeTargetRule, type TargetRule } from './targets.js';
import type { SanityCheck, SanityContext } from './sanity/types.js';
import type { AnyAttack, AttackBudget, AttackOptions, ExampleRecord, SanityFlag } from './types.js';

export interface RobustnessOptions {
  /** An attack id from the registry, or an attack object. */
  readonly attack: string | AnyAttack;
  /** The ε values to attack at; required (there is no default ε). */
  readonly eps: readonly number[];
  readonly options?: AttackOptions;
  /** Seed of every random draw (random starts); image i at ε uses its own stream derived from it. */
  readonly seed: number;
  /** Images per batch, or `auto` (the default): as many as fit the memory budget. */
  readonly batchSize?: BatchSizeChoice;
  /** Called after each batch with the number of images done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Where attack ids are looked up (default: the built-in attacks). */
  readonly registry?: Registry<AnyAttack>;
  /** Sanity checks run on the result (default all; `quick` skips the ones that attack again). */
  readonly checks?: CheckSelection;
  /**
   * Targeted mode: how each image's target class is picked (the attack must support targets).
   * Success then means reaching the target; robust accuracy still counts images whose prediction
   * stayed their label.
   */
  readonly targets?: TargetRule;
}

export interface EpsResult {
  readonly eps: number;
  /** Fraction of all images still correctly classified under attack, in [0, 1]. */
  readonly robustAccuracy: number;
  readonly robustCount: number;
  /** Images attacked: the clean-correct ones (the others count as broken). */
  readonly attacked: number;
  /** Mean and max measured perturbation norm over the attacked images (0 when none). */
  readonly meanNorm: number;
  readonly maxNorm: number;
  /** Targeted mode: the fraction of images given a target whose prediction reached it. */
  readonly targetedSuccessRate?: number;
  /** Targeted mode: how many images were given a target (the rest had none to reach). */
  readonly targeted?: number;
}

export interface RobustnessEvaluation<P extends AttackBudget = AttackBudget> {
  readonly attack: string;
  readonly total: number;
  readonly cleanAccuracy: number;
  readonly cleanCorrect: number;
  readonly results: readonly EpsResult[];
  /** One record per image and ε, ordered by ε then dataset index. */
  readonly perExample: readonly ExampleRecord[];
  /** The fully resolved parameters at each ε (same order as results): nothing implicit. */
  readonly params: readonly P[];
  readonly seed: number;
  /** Images per batch, as given or as `auto` chose. */
  readonly batchSize: number;
  /** Targeted mode's rule (`random`, `least-likely`, `class 3`); null when untargeted. */
  readonly targets: string | null;
  /** Sanity-check findings; `checksRun` names the checks that applied and ran. */
  readonly flags: readonly SanityFlag[];
  readonly checksRun: readonly string[];
  /** Gradient evaluations (or queries) spent over all images and ε. */
  readonly attackCost: number;
  readonly seconds: number;
}

/**
 * The random stream of one image at one ε: independent of batch size and of the other images.
 * It does not depend on the attack, so an ensemble member draws exactly what it draws alone
 * and the ensemble's worst case is per image at least as strong as each member's run.
 */
export function exampleStream(root: RandomStream, eps: number, index: number): RandomStream {
  return root.derive('attack', `eps=${eps}`, index);
}

/**
 * Robust accuracy of a classifier on a dataset under one attack at each ε. Clean-misclassified
 * images count as broken and are not attacked; the rest are attacked in batches. Every tensor is
 * disposed per batch, so memory stays flat over any number of batches.
 */
export async function evaluateRobustness(
  classifier: Classifier,
  dataset: Dataset,
  options: RobustnessOptions,
): Promise<RobustnessEvaluation> {
  checkCompatible(classifier, dataset);
  const registry = options.registry ?? builtInAttacks;
  const attack = typeof options.attack === 'string' ? registry.get(options.attack) : options.attack;
  const rule = options.targets;
  if (rule !== undefined) {
    const targetedIds = registry.list().filter((a) => a.targeted).map((a) => a.id);
    ensure(attack.targeted, `${attack.id} has no targeted mode (attacks with one: ${targetedIds.join(', ')})`);
    checkTargetRule(rule, classifier.numClasses);
  }
  // The re-attack checks compare untargeted attacks, so they say nothing about a targeted run.
  const checks = selectChecks(options.checks ?? 'all').filter((check) => rule === undefined || !REATTACK_CHECKS.includes(check.id));
  ensure(options.eps.length > 0, 'no ε given: an attack needs at least one ε (there is no default)');
  const params = options.eps.map((eps) => attack.resolve(eps, options.options ?? {}) as AttackBudget);
  const root = RandomStream.fromSeed(options.seed);
  const started = performance.now();

  const total = dataset.size;
  const cleanCorrectAll = new Uint8Array(total);
  const records: ExampleRecord[][] = params.map(() => []);
  let attackCost = 0;
  let done = 0;

  const batchSize = await resolveBatchSize(classifier, options.batchSize ?? 'auto', { gradients: attack.kind === 'white-box' });
  for await (const batch of dataset.batches(batchSize)) {
    const n = batch.labels.length;
    const images = tf.tensor4d(batch.images, [...batch.shape]);
    try {
      const [predicted, cleanLoss, leastLikely] = await cleanPass(classifier, images, batch.labels);
      const correct = Array.from(predicted, (p, i) => p === batch.labels[i]);
      correct.forEach((ok, i) => (cleanCorrectAll[done + i] = ok ? 1 : 0));
      // A target depends on the image only (not on ε), so every ε pushes towards the same class.
      const targetOf = rule === undefined
        ? undefined
        : chooseTargets(rule, batch.labels, classifier.numClasses, Array.from(batch.indices, (index) => root.derive('target', index)), leastLikely);
      const positions = correct.flatMap((ok, i) => (ok && targetOf?.[i] !== null ? [i] : []));

      for (let k = 0; k < params.length; k++) {
        const p = params[k] as AttackBudget;
        const byPosition = new Map<number, ExampleRecord>();
        if (positions.length > 0) {
          const subset = tf.tidy(() => tf.gather(images, tf.tensor1d(positions, 'int32'))) as tf.Tensor4D;
          try {
            const output = await attack.run(
              classifier,
              {
                images: subset,
                labels: Int32Array.from(positions, (i) => batch.labels[i] as number),
                ...(targetOf ? { targets: Int32Array.from(positions, (i) => targetOf[i] as number) } : {}),
                random: positions.map((i) => exampleStream(root, p.eps, batch.indices[i] as number)),
              },
              p,
            );
            output.adversarial.dispose();
            attackCost += output.costPerImage * positions.length;
            output.perExample.forEach((outcome, j) => {
              const i = positions[j] as number;
              const label = batch.labels[i] as number;
              // Untargeted success is leaving the label; targeted success is reaching the target, and
              // the image stays correct only if its prediction is still its label.
              const adversarialCorrect = targetOf ? outcome.predicted === label : !outcome.success;
              byPosition.set(i, {
                index: batch.indices[i] as number,
                label,
                eps: p.eps,
                cleanCorrect: true,
                adversarialCorrect,
                predicted: outcome.predicted,
                brokenBy: adversarialCorrect ? null : (outcome.brokenBy ?? attack.id),
                norm: outcome.norm,
                loss: outcome.loss,
                ...(targetOf ? { target: targetOf[i] as number, targetReached: outcome.success } : {}),
              });
            });
          } finally {
            subset.dispose();
          }
        }
        for (let i = 0; i < n; i++) {
          records[k]!.push(
            byPosition.get(i) ?? {
              index: batch.indices[i] as number,
              label: batch.labels[i] as number,
              eps: p.eps,
              // Not attacked: clean-misclassified, or (targeted at one class) already of that class.
              cleanCorrect: correct[i] as boolean,
              adversarialCorrect: correct[i] as boolean,
              predicted: predicted[i] as number,
              brokenBy: correct[i] ? null : 'clean',
              norm: 0,
              loss: cleanLoss[i] as number,
              ...(targetOf ? { target: targetOf[i] ?? null, targetReached: false } : {}),
            },
          );
        }
      }
    } finally {
      images.dispose();
    }
    done += n;
    options.onProgress?.(done, total);
  }

  const cleanCorrect = cleanCorrectAll.reduce((a, b) => a + b, 0);
  const results = records.map((list, k): EpsResult => {
    const attacked = list.filter((r) => r.cleanCorrect && (rule === undefined || r.target !== null));
    const robustCount = list.filter((r) => r.adversarialCorrect).length;
    const norms = attacked.map((r) => r.norm);
    const reached = attacked.filter((r) => r.targetReached).length;
    return {
      ...(rule !== undefined ? { targetedSuccessRate: attacked.length ? reached / attacked.length : 0, targeted: attacked.length } : {}),
      eps: (params[k] as AttackBudget).eps,
      robustAccuracy: total ? robustCount / total : 0,
      robustCount,
      attacked: attacked.length,
      meanNorm: norms.length ? norms.reduce((a, b) => a + b, 0) / norms.length : 0,
      maxNorm: norms.reduce((a, b) => Math.max(a, b), 0),
    };
  });
  const perExample = records.flat();
  const { flags, checksRun } = await checkResults(classifier, dataset, checks, {
    attack, params, results, perExample, attacks: registry, random: root.derive('sanity'),
  });
  return {
    attack: attack.id,
    total,
    cleanAccuracy: total ? cleanCorrect / total : 0,
    cleanCorrect,
    results,
    perExample,
    params,
    seed: options.seed,
    batchSize,
    targets: rule === undefined ? null : describeTargetRule(rule),
    flags,
    checksRun,
    attackCost,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Images the sanity checks probe: the first of the dataset, enough to see a pattern, cheap to re-attack. */
const SANITY_SAMPLE_SIZE = 32;

async function checkResults(
  classifier: Classifier,
  dataset: Dataset,
  checks: readonly SanityCheck[],
  context: Omit<SanityContext, 'classifier' | 'sample'> & { random: RandomStream },
): Promise<{ flags: SanityFlag[]; checksRun: string[] }> {
  if (checks.length === 0 || dataset.size === 0) return { flags: [], checksRun: [] };
  const sampleSet = dataset.take(Math.min(SANITY_SAMPLE_SIZE, dataset.size));
  // Records are keyed by dataset position, and the sample is the first positions.
  const positions = Array.from({ length: sampleSet.size }, (_, i) => i);
  const indices = Int32Array.from(positions);
  const images = tf.tensor4d(await sampleSet.read(positions), [sampleSet.size, ...dataset.imageShape]);
  try {
    const sample = { images, labels: Int32Array.from(sampleSet.labels), indices, random: Array.from(indices, (index) => context.random.derive(index)) };
    return await runSanityChecks(checks, { ...context, classifier, sample });
  } finally {
    images.dispose();
  }
}

/** Clean predictions, cross-entropy losses and least-likely classes (lowest logit) of one batch. */
export async function cleanPass(classifier: Classifier, images: tf.Tensor4D, labels: Int32Array): Promise<[Int32Array, Float32Array, Int32Array]> {
  const outputs = tf.tidy(() => {
    const logits = classifier.logits(images);
    return [tf.cast(tf.argMax(logits, 1), 'int32'), crossEntropy(logits, tf.tensor1d(labels, 'int32')), tf.cast(tf.argMin(logits, 1), 'int32')];
  });
  try {
    const [p, l, least] = await Promise.all(outputs.map((t) => t.data()));
    return [Int32Array.from(p!), Float32Array.from(l!), Int32Array.from(least!)];
  } finally {
    tf.dispose(outputs);
  }
}
