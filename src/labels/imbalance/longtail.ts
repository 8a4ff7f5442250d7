import { ensure } from '../../errors.js';
import { checkArgCount } from '../noise/args.js';
import { defineImbalance, type ImbalanceParams } from '../types.js';
import { checkRatio, floorCount, ratioArg } from './args.js';

/**
 * Exponential long tail (Cui et al. 2019; the LDAM-DRW and Liu et al. 2022 code):
 * n_i = floor(n_max · ρ^(−i/(K−1))) for rank i = 0 … K−1, so the head keeps n_max and the tail n_max/ρ.
 */
export function longTailCounts(maxPerClass: number, numClasses: number, ratio: number): number[] {
  if (numClasses === 1) return [maxPerClass];
  return Array.from({ length: numClasses }, (_, i) => floorCount(maxPerClass * Math.pow(1 / ratio, i / (numClasses - 1))));
}

const usage = 'longtail:<ρ>';

export const longTail = defineImbalance<ImbalanceParams>({
  id: 'longtail',
  summary: 'exponential profile n_i = n_max·ρ^(−i/(K−1)), rounded down: head n_max, tail n_max/ρ (ρ = 10, 50, 100 are usual)',
  usage,
  parse(args) {
    checkArgCount(args, 1, usage);
    return { ratio: ratioArg(args[0], usage) };
  },
  counts(maxPerClass, numClasses, params) {
    checkRatio(params.ratio);
    ensure(Number.isInteger(numClasses) && numClasses >= 1, `need at least one class, got ${numClasses}`);
    return longTailCounts(maxPerClass, numClasses, params.ratio);
  },
});
