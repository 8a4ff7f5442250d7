import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import {
  balancedAccuracy,
  classCounts,
  degradation,
  groupAccuracy,
  perClassAccuracy,
  accuracy,
  type Degradation,
  type GroupAccuracy,
  type MeanInterval,
} from '../../runner/metrics.js';
import { classGroups, type ClassGroups, type GroupRule } from '../../labels/imbalance/groups.js';
import type { ProbeSplit } from './split.js';
import type { FeatureSet, ProbeData, ProbeProtocol, ProbeSettings, ResolvedProbeSettings } from './types.js';

/** Embeddings of the train-side and test-side sets (possibly the same set) with their true labels. */
export interface ProbeEmbeddings {
  readonly dim: number;
  readonly classNames: readonly string[];
  readonly train: FeatureSet;
  readonly test: FeatureSet;
}

export interface ProbeClassAccuracy {
  readonly classIndex: number;
  readonly className: string;
  /** Test examples of the class that were scored. */
  readonly count: number;
  readonly accuracy: number | null;
}

/** The scores of one run of a protocol. */
export interface ProbeScores {
  /** Top-1 accuracy over the scored examples; for episodic protocols, over all queries pooled. */
  readonly accuracy: number;
  readonly balancedAccuracy: number;
  readonly perClass: readonly ProbeClassAccuracy[];
  /** Episodic protocols: mean accuracy over episodes with its 95% confidence interval. */
  readonly episodes: MeanInterval | null;
  /** The number to compare: the episode mean for episodic protocols, else accuracy. */
  readonly headline: number;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface LongTailScores {
  /** `terciles` (head/middle/tail thirds by training count) below 100 classes, else OLTR's thresholds. */
  readonly rule: GroupRule;
  readonly classes: ClassGroups;
  readonly accuracy: GroupAccuracy;
}

export interface ProbeEvaluation extends ProbeScores {
  readonly protocol: string;
  readonly settings: ResolvedProbeSettings;
  readonly split: { readonly description: string; readonly trainCount: number; readonly testCount: number };
  /** Fraction of training labels that differ from the true ones. */
  readonly noiseRate: number;
  /** Training examples per class, by the labels trained on. */
  readonly trainCounts: readonly number[];
  /** Many/medium/few-shot accuracy, when the training labels are imbalanced (largest/smallest class ≥ 2). */
  readonly longTail: LongTailScores | null;
  /** The same protocol trained on clean labels, when the split's labels are noisy or a reference split is given. */
  readonly reference: (ProbeScores & { readonly description: string }) | null;
  /** Headline and balanced accuracy lost against the reference. */
  readonly degradation: { readonly headline: Degradation; readonly balancedAccuracy: Degradation } | null;
}

function gather(set: FeatureSet, dim: number, positions: readonly number[], labels?: Int32Array): FeatureSet {
  const features = new Float32Array(positions.length * dim);
  positions.forEach((p, i) => {
    ensure(Number.isInteger(p) && p >= 0 && p < set.labels.length, `index ${p} is outside the set (size ${set.labels.length})`);
    features.set(set.features.subarray(p * dim, (p + 1) * dim), i * dim);
  });
  return { features, labels: labels ?? Int32Array.from(positions, (p) => set.labels[p]!) };
}

function probeData(embeddings: ProbeEmbeddings, split: ProbeSplit): ProbeData {
  ensure(
    split.trainLabels.length === split.trainIndices.length,
    `the split has ${split.trainLabels.length} train labels for ${split.trainIndices.length} train indices`,
  );
  const { dim, classNames } = embeddings;
  return {
    dim,
    numClasses: classNames.length,
    train: gather(embeddings.train, dim, split.trainIndices, split.trainLabels),
    test: gather(embeddings.test, dim, split.testIndices),
  };
}

interface ScoredRun {
  readonly scores: ProbeScores;
  readonly predictions: Int32Array;
  readonly labels: Int32Array;
}

async function score(protocol: ProbeProtocol, data: ProbeData, classNames: readonly string[], settings: ProbeSettings, random: RandomStream): Promise<ScoredRun> {
  const run = await protocol.run(data, settings, random);
  const numClasses = classNames.length;
  const perClass = perClassAccuracy(run.predictions, run.labels, numClasses);
  const counts = classCounts(run.labels, numClasses);
  const overall = accuracy(run.predictions, run.labels);
  const scores: ProbeScores = {
    accuracy: overall,
    balancedAccuracy: balancedAccuracy(run.predictions, run.labels, numClasses),
    perClass: classNames.map((className, classIndex) => ({ classIndex, className, count: counts[classIndex]!, accuracy: perClass[classIndex] ?? null })),
    episodes: run.episodes ?? null,
    headline: run.episodes?.mean ?? overall,
    details: run.details,
  };
  return { scores, predictions: run.predictions, labels: run.labels };
}

/** Many/medium/few-shot scores; only meaningful when the training labels are imbalanced. */
function longTail(run: ScoredRun, trainCounts: readonly number[]): LongTailScores | null {
  const present = trainCounts.filter((n) => n > 0);
  if (present.length < 3 || Math.max(...present) < 2 * Math.min(...present)) return null;
  const rule: GroupRule = trainCounts.length >= 100 ? 'oltr' : 'terciles';
  const classes = classGroups(trainCounts, trainCounts.map((_, c) => c), rule);
  return { rule, classes, accuracy: groupAccuracy(run.predictions, run.labels, classes, trainCounts.length) };
}

/**
 * Runs a protocol on a split of precomputed embeddings and scores it. When the split's train
 * labels are noisy (or a reference split is given), the same protocol is also trained on the
 * clean labels of the reference (by default: the same train examples) and the loss against
 * it is reported. Both runs draw from the same seeded stream.
 */
export async function evaluateProbe(
  protocol: ProbeProtocol,
  embeddings: ProbeEmbeddings,
  split: ProbeSplit,
  settings: ProbeSettings,
  random: RandomStream,
  referenceSplit?: ProbeSplit,
): Promise<ProbeEvaluation> {
  const resolved = protocol.resolve(settings);
  const data = probeData(embeddings, split);
  const numClasses = embeddings.classNames.length;
  const trueTrainLabels = Int32Array.from(split.trainIndices, (p) => embeddings.train.labels[p]!);
  let flipped = 0;
  for (let i = 0; i < trueTrainLabels.length; i++) if (trueTrainLabels[i] !== split.trainLabels[i]) flipped++;
  const noiseRate = trueTrainLabels.length ? flipped / trueTrainLabels.length : 0;
  const run = await score(protocol, data, embeddings.classNames, settings, random);
  const trainCounts = classCounts(split.trainLabels, numClasses);

  const reference = referenceSplit ?? (flipped > 0
    ? { ...split, trainLabels: trueTrainLabels, description: 'the same train examples with their true labels' }
    : undefined);
  let referenceScores: ProbeEvaluation['reference'] = null;
  if (reference) {
    const cleanLabels = Int32Array.from(reference.trainIndices, (p) => embeddings.train.labels[p]!);
    const referenceRun = await score(protocol, probeData(embeddings, { ...reference, trainLabels: cleanLabels }), embeddings.classNames, settings, random);
    referenceScores = { ...referenceRun.scores, description: reference.description };
  }
  return {
    protocol: protocol.id,
    settings: resolved,
    split: { description: split.description, trainCount: split.trainIndices.length, testCount: split.testIndices.length },
    ...run.scores,
    noiseRate,
    trainCounts,
    longTail: longTail(run, trainCounts),
    reference: referenceScores,
    degradation: referenceScores
      ? {
          headline: degradation(referenceScores.headline, run.scores.headline),
          balancedAccuracy: degradation(referenceScores.balancedAccuracy, run.scores.balancedAccuracy),
        }
      : null,
  };
}
