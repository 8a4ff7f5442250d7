import { ensure } from '../errors.js';
import type { RandomStream } from '../random/stream.js';
import type { NoiseInput, NoiseSampling, NoisyLabels, TransitionMatrix } from './types.js';

/** Refuses a noise rate outside [0, 1): at 1 no label would keep its class. */
export function checkRate(rate: number): void {
  ensure(Number.isFinite(rate) && rate >= 0 && rate < 1, `noise rate must be in [0, 1), got ${rate}`);
}

/** Refuses labels that are not class indices, and class counts a noise model cannot work with. */
export function checkNoiseInput(input: NoiseInput, minClasses = 2): void {
  const { labels, numClasses } = input;
  ensure(Number.isInteger(numClasses) && numClasses >= minClasses, `label noise needs at least ${minClasses} classes, got ${numClasses}`);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    ensure(label >= 0 && label < numClasses, () => `label ${label} of example ${i} is not a class index in [0, ${numClasses - 1}]`);
  }
}

/** A K×K matrix of zeros, as plain arrays. */
export function zeroMatrix(size: number): number[][] {
  return Array.from({ length: size }, () => new Array<number>(size).fill(0));
}

/** The identity with `rate` moved from each listed row's diagonal to its target column. */
export function flipMatrix(numClasses: number, rate: number, flips: readonly (readonly [from: number, to: number])[]): number[][] {
  const matrix = zeroMatrix(numClasses);
  for (let i = 0; i < numClasses; i++) matrix[i]![i] = 1;
  for (const [from, to] of flips) {
    matrix[from]![from] = 1 - rate;
    matrix[from]![to] = rate;
  }
  return matrix;
}

/** Index drawn from a probability row by inversion; rounding slack falls to the last positive entry. */
export function drawFromRow(row: readonly number[], u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let j = 0; j < row.length; j++) {
    const p = row[j]!;
    if (p <= 0) continue;
    last = j;
    cumulative += p;
    if (u < cumulative) return j;
  }
  return last;
}

/**
 * Splits n items over a row's entries in proportion to it, each count within one of n·p and
 * summing to n (largest remainder; ties go to the lower column). Zero entries always get zero.
 */
export function apportion(n: number, row: readonly number[]): number[] {
  const ideal = row.map((p) => n * p);
  const counts = ideal.map((x, j) => (row[j]! > 0 ? Math.floor(x) : 0));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = row
    .map((p, j) => ({ j, remainder: ideal[j]! - counts[j]!, positive: p > 0 }))
    .filter((e) => e.positive)
    .sort((a, b) => b.remainder - a.remainder || a.j - b.j);
  for (let k = 0; left > 0 && byRemainder.length > 0; k = (k + 1) % byRemainder.length, left--) counts[byRemainder[k]!.j]! += 1;
  return counts;
}

/** Draws a noisy label for every example from its clean class's row of the matrix. */
export function sampleFromMatrix(labels: Int32Array, matrix: TransitionMatrix, sampling: NoiseSampling, random: RandomStream): Int32Array {
  const noisy = new Int32Array(labels.length);
  if (sampling === 'per-example') {
    const draws = random.derive('per-example');
    for (let i = 0; i < labels.length; i++) noisy[i] = drawFromRow(matrix[labels[i]!]!, draws.float());
    return noisy;
  }
  const members = membersByClass(labels, matrix.length);
  members.forEach((positions, c) => {
    const counts = apportion(positions.length, matrix[c]!);
    const shuffled = random.derive('exact', c).shuffled(positions);
    let next = 0;
    counts.forEach((count, target) => {
      for (let k = 0; k < count; k++) noisy[shuffled[next++]!] = target;
    });
  });
  return noisy;
}

/** Positions of each class's examples, in order. */
export function membersByClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const members: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) members[labels[i]!]!.push(i);
  return members;
}

/** Counts of each class among the labels. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  return counts;
}

/** (clean, noisy) pair counts, their row-normalised matrix, and the fraction of changed labels. */
export function transitionStats(clean: Int32Array, noisy: Int32Array, numClasses: number) {
  const counts = zeroMatrix(numClasses);
  let changed = 0;
  for (let i = 0; i < clean.length; i++) {
    counts[clean[i]!]![noisy[i]!]! += 1;
    if (clean[i] !== noisy[i]) changed++;
  }
  const realised = counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count) => (total === 0 ? 0 : count / total));
  });
  return { counts, realised, rate: clean.length === 0 ? 0 : changed / clean.length };
}

/** The result record for a noise model defined by one matrix for all examples. */
export function matrixNoise(
  model: string,
  input: NoiseInput,
  matrix: TransitionMatrix,
  sampling: NoiseSampling,
  random: RandomStream,
  warnings: readonly string[] = [],
): NoisyLabels {
  const clean = input.labels.slice();
  const noisy = sampleFromMatrix(clean, matrix, sampling, random);
  const stats = transitionStats(clean, noisy, input.numClasses);
  let expectedFlips = 0;
  for (let i = 0; i < clean.length; i++) expectedFlips += 1 - matrix[clean[i]!]![clean[i]!]!;
  return {
    model,
    clean,
    noisy,
    expectedTransition: matrix,
    realisedTransition: stats.realised,
    transitionCounts: stats.counts,
    noiseRate: stats.rate,
    expectedNoiseRate: clean.length === 0 ? 0 : expectedFlips / clean.length,
    warnings,
  };
}
