import { ensure } from '../../errors.js';
import { checkRate } from '../matrix.js';
import type { NoiseSampling } from '../types.js';

/** The number in a spec argument, or a clear error naming the spec form. */
export function numberArg(text: string | undefined, what: string, usage: string): number {
  ensure(text !== undefined && text.trim() !== '', `${what} missing (expected ${usage})`);
  const value = Number(text);
  ensure(Number.isFinite(value), `${what} '${text}' is not a number (expected ${usage})`);
  return value;
}

/** A spec's arguments must be exactly as many as its form has. */
export function checkArgCount(args: readonly string[], count: number, usage: string): void {
  ensure(args.length === count, `expected ${usage}, got ${args.length} argument${args.length === 1 ? '' : 's'} after the name`);
}

/** The single `<rate>` argument of the matrix noise models. */
export function rateArg(args: readonly string[], usage: string): number {
  checkArgCount(args, 1, usage);
  const rate = numberArg(args[0], 'noise rate', usage);
  checkRate(rate);
  return rate;
}

/** Refuses a sampling a model does not support. */
export function checkSampling(id: string, sampling: NoiseSampling, supported: readonly NoiseSampling[]): void {
  ensure(supported.includes(sampling), `${id} noise supports ${supported.join(', ')} sampling, not ${sampling}`);
}
