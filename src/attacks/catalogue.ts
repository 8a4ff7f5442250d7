import { Registry } from '../registry.js';
import { apgdCe, apgdDlr, apgdT } from './apgd.js';
import { defineEnsemble } from './ensemble.js';
import { fgsm } from './fgsm.js';
import { pgd } from './pgd.js';
import { square } from './square.js';
import type { AnyAttack } from './types.js';

/** AutoAttack's standard composition without FAB-T: APGD-CE, then APGD-T, then Square. */
export const ensemble = defineEnsemble('ensemble', [apgdCe, apgdT, square]);

/** Every built-in attack, one module each. */
export const attacks: Registry<AnyAttack> = new Registry<AnyAttack>('attack', [fgsm, pgd, apgdCe, apgdT, apgdDlr, square, ensemble]);
