import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { VERSION } from '../cli/version.js';
import { Dataset, type ImageSource } from '../data/dataset.js';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { writeFileAtomic } from '../models/files.js';
import type { Episode, FewShotParams } from './few-shot.js';
import type { ClassGroups } from './imbalance/groups.js';
import { formatJson } from './json-format.js';
import type { NoiseParams, TransitionMatrix } from './types.js';

/** The split-file format this version writes and reads. Bump it on any incompatible change. */
export const SPLIT_SCHEMA_VERSION = 1;

/** What identifies the dataset a split was made on: a split from another dataset is refused. */
export interface DatasetFingerprint {
  readonly name: string;
  readonly split: string;
  readonly size: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** sha256 of the labels as little-endian int32, in dataset order. */
  readonly labelsSha256: string;
}

export interface NoiseRecipe {
  readonly spec: string;
  readonly model: string;
  /** Fully resolved (an asym map as class-index pairs), so the file alone says what was done. */
  readonly params: NoiseParams;
}

export interface ImbalanceRecipe {
  readonly spec: string;
  readonly profile: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly classOrder: readonly number[];
  readonly maxPerClass: number;
}

export interface FewShotRecipe extends FewShotParams {
  readonly spec: string;
}

export interface NoiseStats {
  readonly model: string;
  /** Realised fraction of changed labels. */
  readonly rate: number;
  readonly expectedRate: number;
  readonly transitionCounts: readonly (readonly number[])[];
  readonly realisedTransition: TransitionMatrix;
  readonly expectedTransition: TransitionMatrix;
  readonly warnings: readonly string[];
}

export interface ImbalanceStats {
  readonly countsByRank: readonly number[];
  readonly countsByClass: readonly number[];
  readonly realisedRatio: number;
  readonly groups: ClassGroups;
}

export interface SplitStats {
  readonly size: number;
  /** Clean labels' counts per class over the split's examples. */
  readonly classCounts: readonly number[];
  /** Counts per class of the labels the split assigns (noisy where noise was applied). */
  readonly labelCounts: readonly number[];
  readonly noise: NoiseStats | null;
  readonly imbalance: ImbalanceStats | null;
  readonly fewShot: { readonly eligibleClasses: readonly number[] } | null;
}

/**
 * A split, as a file: which examples of which dataset, with which labels, made how, and what it
 * realised. `indices` are positions in the dataset, ascending; `labels[i]` is the label to use
 * for `indices[i]` and `cleanLabels[i]` its original one. Few-shot splits list their episodes;
 * their indices are every example any episode uses.
 */
export interface SplitFile {
  readonly schemaVersion: typeof SPLIT_SCHEMA_VERSION;
  readonly generator: string;
  readonly seed: number;
  readonly dataset: DatasetFingerprint;
  readonly recipe: {
    readonly noise: NoiseRecipe | null;
    readonly imbalance: ImbalanceRecipe | null;
    readonly fewShot: FewShotRecipe | null;
  };
  readonly indices: readonly number[];
  readonly labels: readonly number[];
  readonly cleanLabels: readonly number[];
  readonly stats: SplitStats;
  readonly episodes: readonly Episode[] | null;
}

export const SPLIT_GENERATOR = `ssl-robust ${VERSION}`;

/** sha256 of labels as little-endian int32. */
export function labelsSha256(labels: Int32Array): string {
  const bytes = new Uint8Array(labels.length * 4);
  const view = new DataView(bytes.buffer);
  labels.forEach((label, i) => view.setInt32(4 * i, label, true));
  return createHash('sha256').update(bytes).digest('hex');
}

export function fingerprintOf(dataset: Dataset): DatasetFingerprint {
  return {
    name: dataset.info.name,
    split: dataset.info.split,
    size: dataset.size,
    numClasses: dataset.numClasses,
    classNames: dataset.classNames,
    labelsSha256: labelsSha256(dataset.labels),
  };
}

function describe(fp: DatasetFingerprint): string {
  return `'${fp.name}' (${fp.split}, ${fp.size} examples, ${fp.numClasses} classes, labels sha256 ${fp.labelsSha256.slice(0, 12)}…)`;
}

/**
 * Refuses a split made on another dataset. The size, class count and labels' hash decide; the
 * name is only reported, since an IDX folder is named after wherever it was copied to.
 */
export function checkFingerprint(split: Pick<SplitFile, 'dataset'>, dataset: Dataset, file = 'split file'): void {
  const expected = split.dataset;
  const actual = fingerprintOf(dataset);
  ensure(
    expected.size === actual.size && expected.numClasses === actual.numClasses && expected.labelsSha256 === actual.labelsSha256,
    () => `${file} was made for dataset ${describe(expected)}, not this one ${describe(actual)}; refusing to use it`,
  );
}

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v));
}

/** Structural checks on a parsed split file, one clear line per problem. */
function checkShape(json: unknown, file: string): asserts json is SplitFile {
  ensure(json !== null && typeof json === 'object' && !Array.isArray(json), `${file}: not a split file (expected a JSON object)`);
  const split = json as Record<string, unknown>;
  ensure('schemaVersion' in split, `${file}: not a split file (no schemaVersion)`);
  ensure(
    split['schemaVersion'] === SPLIT_SCHEMA_VERSION,
    `${file}: split-file schema version ${JSON.stringify(split['schemaVersion'])} is not supported (this ssl-robust reads version ${SPLIT_SCHEMA_VERSION})`,
  );
  const dataset = split['dataset'] as Record<string, unknown> | undefined;
  ensure(
    dataset && typeof dataset === 'object' && typeof dataset['labelsSha256'] === 'string' && Number.isInteger(dataset['size']) &&
      Number.isInteger(dataset['numClasses']) && typeof dataset['name'] === 'string',
    `${file}: the dataset fingerprint is missing or incomplete`,
  );
  for (const key of ['indices', 'labels', 'cleanLabels'] as const) ensure(isIntArray(split[key]), `${file}: '${key}' must be an array of integers`);
  const n = (split['indices'] as number[]).length;
  ensure(
    (split['labels'] as number[]).length === n && (split['cleanLabels'] as number[]).length === n,
    `${file}: 'indices', 'labels' and 'cleanLabels' must have the same length`,
  );
  ensure(split['recipe'] && typeof split['recipe'] === 'object', `${file}: 'recipe' is missing`);
  ensure(split['episodes'] === null || split['episodes'] === undefined || Array.isArray(split['episodes']), `${file}: 'episodes' must be a list or null`);
}

/** Checks a split's contents against the dataset: positions in range and unique, labels valid, clean labels as the dataset has them. */
function checkContents(split: SplitFile, dataset: Dataset, file: string): void {
  const seen = new Uint8Array(dataset.size);
  split.indices.forEach((index, i) => {
    ensure(index >= 0 && index < dataset.size, `${file}: index ${index} is outside the dataset (size ${dataset.size})`);
    ensure(!seen[index], `${file}: index ${index} appears twice`);
    seen[index] = 1;
    const label = split.labels[i]!;
    ensure(label >= 0 && label < dataset.numClasses, `${file}: label ${label} of index ${index} is not a class index in [0, ${dataset.numClasses - 1}]`);
    ensure(split.cleanLabels[i] === dataset.labels[index], `${file}: the clean label of index ${index} is ${split.cleanLabels[i]}, the dataset says ${dataset.labels[index]}`);
  });
  for (const [e, episode] of (split.episodes ?? []).entries()) {
    ensure(
      episode && isIntArray(episode.classes) && Array.isArray(episode.support) && Array.isArray(episode.query) &&
        episode.support.length === episode.classes.length && episode.query.length === episode.classes.length,
      `${file}: episode ${e} is malformed`,
    );
    episode.classes.forEach((c, w) => {
      for (const index of [...(episode.support[w] ?? []), ...(episode.query[w] ?? [])]) {
        ensure(Number.isInteger(index) && seen[index], `${file}: episode ${e} uses index ${index}, which is not in the split`);
        ensure(dataset.labels[index] === c, `${file}: episode ${e} puts index ${index} in class ${c}, the dataset says ${dataset.labels[index]}`);
      }
    });
  }
}

/** Reads a split file and checks it belongs to this dataset; anything wrong is one clear line. */
export async function readSplitFile(path: string, dataset: Dataset): Promise<SplitFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserInputError(`${path}: cannot read the split file: ${messageOf(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${path}: not valid JSON: ${messageOf(error)}`);
  }
  checkShape(json, path);
  checkFingerprint(json, dataset, path);
  checkContents(json, dataset, path);
  return json;
}

/** Writes a split file atomically: a reader never sees half a file, and a failed write leaves the old one. */
export async function writeSplitFile(path: string, split: SplitFile): Promise<void> {
  await writeFileAtomic(path, `${formatJson(split)}\n`);
}

/** A dataset holding exactly these positions of `dataset`, in this order, with these labels. */
export function relabelledSubset(dataset: Dataset, positions: readonly number[], labels: Int32Array, note: string): Dataset {
  const subset = dataset.select(positions);
  const source: ImageSource = {
    count: subset.size,
    shape: subset.imageShape,
    read: (indices) => subset.read(indices),
    fileName: (index) => subset.imageName(index),
  };
  return new Dataset({ ...dataset.info, source: `${dataset.info.source} (${note})` }, source, labels, dataset.classNames);
}

function recipeText(split: SplitFile): string {
  const { noise, imbalance, fewShot } = split.recipe;
  return [imbalance?.spec, noise?.spec, fewShot?.spec].filter(Boolean).join(' + ');
}

/**
 * The split applied to its dataset: the split's examples, in file order, carrying the split's
 * labels (noisy where it added noise). Refuses a split made on another dataset.
 */
export function applySplit(dataset: Dataset, split: SplitFile): Dataset {
  checkFingerprint(split, dataset);
  return relabelledSubset(dataset, split.indices, Int32Array.from(split.labels), `split ${recipeText(split)}, seed ${split.seed}`);
}

/** One few-shot episode's support and query sets; labels are the dataset's classes, `classes[w]` is way w. */
export function episodeDatasets(dataset: Dataset, split: SplitFile, episode: number): { classes: readonly number[]; support: Dataset; query: Dataset } {
  checkFingerprint(split, dataset);
  ensure(split.episodes && split.episodes.length > 0, 'this split file holds no few-shot episodes');
  const chosen = split.episodes[episode];
  ensure(chosen, `episode ${episode} does not exist (the split has ${split.episodes.length})`);
  return { classes: chosen.classes, support: dataset.select(chosen.support.flat()), query: dataset.select(chosen.query.flat()) };
}
