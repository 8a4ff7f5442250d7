import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset.js';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import { RandomStream } from '../random/stream.js';
import type { Registry } from '../registry.js';
import { checkCompatible } from '../runner/clean-eval.js';
import { attacks as builtInAttacks } from './catalogue.js';
import { crossEntropy } from './losses.js';
import { selectChecks, type CheckSelection } from './sanity/catalogue.js';
import { runSanityChecks } from './sanity/run.js';
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
  readonly batchSize?: number;
  /** Called after each batch with the number of images done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Where attack ids are looked up (default: the built-in attacks). */
  readonly registry?: Registry<AnyAttack>;
  /** Sanity checks run on the result (default all; `quick` skips the ones that attack again). */
  readonly checks?: CheckSelection;
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
  const checks = selectChecks(options.checks ?? 'all');
  ensure(options.eps.length > 0, 'no ε given: an attack needs at least one ε (there is no default)');
  const params = options.eps.map((eps) => attack.resolve(eps, options.options ?? {}) as AttackBudget);
  const root = RandomStream.fromSeed(options.seed);
  const started = performance.now();

  const total = dataset.size;
  const cleanCorrectAll = new Uint8Array(total);
  const records: ExampleRecord[][] = params.map(() => []);
  let attackCost = 0;
  let done = 0;

  for await (const batch of dataset.batches(options.batchSize ?? 128)) {
    const n = batch.labels.length;
    const images = tf.tensor4d(batch.images, [...batch.shape]);
    try {
      const [predicted, cleanLoss] = await cleanPass(classifier, images, batch.labels);
      const correct = Array.from(predicted, (p, i) => p === batch.labels[i]);
      const positions = correct.flatMap((ok, i) => (ok ? [i] : []));
      correct.forEach((ok, i) => (cleanCorrectAll[done + i] = ok ? 1 : 0));

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
                random: positions.map((i) => exampleStream(root, p.eps, batch.indices[i] as number)),
              },
              p,
            );
            output.adversarial.dispose();
            attackCost += output.costPerImage * positions.length;
            output.perExample.forEach((outcome, j) => {
              const i = positions[j] as number;
              byPosition.set(i, {
                index: batch.indices[i] as number,
                label: batch.labels[i] as number,
                eps: p.eps,
                cleanCorrect: true,
                adversarialCorrect: !outcome.success,
                predicted: outcome.predicted,
                brokenBy: outcome.success ? (outcome.brokenBy ?? attack.id) : null,
                norm: outcome.norm,
                loss: outcome.loss,
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
              cleanCorrect: false,
              adversarialCorrect: false,
              predicted: predicted[i] as number,
              brokenBy: 'clean',
              norm: 0,
              loss: cleanLoss[i] as number,
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
    const attacked = list.filter((r) => r.cleanCorrect);
    const robustCount = list.filter((r) => r.adversarialCorrect).length;
    const norms = attacked.map((r) => r.norm);
    return {
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

/** Clean predictions and cross-entropy losses of one batch. */
export async function cleanPass(classifier: Classifier, images: tf.Tensor4D, labels: Int32Array): Promise<[Int32Array, Float32Array]> {
  const [predicted, loss] = tf.tidy(() => {
    const logits = classifier.logits(images);
    return [tf.cast(tf.argMax(logits, 1), 'int32'), crossEntropy(logits, tf.tensor1d(labels, 'int32'))];
  });
  try {
    const [p, l] = await Promise.all([predicted.data(), loss.data()]);
    return [Int32Array.from(p), Float32Array.from(l)];
  } finally {
    predicted.dispose();
    loss.dispose();
  }
}
