import * as tf from '@tensorflow/tfjs-core';
import { corruptBatch, profileForSize } from '../../../corruptions/apply.js';
import { corruptions } from '../../../corruptions/catalogue.js';
import { selectCorruptions, selectSeverities } from '../../../corruptions/select.js';
import { PROFILE_NAMES, SEVERITIES, type ProfileName } from '../../../corruptions/types.js';
import { ensure } from '../../../errors.js';
import { mean } from '../statistics.js';
import type { AuditFamily, BackboneCells, FamilySettings, FinishedCell } from '../types.js';
import { cleanCell } from './clean.js';
import { listSetting, meanVectors } from './shared.js';

export const CORRUPTION_FAMILY = 'corruption';

/** The 15 ImageNet-C benchmark corruptions: the set mCE is defined over. */
const BENCHMARK = 'common';

interface CorruptionSettings {
  readonly corruptions: readonly string[];
  readonly severities: readonly number[];
  readonly profile: ProfileName | null;
}

function settingsOf(settings: FamilySettings): CorruptionSettings {
  return settings as unknown as CorruptionSettings;
}

/** Images at or below this size follow CIFAR-C practice: the headline is the unnormalised mean error. */
export const SMALL_IMAGE_MAX_SIDE = 96;

function cellsOf(mine: BackboneCells): FinishedCell[] {
  return mine.cells.filter((cell) => cell.family === CORRUPTION_FAMILY);
}

function errorOf(cell: FinishedCell): number {
  return 1 - (cell.metrics['accuracy'] ?? NaN);
}

/** Σ over severities of the error under one corruption, per corruption id. */
function summedErrors(cells: readonly FinishedCell[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const cell of cells) sums.set(cell.name, (sums.get(cell.name) ?? 0) + errorOf(cell));
  return sums;
}

function severityCount(cells: readonly FinishedCell[], name: string): number {
  return cells.filter((cell) => cell.name === name).length;
}

/**
 * Common corruptions (ImageNet-C and MNIST-C shifts) at each severity. Each image's corruption
 * draws from its own stream (seed, corruption, severity, image index), so a cell's result does not
 * depend on the batch size, the backbone, or the shard that ran it.
 */
export const corruptionFamily: AuditFamily = {
  id: CORRUPTION_FAMILY,
  title: 'Common corruptions',
  degradationLabel: 'accuracy lost to corruptions (clean − mean corrupted)',
  defaults: (quick) => ({
    corruptions: selectCorruptions(corruptions, BENCHMARK).map((c) => c.id),
    severities: quick ? [1, 3, 5] : [...SEVERITIES],
    profile: null,
  }),
  settingsSchema: {
    corruptions: {
      description: 'corruption ids, group names, "common" or "all" (a list or a comma-separated string)',
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
    },
    severities: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 5 }, minItems: 1 },
    profile: { anyOf: [{ enum: [...PROFILE_NAMES] }, { type: 'null' }] },
  },
  flags: [
    {
      flags: '--corruptions <spec>',
      description: 'corruption ids, groups, common (the 15) or all, comma-separated',
      key: 'corruptions',
      parse: (text) => selectCorruptions(corruptions, text).map((c) => c.id),
    },
    { flags: '--severities <list>', description: 'severities 1–5, comma-separated, or all', key: 'severities', parse: (text) => selectSeverities(text) },
    { flags: '--profile <name>', description: `severity table: ${PROFILE_NAMES.join(', ')} (default: by image size)`, key: 'profile', parse: (text) => text },
  ],
  validate(raw) {
    const settings = settingsOf(raw);
    const ids = listSetting(settings.corruptions, 'corruption.corruptions');
    selectCorruptions(corruptions, ids.join(','));
    for (const s of settings.severities) ensure((SEVERITIES as readonly number[]).includes(s), `corruption.severities: ${s} is not a severity 1–5`);
    ensure(settings.profile === null || (PROFILE_NAMES as readonly string[]).includes(settings.profile), `corruption.profile: unknown profile '${settings.profile}' (known: ${PROFILE_NAMES.join(', ')})`);
  },
  plan(raw, backbone) {
    const settings = settingsOf(raw);
    const selected = selectCorruptions(corruptions, listSetting(settings.corruptions, 'corruption.corruptions').join(','));
    const severities = [...new Set(settings.severities)].sort((a, b) => a - b);
    return selected.flatMap((corruption) =>
      severities.map((severity) => ({
        backbone: backbone.id,
        family: CORRUPTION_FAMILY,
        name: corruption.id,
        level: severity,
        params: { group: corruption.group, profile: settings.profile },
      })),
    );
  },
  async run(cell, context) {
    const { dataset, classifier, config } = context;
    const [height, width, channels] = dataset.imageShape;
    const corruption = corruptions.get(cell.name);
    ensure(corruption.channels === 'any' || channels === 3, `corruption ${corruption.id} acts on colour and the dataset has ${channels}-channel images; drop it from the grid`);
    const profile = (cell.params['profile'] as ProfileName | null) ?? profileForSize(height, width);
    // The corrupted images depend on the seed, test and images only: computed once for all backbones.
    const batches = await context.shared(`corruption/${cell.name}/${cell.level}/${profile}/${config.seed}/${config.batchSize}`, async () => {
      const out: { images: Float32Array; shape: readonly [number, number, number, number]; labels: Int32Array }[] = [];
      for await (const batch of dataset.batches(config.batchSize)) {
        const corrupted = await corruptBatch(corruptions, batch, cell.name, cell.level as number, { seed: config.seed, profile, imageIndices: batch.indices });
        out.push({ images: corrupted.images, shape: corrupted.shape, labels: batch.labels });
      }
      return out;
    });
    const correct = new Uint8Array(dataset.size);
    let done = 0;
    for (const batch of batches) {
      const predicted = tf.tidy(() => tf.argMax(classifier.logits(tf.tensor4d(batch.images, [...batch.shape])), 1));
      const values = await predicted.data();
      predicted.dispose();
      values.forEach((p, i) => (correct[done + i] = p === batch.labels[i] ? 1 : 0));
      done += batch.labels.length;
      context.onProgress?.(done, dataset.size);
    }
    return { metrics: { accuracy: mean(correct) }, itemCount: correct.length, correct };
  },
  summarise(mine, context) {
    const cells = cellsOf(mine);
    if (cells.length === 0) return {};
    const out: Record<string, number | null> = {};
    const clean = cleanCell(mine);
    const cleanAccuracy = clean?.metrics['accuracy'] ?? NaN;
    const meanError = mean(cells.map(errorOf));
    out['corruption.meanError'] = meanError;
    out['corruption.meanAccuracy'] = 1 - meanError;
    out['corruption.accuracyDrop'] = Number.isFinite(cleanAccuracy) ? cleanAccuracy - (1 - meanError) : null;
    const mineSums = summedErrors(cells);
    for (const [name, sum] of mineSums) out[`corruption.${name}.error`] = sum / severityCount(cells, name);
    for (const cell of cells) out[`corruption.${cell.name}@${cell.level}.accuracy`] = cell.metrics['accuracy'] ?? null;

    // mCE and relative mCE (Hendrycks & Dietterich 2019) against the reference backbone in place of AlexNet.
    const reference = context.reference;
    const referenceCells = reference ? cellsOf(reference) : [];
    const referenceSums = summedErrors(referenceCells);
    const referenceClean = reference ? cleanCell(reference)?.metrics['accuracy'] : undefined;
    const ces: number[] = [];
    const relativeCes: number[] = [];
    for (const [name, sum] of mineSums) {
      const referenceSum = referenceSums.get(name);
      if (referenceSum === undefined || severityCount(referenceCells, name) !== severityCount(cells, name)) continue;
      const ce = referenceSum > 0 ? sum / referenceSum : null;
      out[`corruption.${name}.ce`] = ce;
      if (ce !== null) ces.push(ce);
      if (referenceClean !== undefined && Number.isFinite(cleanAccuracy)) {
        const k = severityCount(cells, name);
        const denominator = referenceSum - k * (1 - referenceClean);
        // Corruptions the reference is not hurt by have no relative CE (denominator ≤ 0): left out.
        if (denominator > 0) relativeCes.push((sum - k * (1 - cleanAccuracy)) / denominator);
      }
    }
    out['corruption.mce'] = ces.length ? mean(ces) : null;
    out['corruption.relativeMce'] = relativeCes.length ? mean(relativeCes) : null;
    return out;
  },
  degradation(mine) {
    const cells = cellsOf(mine);
    const clean = cleanCell(mine);
    if (!clean || cells.length === 0) return null;
    const items = Math.min(clean.itemCount, ...cells.map((c) => c.itemCount));
    const corrupted = meanVectors(cells.map((c) => c.correct), items);
    return Float64Array.from(corrupted, (value, i) => clean.correct[i]! - value);
  },
};

/** Whether the audit's headline corruption number is the unnormalised mean error (small images). */
export function usesUnnormalisedHeadline(imageSize: number): boolean {
  return imageSize <= SMALL_IMAGE_MAX_SIDE;
}
