import { existsSync } from 'node:fs';
import { ensure } from '../../../errors.js';
import { checkRate } from '../../../labels/matrix.js';
import { BUILT_IN_CLASS_MAPS, builtInClassMap } from '../../../labels/noise/class-maps.js';
import { noiseSpecContext, parseNoiseSpec } from '../../../labels/spec.js';
import { mean } from '../statistics.js';
import type { AuditFamily, BackboneCells, CellOutcome, FamilySettings, FinishedCell } from '../types.js';
import { LABEL_TRAIN_FRACTION, NOT_APPLICABLE, cleanReference, isNotApplicable, labelCellRandom, labelDegradation, labelNotes, labelProbeInputs, probeNeeds, probeTestPart, unlessTooFewImages } from './label-probe.js';
import { levelKey, numberList } from './shared.js';

export const LABEL_NOISE_FAMILY = 'label-noise';
/** Prefix of the family's summary metrics, e.g. "labelNoise.symmetric@0.4.drop". */
export const LABEL_NOISE_SUMMARY = 'labelNoise';
/** The cell trained on the partition's clean labels: every drop of the family is measured from it. */
export const CLEAN_LABELS = 'clean-labels';

/** One noise model of the grid: its spec without the rate ("symmetric", "asym:fashion-mnist") and the rates. */
export interface NoiseGridEntry {
  readonly noise: string;
  readonly rates: readonly number[];
}

interface LabelNoiseSettings {
  readonly noise: readonly NoiseGridEntry[];
}

/** The spellings `parseNoiseSpec` takes for class-map noise, whose map file is read only when a cell runs. */
const ASYMMETRIC_NAMES: readonly string[] = ['asym', 'asymmetric'];

function settingsOf(settings: FamilySettings): LabelNoiseSettings {
  return settings as unknown as LabelNoiseSettings;
}

/** "asym:fashion-mnist" → "asym/fashion-mnist": a cell and metric name gate rules can spell (no ':'). */
export function noiseCellName(spec: string): string {
  return spec.trim().toLowerCase().split(':').join('/');
}

/** "symmetric:0.2,0.4" or "asym:fashion-mnist:0.3" → a grid entry: the last part holds the rates. */
export function parseNoiseEntry(text: string): NoiseGridEntry {
  const parts = text.split(':').map((p) => p.trim());
  ensure(parts.length >= 2 && parts.every(Boolean), `--noise: '${text}' should read model[:args]:rate[,rate…], e.g. symmetric:0.2,0.4 or asym:fashion-mnist:0.3`);
  return { noise: parts.slice(0, -1).join(':'), rates: numberList(parts[parts.length - 1]!, `--noise ${text}`) };
}

function cellsOf(mine: BackboneCells): FinishedCell[] {
  return mine.cells.filter((cell) => cell.family === LABEL_NOISE_FAMILY);
}

function referenceOf(mine: BackboneCells): FinishedCell | undefined {
  return cellsOf(mine).find((cell) => cell.name === CLEAN_LABELS);
}

function noisyCells(mine: BackboneCells): FinishedCell[] {
  return cellsOf(mine).filter((cell) => cell.name !== CLEAN_LABELS);
}

/**
 * Label noise: a probe (linear or kNN, `protocol` of the config) on the frozen backbone's
 * embeddings, trained on the partition's train part with labels corrupted by a seeded noise
 * model and scored on the clean test part; the drop is measured against the same protocol on
 * the clean labels. The noisy labels depend on the seed, the model and the rate, never on the
 * backbone, so every backbone learns from the same corrupted labels.
 */
export const labelNoiseFamily: AuditFamily = {
  id: LABEL_NOISE_FAMILY,
  title: 'Label noise',
  degradationLabel: 'probe accuracy lost to noisy training labels (clean labels − noisy, mean over the grid)',
  defaults: (quick) => ({
    noise: quick
      ? [{ noise: 'symmetric', rates: [0.4] }]
      : [{ noise: 'symmetric', rates: [0.2, 0.4] }, { noise: 'asym:fashion-mnist', rates: [0.3] }],
  }),
  settingsSchema: {
    noise: {
      description: 'noise models (spec without the rate, e.g. "symmetric", "asym:fashion-mnist") and their rates',
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['noise', 'rates'],
        properties: {
          noise: { type: 'string', minLength: 1 },
          rates: { type: 'array', items: { type: 'number', minimum: 0, exclusiveMaximum: 1 }, minItems: 1 },
        },
      },
    },
  },
  flags: [
    {
      flags: '--noise <list>',
      description: 'noise models and rates separated by spaces or semicolons, e.g. "symmetric:0.2,0.4 asym:fashion-mnist:0.3"',
      key: 'noise',
      parse: (text) => text.split(/[;\s]+/).filter(Boolean).map(parseNoiseEntry),
    },
  ],
  validate(raw) {
    for (const entry of settingsOf(raw).noise) {
      const [name, ...args] = entry.noise.split(':').map((p) => p.trim());
      const mapName = args.join(':');
      const builtIn = mapName ? builtInClassMap(mapName) : undefined;
      if (ASYMMETRIC_NAMES.includes(name!.toLowerCase()) && !builtIn) {
        ensure(mapName, `label-noise: ${entry.noise}: asym needs a class map, e.g. asym:fashion-mnist (built in: ${BUILT_IN_CLASS_MAPS.map((m) => m.id).join(', ')}) or asym:map.json`);
        // A class-map file is checked against the data's classes when the cell runs; here only that it is there.
        ensure(existsSync(mapName), `label-noise: ${entry.noise}: no class map file '${mapName}' (built in: ${BUILT_IN_CLASS_MAPS.map((m) => m.id).join(', ')})`);
      } else {
        // A built-in map is written with its own dataset's class names: parse against them.
        for (const rate of entry.rates) parseNoiseSpec(`${entry.noise}:${rate}`, noiseSpecContext(builtIn?.classNames ?? []));
      }
      for (const rate of entry.rates) checkRate(rate);
    }
  },
  plan(raw, backbone, config) {
    const params = { protocol: config.protocol, trainFraction: LABEL_TRAIN_FRACTION };
    const seen = new Set<string>();
    const noisy = settingsOf(raw).noise.flatMap((entry) =>
      [...new Set(entry.rates)].sort((a, b) => a - b).flatMap((rate) => {
        const name = noiseCellName(entry.noise);
        if (seen.has(`${name}@${rate}`)) return [];
        seen.add(`${name}@${rate}`);
        return [{ backbone: backbone.id, family: LABEL_NOISE_FAMILY, name, level: rate, params: { ...params, noise: entry.noise } }];
      }),
    );
    return [{ backbone: backbone.id, family: LABEL_NOISE_FAMILY, name: CLEAN_LABELS, level: null, params }, ...noisy];
  },
  async run(cell, context): Promise<CellOutcome> {
    const inputs = await labelProbeInputs(context);
    if (!inputs) return NOT_APPLICABLE;
    const { partition } = inputs;
    const protocol = cell.params['protocol'] as string;
    if (cell.name === CLEAN_LABELS) return unlessTooFewImages(inputs, () => cleanReference(inputs, protocol, context.config.seed));
    const random = labelCellRandom(context.config.seed, LABEL_NOISE_FAMILY, cell.name, cell.level);
    const spec = `${cell.params['noise'] as string}:${cell.level}`;
    const noise = parseNoiseSpec(spec, noiseSpecContext(context.dataset.classNames));
    // Instance-dependent noise flips by the images themselves (Xia et al.'s features), never by a backbone's embedding.
    const features = noise.model.needsFeatures
      ? { data: await context.dataset.read(partition.trainIndices), dim: context.dataset.imageShape.reduce((a, b) => a * b, 1) }
      : undefined;
    const noisy = noise.model.apply({ labels: partition.trainLabels, numClasses: inputs.numClasses, ...(features ? { features } : {}) }, noise.params, random.derive('noise'));
    return unlessTooFewImages(inputs, async () => {
      const scored = await probeTestPart(inputs, protocol, { positions: partition.trainIndices, labels: noisy.noisy }, random.derive('probe'));
      return {
        metrics: { accuracy: mean(scored.correct), balancedAccuracy: scored.balancedAccuracy, noiseRate: noisy.noiseRate },
        itemCount: scored.correct.length,
        correct: scored.correct,
      };
    });
  },
  summarise(mine) {
    const reference = referenceOf(mine);
    if (!reference) return {};
    const out: Record<string, number | null> = {};
    const cleanAccuracy = isNotApplicable(reference) ? null : reference.metrics['accuracy'] ?? null;
    out[`${LABEL_NOISE_SUMMARY}.cleanAccuracy`] = cleanAccuracy;
    const drops: number[] = [];
    for (const cell of noisyCells(mine)) {
      const key = `${LABEL_NOISE_SUMMARY}.${cell.name}@${levelKey(cell.level as number)}`;
      const accuracy = isNotApplicable(cell) ? null : cell.metrics['accuracy'] ?? null;
      const drop = accuracy === null || cleanAccuracy === null ? null : cleanAccuracy - accuracy;
      out[`${key}.accuracy`] = accuracy;
      out[`${key}.drop`] = drop;
      if (drop !== null) drops.push(drop);
    }
    out[`${LABEL_NOISE_SUMMARY}.meanDrop`] = drops.length ? mean(drops) : null;
    return out;
  },
  degradation: (mine) => labelDegradation(referenceOf(mine), noisyCells(mine)),
  notes: (mine) =>
    labelNotes(
      mine,
      LABEL_NOISE_FAMILY,
      'Label noise',
      (cell) => (cell.name === CLEAN_LABELS ? 'clean labels' : `${cell.params['noise'] as string} at ${cell.level}`),
      (cells) => probeNeeds(cells[0]!.params['protocol'] as string),
    ),
};
