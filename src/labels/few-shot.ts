import { ensure } from '../errors.js';
import type { RandomStream } from '../random/stream.js';
import { membersByClass } from './matrix.js';

/** N-way K-shot episodes with Q queries per class; Ericsson et al. 2021 use 15 queries and 600 episodes. */
export interface FewShotParams {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly episodes: number;
}

export const FEW_SHOT_DEFAULT_QUERIES = 15;
export const FEW_SHOT_DEFAULT_EPISODES = 600;

/** One episode. Way w's class is classes[w]; support[w] and query[w] are dataset positions, disjoint. */
export interface Episode {
  readonly classes: readonly number[];
  readonly support: readonly (readonly number[])[];
  readonly query: readonly (readonly number[])[];
}

export interface FewShotEpisodes {
  readonly params: FewShotParams;
  readonly episodes: readonly Episode[];
  /** Classes with at least shots + queries examples: the ones episodes draw from. */
  readonly eligibleClasses: readonly number[];
}

export function checkFewShotParams(params: FewShotParams): void {
  const { ways, shots, queries, episodes } = params;
  ensure(Number.isInteger(ways) && ways >= 2, `an episode needs at least 2 ways (classes), got ${ways}`);
  ensure(Number.isInteger(shots) && shots >= 1, `shots per class must be a positive integer, got ${shots}`);
  ensure(Number.isInteger(queries) && queries >= 1, `queries per class must be a positive integer, got ${queries}`);
  ensure(Number.isInteger(episodes) && episodes >= 1, `episodes must be a positive integer, got ${episodes}`);
}

/**
 * `count` distinct items of `pool`, in draw order: a partial Fisher–Yates that records only the
 * swaps it makes, so a class of 6,000 costs `count` steps, not a copy.
 */
function drawDistinct(pool: readonly number[], count: number, random: RandomStream): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = random.int(i, pool.length - 1);
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(pool[atJ]!);
  }
  return out;
}

/**
 * Seeded N-way K-shot episodes for prototype classifiers. Each episode draws its N classes from
 * those with at least K + Q examples, then K support and Q query examples per class without
 * replacement; episode e uses its own stream, so episode e is the same whatever the count.
 */
export function sampleEpisodes(labels: Int32Array, numClasses: number, params: FewShotParams, random: RandomStream): FewShotEpisodes {
  checkFewShotParams(params);
  const { ways, shots, queries, episodes } = params;
  const members = membersByClass(labels, numClasses);
  const perClass = shots + queries;
  const eligibleClasses = members.flatMap((m, c) => (m.length >= perClass ? [c] : []));
  const largest = Math.max(0, ...members.map((m) => m.length));
  ensure(
    eligibleClasses.length >= ways,
    `${ways}-way ${shots}-shot with ${queries} queries needs ${perClass} examples in each of ${ways} classes; ` +
      `${eligibleClasses.length} of ${numClasses} classes have that many (the largest has ${largest})`,
  );
  const out: Episode[] = [];
  for (let e = 0; e < episodes; e++) {
    const stream = random.derive('episode', e);
    const classes = drawDistinct(eligibleClasses, ways, stream);
    const drawn = classes.map((c) => drawDistinct(members[c]!, perClass, stream));
    out.push({ classes, support: drawn.map((d) => d.slice(0, shots)), query: drawn.map((d) => d.slice(shots)) });
  }
  return { params, episodes: out, eligibleClasses };
}
