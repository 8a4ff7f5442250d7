import { ensure } from '../errors.js';
import { NORMS, type AnyAttack, type AttackOptionName, type AttackOptions, type Norm } from './types.js';

const FLAGS: Readonly<Record<AttackOptionName, string>> = {
  norm: '--norm',
  steps: '--steps',
  restarts: '--restarts',
  stepSize: '--step-size',
  randomStart: '--no-random-start',
  queries: '--queries',
  targetClasses: '--target-classes',
};

/** Refuses options the attack does not take (never silently ignored) and unsupported norms. */
export function checkOptions(attack: AnyAttack, options: AttackOptions): void {
  for (const [name, value] of Object.entries(options) as [AttackOptionName, unknown][]) {
    if (value === undefined) continue;
    ensure(attack.accepts.includes(name), `${attack.id} does not take ${FLAGS[name] ?? name}`);
  }
  const norm = options.norm ?? 'linf';
  ensure((NORMS as readonly string[]).includes(norm), `unknown norm '${norm}' (known: ${NORMS.join(', ')})`);
  ensure(attack.norms.includes(norm), `${attack.id} supports ${attack.norms.join(', ')}, not ${norm}`);
}

/** ε must be given, finite and not negative; for L∞ on [0, 1] images more than 1 means nothing. */
export function checkEps(eps: number, norm: Norm): void {
  ensure(Number.isFinite(eps) && eps >= 0, `ε must be a finite number ≥ 0, got ${eps}`);
  ensure(norm !== 'linf' || eps <= 1, `an L∞ ε above 1 is meaningless for images in [0, 1], got ${eps}`);
}

export function checkPositiveInt(value: number, what: string): void {
  ensure(Number.isInteger(value) && value > 0, `${what} must be a positive integer, got ${value}`);
}
