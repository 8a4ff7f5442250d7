import { Registry } from '../../../registry.js';
import type { AuditFamily } from '../types.js';
import { attackFamily } from './attack.js';
import { cleanFamily } from './clean.js';
import { corruptionFamily } from './corruption.js';
import { fewShotFamily } from './few-shot.js';
import { imbalanceFamily } from './imbalance.js';
import { labelNoiseFamily } from './label-noise.js';

/** Every audit family, in report order; one module each (see docs/audit.md, "Adding a family"). */
export const auditFamilies: Registry<AuditFamily> = new Registry<AuditFamily>('audit family', [
  cleanFamily,
  corruptionFamily,
  attackFamily,
  labelNoiseFamily,
  imbalanceFamily,
  fewShotFamily,
]);
