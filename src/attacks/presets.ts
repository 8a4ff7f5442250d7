import { ensure } from '../errors.js';
import type { Norm } from './types.js';

/** A named threat model: the usual ε values for a dataset, so no one relies on a silent default. */
export interface EpsPreset {
  readonly id: string;
  readonly norm: Norm;
  readonly eps: readonly number[];
  readonly summary: string;
}

export const EPS_PRESETS: readonly EpsPreset[] = [
  { id: 'fmnist-linf-0.1', norm: 'linf', eps: [0.1], summary: 'Fashion-MNIST L∞ 0.1 (the common Fashion-MNIST budget)' },
  { id: 'fmnist-linf-0.3', norm: 'linf', eps: [0.3], summary: 'Fashion-MNIST/MNIST L∞ 0.3 (Madry\'s MNIST challenge)' },
  { id: 'fmnist-linf', norm: 'linf', eps: [0.1, 0.3], summary: 'Fashion-MNIST/MNIST L∞ 0.1 and 0.3' },
  { id: 'cifar-linf-8/255', norm: 'linf', eps: [8 / 255], summary: 'CIFAR-size L∞ 8/255 (RobustBench)' },
  { id: 'cifar-l2-0.5', norm: 'l2', eps: [0.5], summary: 'CIFAR-size L2 0.5 (RobustBench)' },
  { id: 'imagenet-linf-4/255', norm: 'linf', eps: [4 / 255], summary: 'ImageNet-size L∞ 4/255 (RobustBench)' },
];

export function presetById(id: string): EpsPreset {
  const preset = EPS_PRESETS.find((p) => p.id === id);
  ensure(preset, `unknown ε preset '${id}' (known: ${EPS_PRESETS.map((p) => p.id).join(', ')})`);
  return preset;
}

/** Parses one ε: a decimal or a fraction such as 8/255. */
export function parseEps(text: string): number {
  const trimmed = text.trim();
  const fraction = /^([0-9.eE+-]+)\/([0-9.eE+-]+)$/.exec(trimmed);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : trimmed === '' ? NaN : Number(trimmed);
  ensure(Number.isFinite(value), `--eps: '${text}' is not a number`);
  ensure(value >= 0, `--eps: ε must be ≥ 0, got ${trimmed}`);
  return value;
}

/** Parses a comma-separated ε list such as "0.05,0.1,8/255". */
export function parseEpsList(text: string): number[] {
  return text.split(',').map(parseEps);
}

/**
 * The ε values and norm to attack with, from an explicit list or a preset (exactly one of them).
 * There is no default: without either this is a user error.
 */
export function resolveBudget(request: { eps?: readonly number[]; preset?: string; norm?: Norm }): { eps: number[]; norm: Norm; preset: string | null } {
  const { eps, preset, norm } = request;
  ensure(!(eps && preset), 'give either --eps or --preset, not both');
  if (preset) {
    const found = presetById(preset);
    ensure(!norm || norm === found.norm, `preset ${found.id} is ${found.norm}; drop --norm ${norm} or pick another preset`);
    return { eps: [...found.eps], norm: found.norm, preset: found.id };
  }
  ensure(
    eps && eps.length > 0,
    `no ε given: pass --eps (e.g. --eps 0.05,0.1) or --preset (${EPS_PRESETS.map((p) => p.id).join(', ')}); there is no default ε`,
  );
  for (const value of eps) ensure(Number.isFinite(value) && value >= 0, `ε must be a finite number ≥ 0, got ${value}`);
  return { eps: [...eps], norm: norm ?? 'linf', preset: null };
}
