import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';

/**
 * What a probe trains and tests on. Train indices point into the train-side dataset (its
 * embeddings), test indices into the test-side one; both sides may be the same dataset. The
 * train labels are the ones to learn from, possibly noisy; tests always score true labels.
 */
export interface ProbeSplit {
  readonly trainIndices: readonly number[];
  /** One label per train index: the labels the probe learns from (noisy ones included). */
  readonly trainLabels: Int32Array;
  readonly testIndices: readonly number[];
  /** Where the split came from, for reports (e.g. "seeded stratified 50/50 partition"). */
  readonly description: string;
}

export interface Partition {
  /** Ascending positions of each part. */
  readonly first: number[];
  readonly second: number[];
}

/**
 * A seeded stratified partition: each class's positions are shuffled (one stream per class)
 * and round(fraction·count) of them go to the first part, the rest to the second.
 */
export function stratifiedPartition(labels: ArrayLike<number>, numClasses: number, firstFraction: number, random: RandomStream): Partition {
  ensure(firstFraction > 0 && firstFraction < 1, `the partition fraction must lie strictly between 0 and 1, got ${firstFraction}`);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i] as number]!.push(i);
  const first: number[] = [];
  const second: number[] = [];
  byClass.forEach((positions, c) => {
    const shuffled = random.derive('class', c).shuffled(positions);
    const take = Math.round(firstFraction * positions.length);
    first.push(...shuffled.slice(0, take));
    second.push(...shuffled.slice(take));
  });
  return { first: first.sort((a, b) => a - b), second: second.sort((a, b) => a - b) };
}

/** Trains on every train-side example with its own (clean) labels and tests on every test-side one. */
export function wholeSplit(trainLabels: Int32Array, testCount: number, description: string): ProbeSplit {
  return {
    trainIndices: Array.from({ length: trainLabels.length }, (_, i) => i),
    trainLabels,
    testIndices: Array.from({ length: testCount }, (_, i) => i),
    description,
  };
}

/** A seeded stratified partition of one labelled set into probe train and test parts. */
export function partitionSplit(labels: Int32Array, numClasses: number, trainFraction: number, random: RandomStream): ProbeSplit {
  const { first, second } = stratifiedPartition(labels, numClasses, trainFraction, random);
  const percent = Math.round(100 * trainFraction);
  return {
    trainIndices: first,
    trainLabels: Int32Array.from(first, (i) => labels[i]!),
    testIndices: second,
    description: `seeded stratified ${percent}/${100 - percent} train/test partition of one set`,
  };
}

/**
 * A probe split narrowed to a split file's examples and labels (noisy or imbalanced training
 * data): training keeps only the base split's train examples the file lists, with the file's
 * labels; the test side is unchanged, so the result compares directly with the base split.
 */
export function restrictToSplitFile(base: ProbeSplit, file: { indices: readonly number[]; labels: readonly number[] }, description: string): ProbeSplit {
  const labelOf = new Map(file.indices.map((index, i) => [index, file.labels[i] as number]));
  const trainIndices = base.trainIndices.filter((index) => labelOf.has(index));
  ensure(trainIndices.length > 0, `the split file keeps none of the probe's training examples (${base.description})`);
  return {
    trainIndices,
    trainLabels: Int32Array.from(trainIndices, (index) => labelOf.get(index) as number),
    testIndices: base.testIndices,
    description: `${base.description}; training on ${description}`,
  };
}
