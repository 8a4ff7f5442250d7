import { RandomStream } from '../../random/stream.js';

export type Interval = readonly [low: number, high: number];

/**
 * Wilson score 95% interval of a proportion: closed form, so per-cell intervals need no
 * resampling, and unlike the normal approximation it stays inside [0, 1] at 0% or 100%.
 */
export function wilsonInterval(successes: number, total: number): Interval {
  if (total <= 0) return [0, 1];
  const z = 1.959963984540054;
  const p = successes / total;
  const denominator = 1 + (z * z) / total;
  const centre = (p + (z * z) / (2 * total)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / total + (z * z) / (4 * total * total))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length ? sum / values.length : NaN;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of sorted values, linearly interpolated (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.min(sorted.length - 1, lower + 1);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export interface GroupDifference {
  /** mean over group A of each member's mean, minus the same over group B. */
  readonly estimate: number;
  readonly ci95: Interval;
  readonly resamples: number;
  readonly items: number;
}

/**
 * Difference between two groups of paired per-item scores (every vector covers the same items),
 * with a percentile bootstrap 95% interval over items: each resample draws items with replacement
 * and recomputes every member's mean on them, so the pairing across backbones is kept.
 */
export function pairedGroupDifference(
  groupA: readonly Float64Array[],
  groupB: readonly Float64Array[],
  resamples: number,
  random: RandomStream,
): GroupDifference {
  const items = Math.min(...[...groupA, ...groupB].map((v) => v.length));
  const statistic = (pick: (i: number) => number): number => {
    const groupMean = (group: readonly Float64Array[]) => {
      let total = 0;
      for (const vector of group) {
        let sum = 0;
        for (let i = 0; i < items; i++) sum += vector[pick(i)]!;
        total += sum / items;
      }
      return total / group.length;
    };
    return groupMean(groupA) - groupMean(groupB);
  };
  const estimate = statistic((i) => i);
  const draws = new Float64Array(resamples);
  const indices = new Uint32Array(items);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < items; i++) indices[i] = random.int(0, items - 1);
    draws[r] = statistic((i) => indices[i]!);
  }
  draws.sort();
  return { estimate, ci95: [quantileSorted(draws, 0.025), quantileSorted(draws, 0.975)], resamples, items };
}
