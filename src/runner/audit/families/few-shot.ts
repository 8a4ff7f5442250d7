import { ensure } from '../../../errors.js';
import { checkFewShotParams } from '../../../labels/few-shot.js';
import { prototypeProbe } from '../../../models/probes/prototype.js';
import { meanConfidenceInterval } from '../../metrics.js';
import type { AuditFamily, BackboneCells, CellOutcome, FamilySettings, FinishedCell } from '../types.js';
import { featureRows, isNotApplicable, labelCellRandom, labelNotes, labelProbeInputs, LABEL_TRAIN_FRACTION, NOT_APPLICABLE, unlessTooFewImages } from './label-probe.js';
import { levelKey, numberList } from './shared.js';

export const FEW_SHOT_FAMILY = 'few-shot';
/** Prefix of the family's summary metrics, e.g. "fewShot.5way@5.accuracy". */
export const FEW_SHOT_SUMMARY = 'fewShot';
/** Each few-shot cell keeps its episodes' accuracies: the 95% interval and the verdict are over episodes. */
export const EPISODE_ACCURACY = 'episodeAccuracy';

interface FewShotSettings {
  readonly ways: number;
  readonly shots: readonly number[];
  readonly queries: number;
  readonly episodes: number;
}

function settingsOf(settings: FamilySettings): FewShotSettings {
  return settings as unknown as FewShotSettings;
}

function positiveInteger(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    ensure(Number.isInteger(n) && n > 0, `${flag}: must be a positive integer, got '${text}'`);
    return n;
  };
}

function cellsOf(mine: BackboneCells): FinishedCell[] {
  return mine.cells.filter((cell) => cell.family === FEW_SHOT_FAMILY);
}

/**
 * Few-shot transfer: nearest-prototype classification (the probe's `prototype` protocol) in
 * seeded N-way K-shot episodes, support images from the partition's train part, queries from its
 * test part, on the frozen backbone's embeddings. Accuracy is the mean over episodes with its 95%
 * interval (1.96·sd/√episodes). Episodes depend on the seed only, so every backbone sees the
 * same ones and the verdict pairs them.
 */
export const fewShotFamily: AuditFamily = {
  id: FEW_SHOT_FAMILY,
  title: 'Few-shot',
  degradationLabel: 'few-shot error (1 − episode accuracy, mean over the shot settings)',
  // 15 queries per class (Ericsson et al. 2021) need 15 test-part images in every class; the quick
  // audit's 200 images leave 7–12 per class, so it asks for 5.
  defaults: (quick) => (quick ? { ways: 5, shots: [5], queries: 5, episodes: 100 } : { ways: 5, shots: [1, 5], queries: 15, episodes: 600 }),
  settingsSchema: {
    ways: { type: 'integer', minimum: 2, description: 'classes per episode' },
    shots: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, description: 'support images per class (one cell each)' },
    queries: { type: 'integer', minimum: 1, description: 'query images per class and episode' },
    episodes: { type: 'integer', minimum: 1 },
  },
  flags: [
    { flags: '--ways <n>', description: 'classes per episode (default 5)', key: 'ways', parse: positiveInteger('--ways') },
    {
      flags: '--shots <list>',
      description: 'support images per class, comma-separated (default 1,5; --quick 5)',
      key: 'shots',
      parse: (text) => numberList(text, '--shots').map((n) => positiveInteger('--shots')(String(n))),
    },
    { flags: '--queries <n>', description: 'query images per class and episode (default 15; --quick 5)', key: 'queries', parse: positiveInteger('--queries') },
    { flags: '--episodes <n>', description: 'episodes per setting (default 600; --quick 100)', key: 'episodes', parse: positiveInteger('--episodes') },
  ],
  validate(raw) {
    const { ways, shots, queries, episodes } = settingsOf(raw);
    for (const shot of shots) checkFewShotParams({ ways, shots: shot, queries, episodes });
  },
  plan(raw, backbone) {
    const { ways, shots, queries, episodes } = settingsOf(raw);
    return [...new Set(shots)].sort((a, b) => a - b).map((shot) => ({
      backbone: backbone.id,
      family: FEW_SHOT_FAMILY,
      name: `${ways}way`,
      level: shot,
      params: { ways, shots: shot, queries, episodes, trainFraction: LABEL_TRAIN_FRACTION },
    }));
  },
  async run(cell, context): Promise<CellOutcome> {
    const inputs = await labelProbeInputs(context);
    if (!inputs) return NOT_APPLICABLE;
    const { ways, shots, queries, episodes } = cell.params as unknown as FewShotSettings & { shots: number };
    const { partition } = inputs;
    return unlessTooFewImages(inputs, async () => {
      const run = await prototypeProbe.run(
        {
          dim: inputs.dim,
          numClasses: inputs.numClasses,
          train: featureRows(inputs, partition.trainIndices, partition.trainLabels),
          test: featureRows(inputs, partition.testIndices),
        },
        { ways, shots, queries, episodes },
        labelCellRandom(context.config.seed, FEW_SHOT_FAMILY, cell.name, cell.level),
      );
      // Predictions come episode by episode, ways × queries each.
      const perEpisode = ways * queries;
      const correct = Uint8Array.from(run.predictions, (p, i) => (p === run.labels[i] ? 1 : 0));
      ensure(correct.length === episodes * perEpisode, `the prototype protocol scored ${correct.length} queries, expected ${episodes * perEpisode}`);
      const accuracies = Array.from({ length: episodes }, (_, e) => correct.subarray(e * perEpisode, (e + 1) * perEpisode).reduce((a, b) => a + b, 0) / perEpisode);
      const interval = meanConfidenceInterval(accuracies);
      return {
        metrics: { accuracy: interval.mean, halfWidth: interval.halfWidth },
        itemCount: correct.length,
        correct,
        values: { [EPISODE_ACCURACY]: accuracies },
      };
    });
  },
  summarise(mine) {
    const out: Record<string, number | null> = {};
    for (const cell of cellsOf(mine)) {
      const key = `${FEW_SHOT_SUMMARY}.${cell.name}@${levelKey(cell.level as number)}`;
      out[`${key}.accuracy`] = isNotApplicable(cell) ? null : cell.metrics['accuracy'] ?? null;
      out[`${key}.halfWidth`] = isNotApplicable(cell) ? null : cell.metrics['halfWidth'] ?? null;
    }
    return out;
  },
  degradation(mine) {
    const vectors = cellsOf(mine).flatMap((cell) => (cell.values?.[EPISODE_ACCURACY] ? [cell.values[EPISODE_ACCURACY]] : []));
    if (vectors.length === 0 || vectors.length < cellsOf(mine).length) return null;
    const episodes = Math.min(...vectors.map((v) => v.length));
    const out = new Float64Array(episodes);
    for (const vector of vectors) for (let e = 0; e < episodes; e++) out[e]! += (1 - vector[e]!) / vectors.length;
    return out;
  },
  notes: (mine) =>
    labelNotes(
      mine,
      FEW_SHOT_FAMILY,
      'Few-shot',
      (cell) => `${cell.params['ways']}-way ${cell.params['shots']}-shot`,
      (cells) => `an episode draws its shots from the train part and ${cells[0]!.params['queries']} queries from the test part in each of ${cells[0]!.params['ways']} classes`,
    ),
};
