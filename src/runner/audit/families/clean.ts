import { evaluateClean } from '../../clean-eval.js';
import type { AuditFamily, BackboneCells, FinishedCell } from '../types.js';

export const CLEAN_FAMILY = 'clean';

/** The clean cell of a backbone: every other family's drops are measured from it. */
export function cleanCell(cells: BackboneCells): FinishedCell | undefined {
  return cells.cells.find((cell) => cell.family === CLEAN_FAMILY);
}

/** Clean top-1 accuracy on the evaluated images: one cell per backbone, always planned. */
export const cleanFamily: AuditFamily = {
  id: CLEAN_FAMILY,
  title: 'Clean accuracy',
  defaults: () => ({}),
  settingsSchema: {},
  flags: [],
  validate: () => undefined,
  plan: (_settings, backbone) => [{ backbone: backbone.id, family: CLEAN_FAMILY, name: 'clean', level: null, params: {} }],
  async run(_cell, context) {
    const result = await evaluateClean(context.classifier, context.dataset, {
      batchSize: context.config.batchSize,
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    });
    const labels = context.dataset.labels;
    const correct = Uint8Array.from(result.predictions, (p, i) => (p === labels[i] ? 1 : 0));
    return { metrics: { accuracy: result.accuracy }, itemCount: correct.length, correct };
  },
  summarise(mine) {
    const clean = cleanCell(mine);
    return { 'clean.accuracy': clean ? clean.metrics['accuracy'] ?? null : null };
  },
};
