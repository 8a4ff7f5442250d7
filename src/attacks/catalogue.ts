import { Registry } from '../registry.js';
import { fgsm } from './fgsm.js';
import { pgd } from './pgd.js';
import type { AnyAttack } from './types.js';

/** Every built-in attack, one module each. */
export const attacks: Registry<AnyAttack> = new Registry<AnyAttack>('attack', [fgsm, pgd]);
