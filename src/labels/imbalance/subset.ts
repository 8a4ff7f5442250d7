import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import { classCounts, membersByClass } from '../matrix.js';
import type { AnyImbalanceProfile, ImbalanceParams } from '../types.js';
import { classGroups, type ClassGroups, type GroupRule } from './groups.js';

export interface ImbalanceRequest {
  readonly profile: AnyImbalanceProfile;
  readonly params: ImbalanceParams;
  /** Classes from head to tail; a seeded shuffle when absent. */
  readonly classOrder?: readonly number[];
  /** n_max, the head's count; by default the largest that every class in the order can supply. */
  readonly maxPerClass?: number;
  readonly groupRule?: GroupRule;
}

export interface ImbalancedSubset {
  /** Positions kept, ascending (file order). */
  readonly indices: number[];
  readonly classOrder: number[];
  readonly maxPerClass: number;
  /** Counts by rank, head first, exactly as the profile's formula gives them. */
  readonly countsByRank: number[];
  readonly countsByClass: number[];
  /** Realised n_max / n_min. */
  readonly realisedRatio: number;
  readonly groups: ClassGroups;
}

/** A class order must name every class exactly once. */
export function checkClassOrder(order: readonly number[], numClasses: number): void {
  ensure(order.length === numClasses, `a class order lists all ${numClasses} classes once, got ${order.length}`);
  const seen = new Set<number>();
  for (const c of order) {
    ensure(Number.isInteger(c) && c >= 0 && c < numClasses, `class order: ${c} is not a class index in [0, ${numClasses - 1}]`);
    ensure(!seen.has(c), `class order: class ${c} appears twice`);
    seen.add(c);
  }
}

/**
 * Subsamples a labelled set to an imbalance profile: the class at rank r keeps counts[r] of its
 * examples, chosen by a seeded shuffle per class. The labels are not modified.
 */
export function imbalancedSubset(labels: Int32Array, numClasses: number, request: ImbalanceRequest, random: RandomStream): ImbalancedSubset {
  const { profile, params } = request;
  const available = classCounts(labels, numClasses);
  const order = request.classOrder ? request.classOrder.slice() : random.derive('class-order').shuffled(Array.from({ length: numClasses }, (_, c) => c));
  checkClassOrder(order, numClasses);
  const empty = available.findIndex((n) => n === 0);
  ensure(empty < 0, `class ${empty} has no examples in this dataset; an imbalance profile needs every class`);

  const fits = (n: number) => profile.counts(n, numClasses, params).every((count: number, r: number) => count <= available[order[r]!]!);
  let maxPerClass = request.maxPerClass;
  if (maxPerClass === undefined) {
    // The counts grow with n_max, so the largest that fits is found by bisection.
    let low = 0;
    let high = available[order[0]!]!;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (fits(mid)) low = mid;
      else high = mid - 1;
    }
    maxPerClass = low;
  }
  ensure(Number.isInteger(maxPerClass) && maxPerClass >= 1, `n_max (examples in the head class) must be a positive integer, got ${maxPerClass}`);
  const countsByRank: number[] = profile.counts(maxPerClass, numClasses, params);
  countsByRank.forEach((count, r) => {
    const c = order[r]!;
    ensure(
      count >= 1,
      `${profile.id} with ρ = ${params.ratio} and n_max = ${maxPerClass} leaves class ${c} (rank ${r}) with no examples; lower ρ or raise n_max`,
    );
    ensure(count <= available[c]!, `class ${c} (rank ${r}) needs ${count} examples for n_max = ${maxPerClass} but has ${available[c]}`);
  });

  const members = membersByClass(labels, numClasses);
  const countsByClass = new Array<number>(numClasses).fill(0);
  const indices: number[] = [];
  order.forEach((c, r) => {
    countsByClass[c] = countsByRank[r]!;
    indices.push(...random.derive('class', c).shuffled(members[c]!).slice(0, countsByRank[r]));
  });
  indices.sort((a, b) => a - b);
  return {
    indices,
    classOrder: order,
    maxPerClass,
    countsByRank,
    countsByClass,
    realisedRatio: Math.max(...countsByRank) / Math.min(...countsByRank),
    groups: classGroups(countsByClass, order, request.groupRule ?? 'terciles'),
  };
}
