import { Registry } from '../../../registry.js';
import type { AuditFamily } from '../types.js';
import { attackFamily } from './attack.js';
import { cleanFamily } from './clean.js';
import { corruptionFamily } from './corruption.js';

/**
 * Every audit family, in report order; one module each. Label noise, imbalance and few-shot
 * register here the same way when they land (see docs/audit.md, "Adding a family").
 */
export const auditFamilies: Registry<AuditFamily> = new Registry<AuditFamily>('audit family', [
  cleanFamily,
  corruptionFamily,
  attackFamily,
]);
