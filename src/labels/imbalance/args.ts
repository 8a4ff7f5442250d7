import { ensure } from '../../errors.js';
import { numberArg } from '../noise/args.js';

/** ρ = n_max / n_min: 1 is balanced, below 1 would make the head the smallest class. */
export function checkRatio(ratio: number): void {
  ensure(Number.isFinite(ratio) && ratio >= 1, `imbalance ratio ρ = n_max / n_min must be a finite number ≥ 1, got ${ratio}`);
}

export function ratioArg(text: string | undefined, usage: string): number {
  const ratio = numberArg(text, 'imbalance ratio', usage);
  checkRatio(ratio);
  return ratio;
}

/**
 * floor(x), except that a product a hair below an integer counts as that integer: 5000·(1/100)
 * is 50 whether or not the float lands at 49.999999999. Otherwise the same rounding as the
 * reference code (`int(n_max * imb_factor ** (i / (K − 1)))`).
 */
export function floorCount(x: number): number {
  return Math.floor(x + 1e-9);
}
