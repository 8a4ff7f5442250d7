import { UserInputError } from '../../../errors.js';
import type { LoadedClassifier } from '../../../models/contract.js';
import { defaultEmbeddingCacheFolder } from '../../../models/probes/cache.js';
import { probeProtocols } from '../../../models/probes/catalogue.js';
import { datasetEmbeddings } from '../../../models/probes/embeddings.js';
import { partitionSplit, type ProbeSplit } from '../../../models/probes/split.js';
import type { FeatureSet, ProbeRun } from '../../../models/probes/types.js';
import { RandomStream } from '../../../random/stream.js';
import { balancedAccuracy, classCounts } from '../../metrics.js';
import type { BackboneCells, CellContext, CellOutcome, FinishedCell } from '../types.js';

/**
 * What the label families (label-noise, imbalance, few-shot) share: the frozen backbone's
 * embeddings of the evaluated images, and one seeded stratified train/test partition of them.
 * The partition depends only on the seed and the labels, so every backbone trains on the same
 * images and is scored on the same test images, which keeps the verdict's bootstrap paired.
 */

/** The share of each class given to the probe's training part, as `ssl-robust probe` does by default. */
export const LABEL_TRAIN_FRACTION = 0.5;

/** The embedding layer of a LayersModel, as `probe` names it in the cache key. */
const EMBEDDING_NAME = 'layers:embedding';

export interface LabelProbeInputs {
  readonly dim: number;
  readonly numClasses: number;
  /** Row-major embeddings of every evaluated image. */
  readonly features: Float32Array;
  readonly labels: Int32Array;
  /** The train/test partition, with the train part's clean labels. */
  readonly partition: ProbeSplit;
}

/** The same partition for every backbone and label family: a pure function of seed and labels. */
export function labelPartition(labels: Int32Array, numClasses: number, seed: number): ProbeSplit {
  return partitionSplit(labels, numClasses, LABEL_TRAIN_FRACTION, RandomStream.fromSeed(seed).derive('labels', 'partition'));
}

/**
 * The backbone's embeddings and the partition, or null when the model exposes no embedding.
 * Embeddings go through probe's disk cache, keyed by the model's sha256 and the images, so a
 * backbone's images are embedded once per audit and every later cell reads them back.
 */
export async function labelProbeInputs(context: CellContext): Promise<LabelProbeInputs | null> {
  const { classifier, dataset, config } = context;
  const backbone = classifier.backbone;
  if (!backbone) return null;
  // Only a loaded model has a file hash to key the cache by; anything else is embedded afresh.
  const sha256 = (classifier as Partial<LoadedClassifier>).info?.sha256;
  const embeddings = await datasetEmbeddings({
    backbone,
    dataset,
    modelSha256: sha256 ?? '',
    embeddingName: EMBEDDING_NAME,
    cacheFolder: sha256 ? defaultEmbeddingCacheFolder(context.env ?? process.env) : null,
    batchSize: config.batchSize,
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
  });
  return {
    dim: embeddings.dim,
    numClasses: dataset.numClasses,
    features: embeddings.features,
    labels: dataset.labels,
    partition: labelPartition(dataset.labels, dataset.numClasses, config.seed),
  };
}

/** The embeddings at these positions, with the given labels (the true ones by default). */
export function featureRows(inputs: LabelProbeInputs, positions: readonly number[], labels?: Int32Array): FeatureSet {
  const { dim } = inputs;
  const features = new Float32Array(positions.length * dim);
  positions.forEach((p, i) => features.set(inputs.features.subarray(p * dim, (p + 1) * dim), i * dim));
  return { features, labels: labels ?? Int32Array.from(positions, (p) => inputs.labels[p]!) };
}

/**
 * Fits the label families' protocol (linear or kNN, from the config) on training positions with
 * the given labels (noisy or subsampled ones included) and scores it on the clean test part:
 * one correctness bit per test image, in the partition's test order.
 */
export async function probeTestPart(
  inputs: LabelProbeInputs,
  protocolId: string,
  train: { readonly positions: readonly number[]; readonly labels: Int32Array },
  random: RandomStream,
): Promise<{ readonly run: ProbeRun; readonly correct: Uint8Array; readonly balancedAccuracy: number }> {
  const protocol = probeProtocols.get(protocolId);
  const run = await protocol.run(
    {
      dim: inputs.dim,
      numClasses: inputs.numClasses,
      train: featureRows(inputs, train.positions, train.labels),
      test: featureRows(inputs, inputs.partition.testIndices),
    },
    {},
    random,
  );
  const correct = Uint8Array.from(run.predictions, (p, i) => (p === run.labels[i] ? 1 : 0));
  return { run, correct, balancedAccuracy: balancedAccuracy(run.predictions, run.labels, inputs.numClasses) };
}

/** The stream of a label cell: the same for every backbone, so they all face the same draws. */
export function labelCellRandom(seed: number, family: string, name: string, level: number | null): RandomStream {
  return RandomStream.fromSeed(seed).derive('labels', family, name, level ?? 'none');
}

/** The probe trained on the train part's clean, balanced labels: what label noise and imbalance are measured from. */
export async function cleanReference(inputs: LabelProbeInputs, protocolId: string, seed: number): Promise<CellOutcome> {
  const { partition } = inputs;
  const scored = await probeTestPart(inputs, protocolId, { positions: partition.trainIndices, labels: partition.trainLabels }, RandomStream.fromSeed(seed).derive('labels', 'clean-reference'));
  return {
    metrics: { accuracy: meanOf(scored.correct), balancedAccuracy: scored.balancedAccuracy },
    itemCount: scored.correct.length,
    correct: scored.correct,
  };
}

function meanOf(bits: Uint8Array): number {
  let sum = 0;
  for (const bit of bits) sum += bit;
  return bits.length ? sum / bits.length : NaN;
}

/** A label cell on a backbone without an embedding: no items, no metrics; its family's notes say why. */
export const NOT_APPLICABLE: CellOutcome = { metrics: {}, itemCount: 0, correct: new Uint8Array(0) };

export function isNotApplicable(cell: FinishedCell): boolean {
  return cell.itemCount === 0;
}

/** Per-class counts of the partition's parts, kept with a cell the data was too small for (its note quotes them). */
const TRAIN_COUNTS = 'trainCountsByClass';
const TEST_COUNTS = 'testCountsByClass';

/**
 * Runs a cell's probing, turning the probe's refusal of too little data (too few images per
 * class for the weight-decay hold-out, the imbalance ratio or the episodes) into an empty cell
 * that keeps the partition's class counts: a fact about the data that the report notes, not a
 * crash that loses the rest of the audit.
 */
export async function unlessTooFewImages(inputs: LabelProbeInputs, work: () => Promise<CellOutcome>): Promise<CellOutcome> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error;
    const { partition, numClasses, labels } = inputs;
    const testLabels = Int32Array.from(partition.testIndices, (i) => labels[i]!);
    return { ...NOT_APPLICABLE, values: { [TRAIN_COUNTS]: classCounts(partition.trainLabels, numClasses), [TEST_COUNTS]: classCounts(testLabels, numClasses) } };
  }
}

/** What a probe needs of the train part, for notes on cells it refused. */
export function probeNeeds(protocol: string): string {
  return protocol === 'linear' ? 'the linear probe holds out a fifth of its training images per weight decay it tries' : `the ${protocol} probe needs training images in every class`;
}

/**
 * A label family's note on one backbone, if some of its cells hold no result: the model has no
 * embedding, or the data was too small for some tests (`describe` names a cell's test, `needs`
 * says what the family's tests require). The second kind does not name the backbone: it is the
 * same for all of them.
 */
export function labelNotes(mine: BackboneCells, family: string, title: string, describe: (cell: FinishedCell) => string, needs: (cells: readonly FinishedCell[]) => string): string[] {
  const empty = mine.cells.filter((cell) => cell.family === family && isNotApplicable(cell));
  if (empty.length === 0) return [];
  if (empty.some((cell) => !cell.values?.[TRAIN_COUNTS])) {
    return [`${title}: not applicable to ${mine.backbone.id}: the model exposes no embedding (a LayersModel needs a layer named 'embedding') to fit a probe on`];
  }
  const range = (key: string) => {
    const counts = empty[0]!.values![key]!;
    return `${Math.min(...counts)}–${Math.max(...counts)}`;
  };
  return [
    `${title}: ${empty.map(describe).join(', ')} not run: the probe's train part has ${range(TRAIN_COUNTS)} and its test part ${range(TEST_COUNTS)} images per class, ` +
      `too few (${needs(empty)}); evaluate more images (--limit)`,
  ];
}

/**
 * Per test image, mean over the family's conditions of (correct with clean labels − correct
 * under the condition): the label families' degradation for the verdict. Null when the family
 * could not run on this backbone.
 */
export function labelDegradation(reference: FinishedCell | undefined, conditions: readonly FinishedCell[]): Float64Array | null {
  const usable = conditions.filter((cell) => !isNotApplicable(cell));
  if (!reference || isNotApplicable(reference) || usable.length === 0) return null;
  const items = reference.itemCount;
  const out = new Float64Array(items);
  for (const cell of usable) for (let i = 0; i < items; i++) out[i]! += (reference.correct[i]! - cell.correct[i]!) / usable.length;
  return out;
}
