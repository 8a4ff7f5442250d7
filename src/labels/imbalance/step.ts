import { ensure } from '../../errors.js';
import { numberArg } from '../noise/args.js';
import { defineImbalance, type ImbalanceParams } from '../types.js';
import { checkRatio, floorCount, ratioArg } from './args.js';

export interface StepParams extends ImbalanceParams {
  /** μ, the fraction of classes that are minorities (Buda et al. 2018); 0.5 by default as in LDAM and Liu et al. */
  readonly minorityFraction?: number;
}

/** How many of K classes are minorities: floor(μ·K), at least one and at most K − 1. */
export function minorityCount(numClasses: number, minorityFraction: number): number {
  ensure(
    Number.isFinite(minorityFraction) && minorityFraction > 0 && minorityFraction < 1,
    `minority fraction μ must be in (0, 1), got ${minorityFraction}`,
  );
  const count = floorCount(minorityFraction * numClasses);
  ensure(count >= 1 && count < numClasses, `a step profile over ${numClasses} classes with μ = ${minorityFraction} has ${count} minority classes; it needs between 1 and ${numClasses - 1}`);
  return count;
}

const usage = 'step:<ρ>[:<μ>]';

export const stepImbalance = defineImbalance<StepParams>({
  id: 'step',
  summary: 'step profile: the last floor(μ·K) classes of the order (half by default) keep n_max/ρ, rounded down, the others n_max (Buda et al. 2018)',
  usage,
  parse(args) {
    ensure(args.length === 1 || args.length === 2, `expected ${usage}`);
    const ratio = ratioArg(args[0], usage);
    if (args.length === 1) return { ratio };
    const minorityFraction = numberArg(args[1], 'minority fraction μ', usage);
    ensure(minorityFraction > 0 && minorityFraction < 1, `minority fraction μ must be in (0, 1), got ${minorityFraction}`);
    return { ratio, minorityFraction };
  },
  counts(maxPerClass, numClasses, params) {
    checkRatio(params.ratio);
    const minorities = minorityCount(numClasses, params.minorityFraction ?? 0.5);
    const minority = floorCount(maxPerClass / params.ratio);
    return Array.from({ length: numClasses }, (_, i) => (i < numClasses - minorities ? maxPerClass : minority));
  },
});
