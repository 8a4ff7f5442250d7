import { ensure } from '../../../errors.js';
import { imbalancedSubset } from '../../../labels/imbalance/subset.js';
import { parseImbalanceSpec } from '../../../labels/spec.js';
import { groupAccuracy } from '../../metrics.js';
import { mean } from '../statistics.js';
import type { AuditFamily, BackboneCells, CellOutcome, FamilySettings, FinishedCell } from '../types.js';
import { LABEL_TRAIN_FRACTION, NOT_APPLICABLE, cleanReference, isNotApplicable, labelCellRandom, labelDegradation, labelNotes, labelProbeInputs, probeNeeds, probeTestPart, unlessTooFewImages } from './label-probe.js';
import { levelKey, numberList } from './shared.js';

export const IMBALANCE_FAMILY = 'imbalance';
/** The cell trained on the partition's whole, balanced train part: every drop of the family is measured from it. */
export const BALANCED = 'balanced';

/** One imbalance profile of the grid: its id, the ratios ρ, and any further arguments (step's μ). */
export interface ImbalanceGridEntry {
  readonly profile: string;
  readonly ratios: readonly number[];
  readonly args?: readonly string[];
}

interface ImbalanceSettings {
  readonly imbalance: readonly ImbalanceGridEntry[];
}

function settingsOf(settings: FamilySettings): ImbalanceSettings {
  return settings as unknown as ImbalanceSettings;
}

function specOf(profile: string, ratio: number, args: readonly string[] = []): string {
  return [profile, String(ratio), ...args].join(':');
}

/** "longtail:10,100" or "step:10:0.3" → a grid entry: the second part holds the ratios. */
export function parseImbalanceEntry(text: string): ImbalanceGridEntry {
  const [profile, ratios, ...args] = text.split(':').map((p) => p.trim());
  ensure(profile && ratios, `--imbalance: '${text}' should read profile:ρ[,ρ…][:more], e.g. longtail:10,100 or step:10:0.3`);
  return { profile, ratios: numberList(ratios, `--imbalance ${text}`), ...(args.length ? { args } : {}) };
}

function cellName(entry: ImbalanceGridEntry): string {
  return [entry.profile.toLowerCase(), ...(entry.args ?? [])].join('/');
}

function cellsOf(mine: BackboneCells): FinishedCell[] {
  return mine.cells.filter((cell) => cell.family === IMBALANCE_FAMILY);
}

const referenceOf = (mine: BackboneCells) => cellsOf(mine).find((cell) => cell.name === BALANCED);
const imbalancedCells = (mine: BackboneCells) => cellsOf(mine).filter((cell) => cell.name !== BALANCED);

/**
 * Class imbalance: the probe (linear or kNN, the config's `protocol`) trained on a seeded
 * long-tailed (or step) subsample of the partition's train part and scored on the clean,
 * balanced test part: accuracy, balanced accuracy and many/medium/few-shot accuracy (classes in
 * terciles of their training counts), and the drop against the whole balanced train part. The
 * class order and the subsample depend on the seed only, so every backbone gets the same data.
 */
export const imbalanceFamily: AuditFamily = {
  id: IMBALANCE_FAMILY,
  title: 'Class imbalance',
  degradationLabel: 'probe accuracy lost to imbalanced training labels (balanced − imbalanced, mean over the grid)',
  // ρ must leave the tail class at least one training image: n_max/ρ ≥ 1 with n_max about half the
  // evaluated images per class. The quick audit's 200 images give ~8–12 per class, the default 500 ~20–29.
  defaults: (quick) => ({ imbalance: [{ profile: 'longtail', ratios: quick ? [5] : [10, 20] }] }),
  settingsSchema: {
    imbalance: {
      description: 'imbalance profiles and their ratios ρ = n_max / n_min (args: further profile arguments, e.g. step\'s μ)',
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['profile', 'ratios'],
        properties: {
          profile: { type: 'string', minLength: 1 },
          ratios: { type: 'array', items: { type: 'number', minimum: 1 }, minItems: 1 },
          args: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
  flags: [
    {
      flags: '--imbalance <list>',
      description: 'imbalance profiles and ratios separated by spaces or semicolons, e.g. "longtail:10,100 step:10:0.3"',
      key: 'imbalance',
      parse: (text) => text.split(/[;\s]+/).filter(Boolean).map(parseImbalanceEntry),
    },
  ],
  validate(raw) {
    for (const entry of settingsOf(raw).imbalance) {
      for (const ratio of entry.ratios) parseImbalanceSpec(specOf(entry.profile, ratio, entry.args));
    }
  },
  plan(raw, backbone, config) {
    const params = { protocol: config.protocol, trainFraction: LABEL_TRAIN_FRACTION };
    const seen = new Set<string>();
    const imbalanced = settingsOf(raw).imbalance.flatMap((entry) =>
      [...new Set(entry.ratios)].sort((a, b) => a - b).flatMap((ratio) => {
        const name = cellName(entry);
        if (seen.has(`${name}@${ratio}`)) return [];
        seen.add(`${name}@${ratio}`);
        return [{ backbone: backbone.id, family: IMBALANCE_FAMILY, name, level: ratio, params: { ...params, spec: specOf(entry.profile, ratio, entry.args) } }];
      }),
    );
    return [{ backbone: backbone.id, family: IMBALANCE_FAMILY, name: BALANCED, level: null, params }, ...imbalanced];
  },
  async run(cell, context): Promise<CellOutcome> {
    const inputs = await labelProbeInputs(context);
    if (!inputs) return NOT_APPLICABLE;
    const { partition, numClasses } = inputs;
    const protocol = cell.params['protocol'] as string;
    if (cell.name === BALANCED) return unlessTooFewImages(inputs, () => cleanReference(inputs, protocol, context.config.seed));
    const random = labelCellRandom(context.config.seed, IMBALANCE_FAMILY, cell.name, cell.level);
    const { profile, params } = parseImbalanceSpec(cell.params['spec'] as string);
    return unlessTooFewImages(inputs, async () => {
      // A ρ the train part is too small for (the tail class would be empty) is refused here, and noted.
      const subset = imbalancedSubset(partition.trainLabels, numClasses, { profile, params }, random.derive('subset'));
      const positions = subset.indices.map((i) => partition.trainIndices[i]!);
      const labels = Int32Array.from(subset.indices, (i) => partition.trainLabels[i]!);
      const scored = await probeTestPart(inputs, protocol, { positions, labels }, random.derive('probe'));
      const groups = groupAccuracy(scored.run.predictions, scored.run.labels, subset.groups, numClasses);
      const metrics: Record<string, number> = {
        accuracy: mean(scored.correct),
        balancedAccuracy: scored.balancedAccuracy,
        trainImages: positions.length,
        realisedRatio: subset.realisedRatio,
      };
      if (groups.many !== null) metrics['manyAccuracy'] = groups.many;
      if (groups.medium !== null) metrics['mediumAccuracy'] = groups.medium;
      if (groups.few !== null) metrics['fewAccuracy'] = groups.few;
      return { metrics, itemCount: scored.correct.length, correct: scored.correct };
    });
  },
  summarise(mine) {
    const reference = referenceOf(mine);
    if (!reference) return {};
    const cleanAccuracy = isNotApplicable(reference) ? null : reference.metrics['accuracy'] ?? null;
    const out: Record<string, number | null> = { [`${IMBALANCE_FAMILY}.cleanAccuracy`]: cleanAccuracy };
    const drops: number[] = [];
    for (const cell of imbalancedCells(mine)) {
      const key = `${IMBALANCE_FAMILY}.${cell.name}@${levelKey(cell.level as number)}`;
      const metric = (name: string) => (isNotApplicable(cell) ? null : cell.metrics[name] ?? null);
      const accuracy = metric('accuracy');
      const drop = accuracy === null || cleanAccuracy === null ? null : cleanAccuracy - accuracy;
      Object.assign(out, {
        [`${key}.accuracy`]: accuracy,
        [`${key}.balancedAccuracy`]: metric('balancedAccuracy'),
        [`${key}.drop`]: drop,
        [`${key}.manyAccuracy`]: metric('manyAccuracy'),
        [`${key}.mediumAccuracy`]: metric('mediumAccuracy'),
        [`${key}.fewAccuracy`]: metric('fewAccuracy'),
      });
      if (drop !== null) drops.push(drop);
    }
    out[`${IMBALANCE_FAMILY}.meanDrop`] = drops.length ? mean(drops) : null;
    return out;
  },
  degradation: (mine) => labelDegradation(referenceOf(mine), imbalancedCells(mine)),
  notes: (mine) =>
    labelNotes(
      mine,
      IMBALANCE_FAMILY,
      'Class imbalance',
      (cell) => (cell.name === BALANCED ? 'balanced labels' : `${cell.name} ρ = ${cell.level}`),
      (cells) =>
        `${probeNeeds(cells[0]!.params['protocol'] as string)}; the tail class keeps n_max/ρ images, so ρ needs at least ρ training images in the head class`,
    ),
};
