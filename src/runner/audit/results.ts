import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { ensure, messageOf, UserInputError } from '../../errors.js';
import type { ModelInfo } from '../../models/contract.js';
import { PACKAGE_ROOT } from '../../paths.js';
import { RandomStream } from '../../random/stream.js';
import type { Registry } from '../../registry.js';
import { referenceBackbone } from './config.js';
import { auditFamilies } from './families/index.js';
import type { Shard } from './plan.js';
import { meanConfidenceInterval } from '../metrics.js';
import { EPISODE_ACCURACY } from './families/few-shot.js';
import { pairedGroupDifference, wilsonInterval, type Interval } from './statistics.js';
import type { AuditFamily, BackboneCells, BackboneSpec, FinishedCell, ResolvedAuditConfig } from './types.js';

export const RESULTS_SCHEMA_VERSION = 1;
/** The published schema every results.json is validated against before it is written. */
export const RESULTS_SCHEMA_FILE: string = join(PACKAGE_ROOT, 'schemas', 'results.schema.json');

export interface ResultRecord {
  readonly backbone: string;
  readonly family: string;
  readonly name: string;
  readonly level: number | null;
  readonly metric: string;
  readonly value: number;
  readonly n?: number;
  readonly ci95?: Interval;
}

export type VerdictOutcome = 'ssl-more-robust' | 'supervised-more-robust' | 'no-clear-difference' | 'not-applicable';

export interface FamilyVerdict {
  readonly family: string;
  readonly title: string;
  readonly measure: string;
  readonly outcome: VerdictOutcome;
  readonly ssl: readonly string[];
  readonly supervised: readonly string[];
  readonly sslDegradation?: number | null;
  readonly supervisedDegradation?: number | null;
  readonly difference: number | null;
  readonly ci95: Interval | null;
  readonly items: number;
  readonly resamples: number;
  readonly reason: string | null;
}

export interface GateOutcome {
  readonly rule: string;
  readonly backbone: string;
  readonly metric: string;
  readonly value: number | null;
  readonly passed: boolean;
  readonly margin: number | null;
  readonly message: string;
}

export interface Manifest {
  readonly tool: { readonly name: 'ssl-robust'; readonly version: string };
  readonly backend: { readonly name: string; readonly adapter: string | null };
  readonly seed: number;
  readonly dataset: { readonly name: string; readonly source: string; readonly split: 'train' | 'test'; readonly size: number; readonly imageShape: readonly number[]; readonly sha256: string };
  readonly models: readonly { readonly id: string; readonly path: string; readonly sha256: string; readonly format: ModelInfo['format']; readonly parameterCount: number }[];
  readonly config: ResolvedAuditConfig;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly shard: Shard | null;
  readonly mergedFrom: readonly string[];
}

export interface AuditResults {
  readonly schemaVersion: 1;
  readonly complete: boolean;
  readonly manifest: Manifest;
  readonly backbones: readonly { readonly id: string; readonly kind: BackboneSpec['kind']; readonly method: string }[];
  readonly records: readonly ResultRecord[];
  readonly summaries: readonly { readonly backbone: string; readonly metrics: Readonly<Record<string, number | null>> }[];
  readonly reference?: string | null;
  readonly verdict: readonly FamilyVerdict[];
  /** Why some cells hold no result (e.g. a label family on a model without an embedding). */
  readonly notes?: readonly AuditNote[];
  readonly gate?: { readonly passed: boolean; readonly outcomes: readonly GateOutcome[] };
}

export interface AuditNote {
  readonly backbone: string;
  readonly family: string;
  readonly text: string;
}

/**
 * The 95% interval of a cell's accuracy over its episodes (mean ± 1.96·sd/√episodes, as few-shot
 * papers report it), when the cell keeps per-episode accuracies: queries within an episode share
 * its support set, so a Wilson interval over queries would be too narrow.
 */
function episodeInterval(cell: FinishedCell, metric: string): { n: number; ci95?: Interval } | null {
  const episodes = cell.values?.[EPISODE_ACCURACY];
  if (!episodes || episodes.length === 0) return null;
  if (metric !== 'accuracy') return { n: episodes.length };
  const interval = meanConfidenceInterval(episodes);
  return { n: episodes.length, ci95: [Math.max(0, interval.low), Math.min(1, interval.high)] };
}

/**
 * Long-format records of finished cells, in plan order: accuracies carry a Wilson 95% interval
 * (few-shot accuracies one over episodes).
 */
export function recordsOf(cells: readonly FinishedCell[]): ResultRecord[] {
  return cells.flatMap((cell) =>
    Object.entries(cell.metrics).map(([metric, value]): ResultRecord => {
      const isAccuracy = /accuracy$/i.test(metric);
      const correct = cell.correct.reduce((a, b) => a + b, 0);
      const overEpisodes = episodeInterval(cell, metric);
      if (overEpisodes) return { backbone: cell.backbone, family: cell.family, name: cell.name, level: cell.level, metric, value, ...overEpisodes };
      return {
        backbone: cell.backbone,
        family: cell.family,
        name: cell.name,
        level: cell.level,
        metric,
        value,
        n: cell.itemCount,
        ...(isAccuracy && Math.abs(correct / cell.itemCount - value) < 1e-9 ? { ci95: wilsonInterval(correct, cell.itemCount) } : {}),
      };
    }),
  );
}

function finiteOrNull(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : value;
}

export function groupCells(config: ResolvedAuditConfig, cells: readonly FinishedCell[]): BackboneCells[] {
  return config.backbones.map((backbone) => ({ backbone, cells: cells.filter((c) => c.backbone === backbone.id) }));
}

/** Summary metrics of every backbone, family by family. */
export function summarise(config: ResolvedAuditConfig, cells: readonly FinishedCell[], imageSize: number, registry: Registry<AuditFamily> = auditFamilies): AuditResults['summaries'] {
  const grouped = groupCells(config, cells);
  const referenceSpec = referenceBackbone(config);
  const reference = grouped.find((g) => g.backbone.id === referenceSpec?.id) ?? null;
  return grouped.map((mine) => {
    const metrics: Record<string, number | null> = {};
    for (const id of config.families) {
      for (const [key, value] of Object.entries(registry.get(id).summarise(mine, { config, reference, imageSize }))) metrics[key] = finiteOrNull(value);
    }
    return { backbone: mine.backbone.id, metrics };
  });
}

/** Each family's notes on each backbone's cells that hold no result, in family then backbone order. */
export function notesOf(config: ResolvedAuditConfig, cells: readonly FinishedCell[], registry: Registry<AuditFamily> = auditFamilies): AuditNote[] {
  const grouped = groupCells(config, cells);
  return config.families.flatMap((id) => {
    const family = registry.get(id);
    return family.notes ? grouped.flatMap((mine) => family.notes!(mine).map((text) => ({ backbone: mine.backbone.id, family: id, text }))) : [];
  });
}

/**
 * SSL vs supervised, family by family: the difference in mean degradation between the two groups
 * (negative: SSL loses less), with a paired bootstrap 95% interval over test items. An interval
 * that excludes 0 decides; otherwise there is no clear difference.
 */
export function verdicts(config: ResolvedAuditConfig, cells: readonly FinishedCell[], registry: Registry<AuditFamily> = auditFamilies): FamilyVerdict[] {
  const grouped = groupCells(config, cells);
  const ssl = grouped.filter((g) => g.backbone.kind === 'ssl');
  const supervised = grouped.filter((g) => g.backbone.kind === 'supervised');
  return config.families.flatMap((id): FamilyVerdict[] => {
    const family = registry.get(id);
    if (!family.degradation) return [];
    const base = {
      family: id,
      title: family.title,
      measure: family.degradationLabel ?? 'degradation',
      ssl: ssl.map((g) => g.backbone.id),
      supervised: supervised.map((g) => g.backbone.id),
    };
    // The family's notes (cells the data or a model could not support) travel with its verdict.
    const notes = [...new Set(grouped.flatMap((g) => family.notes?.(g) ?? []))];
    const withNotes = (reason: string | null) => (notes.length === 0 ? reason : [reason, ...notes].filter(Boolean).join('; '));
    const notApplicable = (reason: string): FamilyVerdict => ({ ...base, outcome: 'not-applicable', difference: null, ci95: null, items: 0, resamples: 0, reason: withNotes(reason) });
    if (ssl.length === 0 || supervised.length === 0) {
      return [notApplicable(`needs at least one SSL and one supervised backbone (have ${ssl.length} SSL, ${supervised.length} supervised)`)];
    }
    const vectors = (group: BackboneCells[]) => group.map((g) => family.degradation!(g));
    const a = vectors(ssl);
    const b = vectors(supervised);
    const missing = [...ssl, ...supervised].filter((_, k) => {
      const v = [...a, ...b][k];
      return !v || v.length === 0;
    });
    if (missing.length > 0) return [notApplicable(`no results for ${missing.map((g) => g.backbone.id).join(', ')} in this family`)];
    const random = RandomStream.fromSeed(config.seed).derive('verdict', id);
    const result = pairedGroupDifference(a as Float64Array[], b as Float64Array[], config.bootstrap, random);
    const groupMean = (vs: Float64Array[]) => vs.reduce((sum, v) => sum + v.subarray(0, result.items).reduce((x, y) => x + y, 0) / result.items, 0) / vs.length;
    const [low, high] = result.ci95;
    const outcome: VerdictOutcome = high < 0 ? 'ssl-more-robust' : low > 0 ? 'supervised-more-robust' : 'no-clear-difference';
    return [{
      ...base,
      outcome,
      sslDegradation: groupMean(a as Float64Array[]),
      supervisedDegradation: groupMean(b as Float64Array[]),
      difference: result.estimate,
      ci95: result.ci95,
      items: result.items,
      resamples: result.resamples,
      reason: withNotes(null),
    }];
  });
}

export const VERDICT_WORDS: Readonly<Record<VerdictOutcome, string>> = {
  'ssl-more-robust': 'SSL more robust',
  'supervised-more-robust': 'supervised more robust',
  'no-clear-difference': 'no clear difference',
  'not-applicable': 'not applicable',
};

let compiled: ValidateFunction | undefined;

/** The compiled results schema (read once from the package). */
function resultsValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    compiled = ajv.compile(JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as object);
  }
  return compiled;
}

/** Problems of a results object against the published schema (empty when it conforms). */
export function resultsSchemaErrors(results: unknown): string[] {
  const validate = resultsValidator();
  if (validate(results)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(top level)'}: ${e.message ?? 'invalid'}${e.keyword === 'additionalProperties' ? ` '${String((e.params as Record<string, unknown>)['additionalProperty'])}'` : ''}`);
}

/** Throws (a bug, not a user error) if we are about to write results that break our own schema. */
export function assertValidResults(results: AuditResults): void {
  const errors = resultsSchemaErrors(results);
  if (errors.length) throw new Error(`results do not match schemas/results.schema.json: ${errors.slice(0, 5).join('; ')}`);
}

/** Reads and validates a results.json written by `ssl-robust audit` or `merge` (bad files: one user error line). */
export function readResultsFile(file: string): AuditResults {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserInputError(code === 'ENOENT' ? `${file}: no such file` : `${file}: not valid JSON: ${messageOf(error)}`);
  }
  const errors = resultsSchemaErrors(parsed);
  ensure(errors.length === 0, () => `${file}: not an ssl-robust results file: ${errors[0]}`);
  return parsed as AuditResults;
}
