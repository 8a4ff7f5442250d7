import { InvalidArgumentError } from 'commander';
import { parseBackendChoice, type BackendChoice } from '../backend/index.js';
import { messageOf } from '../errors.js';
import { RandomStream } from '../random/stream.js';
import type { CliIo } from './progress.js';

/** Options every command shares (declared once on the program). */
export interface GlobalOptions {
  readonly backend: BackendChoice;
  readonly seed: number;
  readonly quiet: boolean;
}

/** What a command's action receives besides its own options. */
export interface CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  /** The one seeded generator; commands derive named streams from it. */
  readonly random: RandomStream;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

export function parseBackendOption(value: string): BackendChoice {
  try {
    return parseBackendChoice(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

/** A comma list of L2 weight decays (numbers ≥ 0), as the linear probe sweeps them. */
export function parseWeightDecayList(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const decays = parts.map(Number);
  if (parts.some((part, i) => part === '' || !Number.isFinite(decays[i]) || decays[i]! < 0)) {
    throw new InvalidArgumentError('must be comma-separated numbers ≥ 0, e.g. 1e-4,1e-3.');
  }
  return decays;
}
