import type { AnyImbalanceProfile } from '../types.js';
import { longTail } from './longtail.js';
import { stepImbalance } from './step.js';

/** The imbalance profiles, one module each. */
export const imbalanceProfileList: readonly AnyImbalanceProfile[] = [longTail, stepImbalance];
