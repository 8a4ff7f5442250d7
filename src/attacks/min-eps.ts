import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset.js';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import { RandomStream } from '../random/stream.js';
import { checkCompatible } from '../runner/clean-eval.js';
import { resolveBatchSize, type BatchSizeChoice } from './batch-size.js';
import { cleanPass } from './evaluate.js';
import { checkEps, checkPositiveInt } from './params.js';
import { runPgd } from './pgd.js';
import type { AttackExampleOutcome, Norm } from './types.js';

export const MIN_EPS_ID = 'min-eps';
export const MIN_EPS_DEFAULT_BISECTIONS = 10;
export const MIN_EPS_DEFAULT_STEPS = 20;

export interface MinEpsParams {
  readonly norm: Norm;
  /** Upper end of the search: images PGD cannot break at this ε count as robust beyond it. */
  readonly maxEps: number;
  /** PGD iterations per probe (step 2.5·ε/steps, random start). */
  readonly steps: number;
  readonly restarts: number;
  /** Halvings of each image's interval after the first probe at maxEps: precision maxEps/2^bisections. */
  readonly bisections: number;
}

export interface MinEpsOptions {
  readonly norm?: Norm;
  readonly maxEps: number;
  readonly steps?: number;
  readonly restarts?: number;
  readonly bisections?: number;
  /** ε values to report robust accuracy at, read off the radii (default: maxEps alone). */
  readonly eps?: readonly number[];
  readonly seed: number;
  /** Images per batch, or `auto` (the default): as many as fit the memory budget. */
  readonly batchSize?: BatchSizeChoice;
  readonly onProgress?: (done: number, total: number) => void;
}

/** One image's smallest adversarial perturbation found. */
export interface RadiusRecord {
  readonly index: number;
  readonly label: number;
  readonly cleanCorrect: boolean;
  /**
   * Measured norm of the smallest-ε adversarial found: 0 when already misclassified, null when
   * PGD found none within maxEps. An upper bound on the true radius (the attack is a heuristic).
   */
  readonly radius: number | null;
  /** The prediction on that adversarial (or the clean prediction). */
  readonly predicted: number;
}

export interface MinEpsEvaluation {
  readonly attack: typeof MIN_EPS_ID;
  readonly params: MinEpsParams;
  readonly total: number;
  readonly cleanAccuracy: number;
  readonly cleanCorrect: number;
  /**
   * Median radius over all images (misclassified ones count 0, unbroken ones +∞); null when
   * more than half were not broken within maxEps, i.e. the median lies beyond the search.
   */
  readonly medianRadius: number | null;
  /** Robust accuracy read off the radii: an image counts as robust at ε when its radius exceeds ε. */
  readonly results: readonly { eps: number; robustAccuracy: number; robustCount: number }[];
  readonly perExample: readonly RadiusRecord[];
  readonly seed: number;
  /** Images per batch, as given or as `auto` chose. */
  readonly batchSize: number;
  readonly attackCost: number;
  readonly seconds: number;
}

export function resolveMinEps(options: Pick<MinEpsOptions, 'norm' | 'maxEps' | 'steps' | 'restarts' | 'bisections'>): MinEpsParams {
  const norm = options.norm ?? 'linf';
  checkEps(options.maxEps, norm);
  ensure(options.maxEps > 0, 'the minimal-ε search needs an upper ε above 0');
  const steps = options.steps ?? MIN_EPS_DEFAULT_STEPS;
  const restarts = options.restarts ?? 1;
  const bisections = options.bisections ?? MIN_EPS_DEFAULT_BISECTIONS;
  checkPositiveInt(steps, 'steps');
  checkPositiveInt(restarts, 'restarts');
  checkPositiveInt(bisections, 'bisections');
  return { norm, maxEps: options.maxEps, steps, restarts, bisections };
}

/** The median of radii where null means +∞; null when the median itself is +∞. */
export function medianRadius(radii: readonly (number | null)[]): number | null {
  if (radii.length === 0) return null;
  const sorted = radii.map((r) => r ?? Infinity).sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 ? (sorted[Math.floor(middle)] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return Number.isFinite(median) ? median : null;
}

/**
 * Bisection over each image's ε with PGD: one probe at maxEps, then `bisections` probes at the
 * midpoint of the image's current interval, all images of a batch at once with their own ε.
 * Each image keeps the adversarial found at its smallest successful ε. Models that all reach 0%
 * robust accuracy at the usual ε still differ in this radius.
 */
async function searchBatch(
  classifier: Classifier,
  images: tf.Tensor4D,
  labels: Int32Array,
  streams: readonly RandomStream[],
  params: MinEpsParams,
): Promise<{ found: (AttackExampleOutcome | null)[]; cost: number }> {
  const n = labels.length;
  const low = new Float32Array(n);
  const high = new Float32Array(n).fill(params.maxEps);
  const found: (AttackExampleOutcome | null)[] = new Array(n).fill(null);
  let cost = 0;
  for (let probe = 0; probe <= params.bisections; probe++) {
    // The first probe tries maxEps on every image; later ones only images broken so far.
    const active = Array.from(found.keys()).filter((i) => probe === 0 || found[i] !== null);
    if (active.length === 0) break;
    const eps = Float32Array.from(active, (i) => (probe === 0 ? params.maxEps : ((low[i] as number) + (high[i] as number)) / 2));
    const subset = tf.tidy(() => tf.gather(images, tf.tensor1d(Int32Array.from(active), 'int32'))) as tf.Tensor4D;
    try {
      const output = await runPgd(
        classifier,
        { images: subset, labels: Int32Array.from(active, (i) => labels[i] as number), random: active.map((i) => (streams[i] as RandomStream).derive('probe', probe)) },
        { eps, norm: params.norm, steps: params.steps, stepSize: eps.map((e) => (2.5 * e) / params.steps), restarts: params.restarts, randomStart: true },
      );
      output.adversarial.dispose();
      cost += output.costPerImage * active.length;
      active.forEach((i, j) => {
        const outcome = output.perExample[j] as AttackExampleOutcome;
        if (outcome.success) {
          found[i] = outcome;
          high[i] = Math.min(eps[j] as number, outcome.norm);
        } else if (probe > 0) {
          low[i] = eps[j] as number;
        }
      });
    } finally {
      subset.dispose();
    }
  }
  return { found, cost };
}

/** The search on the images of a batch at `positions` (the clean-correct ones). */
async function searchPositions(
  classifier: Classifier,
  images: tf.Tensor4D,
  positions: readonly number[],
  labels: Int32Array,
  streams: readonly RandomStream[],
  params: MinEpsParams,
): Promise<{ found: (AttackExampleOutcome | null)[]; cost: number }> {
  if (positions.length === 0) return { found: [], cost: 0 };
  const subset = tf.tidy(() => tf.gather(images, tf.tensor1d(Int32Array.from(positions), 'int32'))) as tf.Tensor4D;
  try {
    return await searchBatch(classifier, subset, Int32Array.from(positions, (i) => labels[i] as number), streams, params);
  } finally {
    subset.dispose();
  }
}

/**
 * The minimal-ε search over a dataset: each clean-correct image's smallest adversarial radius
 * found by bisection with PGD, the median radius, and robust accuracy at the requested ε read
 * off the radii. Memory stays flat over batches.
 */
export async function evaluateMinimalEps(classifier: Classifier, dataset: Dataset, options: MinEpsOptions): Promise<MinEpsEvaluation> {
  checkCompatible(classifier, dataset);
  const params = resolveMinEps(options);
  const reportAt = options.eps ?? [params.maxEps];
  for (const eps of reportAt) ensure(eps <= params.maxEps, `ε ${eps} lies beyond the search's upper end ${params.maxEps}`);
  const root = RandomStream.fromSeed(options.seed);
  const started = performance.now();
  const records: RadiusRecord[] = [];
  let cost = 0;
  let done = 0;
  const batchSize = await resolveBatchSize(classifier, options.batchSize ?? 'auto');
  for await (const batch of dataset.batches(batchSize)) {
    const images = tf.tensor4d(batch.images, [...batch.shape]);
    try {
      const [predicted] = await cleanPass(classifier, images, batch.labels);
      const positions = Array.from(predicted.keys()).filter((i) => predicted[i] === batch.labels[i]);
      const streams = positions.map((i) => root.derive(MIN_EPS_ID, params.norm, batch.indices[i] as number));
      const { found, cost: batchCost } = await searchPositions(classifier, images, positions, batch.labels, streams, params);
      cost += batchCost;
      const byPosition = new Map(positions.map((i, j) => [i, found[j] ?? null]));
      for (let i = 0; i < batch.labels.length; i++) {
        const attacked = byPosition.has(i);
        const outcome = byPosition.get(i);
        records.push({
          index: batch.indices[i] as number,
          label: batch.labels[i] as number,
          cleanCorrect: attacked,
          radius: !attacked ? 0 : outcome ? outcome.norm : null,
          predicted: outcome ? outcome.predicted : (predicted[i] as number),
        });
      }
    } finally {
      images.dispose();
    }
    done += batch.labels.length;
    options.onProgress?.(done, dataset.size);
  }
  const total = records.length;
  const cleanCorrect = records.filter((r) => r.cleanCorrect).length;
  const results = reportAt.map((eps) => {
    const robustCount = records.filter((r) => r.cleanCorrect && (r.radius === null || r.radius > eps)).length;
    return { eps, robustAccuracy: total ? robustCount / total : 0, robustCount };
  });
  return {
    attack: MIN_EPS_ID,
    params,
    total,
    cleanAccuracy: total ? cleanCorrect / total : 0,
    cleanCorrect,
    medianRadius: medianRadius(records.map((r) => r.radius)),
    results,
    perExample: records,
    seed: options.seed,
    attackCost: cost,
    batchSize,
    seconds: (performance.now() - started) / 1000,
  };
}
