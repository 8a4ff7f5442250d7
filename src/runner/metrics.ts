/**
 * Classification metrics as pure functions over predicted and true class indices. Every
 * fraction is in [0, 1]; a class with no examples has no accuracy (null) rather than a made-up 0.
 */
import { ensure } from '../errors.js';

function checkPair(predictions: ArrayLike<number>, labels: ArrayLike<number>): void {
  ensure(
    predictions.length === labels.length,
    `${predictions.length} predictions for ${labels.length} labels`,
  );
}

/** Fraction of examples whose prediction equals the label (0 for no examples). */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair(predictions, labels);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return labels.length ? correct / labels.length : 0;
}

/** Accuracy within each true class (recall), indexed by class; null where a class has no examples. */
export function perClassAccuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): (number | null)[] {
  checkPair(predictions, labels);
  const count = new Array<number>(numClasses).fill(0);
  const correct = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    ensure(Number.isInteger(label) && label >= 0 && label < numClasses, `label ${label} is not a class index in [0, ${numClasses - 1}]`);
    count[label]!++;
    if (predictions[i] === label) correct[label]!++;
  }
  return count.map((n, c) => (n ? correct[c]! / n : null));
}

/** Mean of the per-class accuracies over the classes that have examples (mean per-class recall). */
export function balancedAccuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number {
  return meanOfPresent(perClassAccuracy(predictions, labels, numClasses));
}

function meanOfPresent(values: readonly (number | null)[]): number {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0;
}

/** Many-, medium- and few-shot class indices (see `classGroups` in src/labels/imbalance/groups.ts). */
export interface ShotGroups {
  readonly many: readonly number[];
  readonly medium: readonly number[];
  readonly few: readonly number[];
}

export interface GroupAccuracy {
  /** Mean per-class accuracy over the group's classes that have test examples; null if none has. */
  readonly many: number | null;
  readonly medium: number | null;
  readonly few: number | null;
}

/**
 * Many/medium/few-shot accuracy: the mean per-class accuracy within each group, so that an
 * unbalanced test set does not weight the groups' classes unevenly.
 */
export function groupAccuracy(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  groups: ShotGroups,
  numClasses: number,
): GroupAccuracy {
  const perClass = perClassAccuracy(predictions, labels, numClasses);
  const of = (classes: readonly number[]) => {
    const present = classes.map((c) => perClass[c] ?? null).filter((v): v is number => v !== null);
    return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
  };
  return { many: of(groups.many), medium: of(groups.medium), few: of(groups.few) };
}

export interface Degradation {
  /** reference − value: accuracy points lost (negative when the value is higher). */
  readonly absolute: number;
  /** (reference − value) / reference: Liu et al.'s relative gap Δ; null when the reference is 0. */
  readonly relative: number | null;
}

/** How much a score dropped against the same protocol trained on clean, balanced labels. */
export function degradation(reference: number, value: number): Degradation {
  ensure(Number.isFinite(reference) && Number.isFinite(value), `degradation needs finite scores, got ${reference} and ${value}`);
  return { absolute: reference - value, relative: reference === 0 ? null : (reference - value) / reference };
}

export interface MeanInterval {
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); 0 for a single value. */
  readonly sd: number;
  /** 1.96·sd/√n: the half width of the normal-approximation 95% confidence interval. */
  readonly halfWidth: number;
  readonly low: number;
  readonly high: number;
}

/** Mean with a 95% confidence interval, as few-shot papers report over episodes. */
export function meanConfidenceInterval(values: ArrayLike<number>): MeanInterval {
  const n = values.length;
  ensure(n > 0, 'a confidence interval needs at least one value');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  const halfWidth = (1.96 * sd) / Math.sqrt(n);
  return { count: n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth };
}

/** Examples per class, indexed by class. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    ensure(Number.isInteger(label) && label >= 0 && label < numClasses, `label ${label} is not a class index in [0, ${numClasses - 1}]`);
    counts[label]!++;
  }
  return counts;
}
