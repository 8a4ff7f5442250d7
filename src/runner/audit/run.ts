import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../../backend/index.js';
import type { Dataset } from '../../data/dataset.js';
import { openDataset } from '../../data/open.js';
import { ensure } from '../../errors.js';
import { toBytes } from '../../io/images.js';
import type { LoadedClassifier } from '../../models/contract.js';
import { writeFileAtomic } from '../../models/files.js';
import { loadCheckedClassifier } from '../../models/zoo/catalogue.js';
import { VERSION } from '../../cli/version.js';
import type { Registry } from '../../registry.js';
import { checkCompatible } from '../clean-eval.js';
import { writeAuditOutputs, OUTPUT_FILES } from '../../report/write.js';
import { resolveAuditConfig, type AuditRequest } from './config.js';
import { auditFamilies } from './families/index.js';
import { gate } from './gate.js';
import { JOURNAL_FILE, Journal, type JournalHeader } from './journal.js';
import { planCells, shardCells, type Shard } from './plan.js';
import { makePreviews, type PreviewSection } from './previews.js';
import { assertValidResults, notesOf, recordsOf, summarise, verdicts, type AuditResults, type Manifest } from './results.js';
import type { AuditFamily, FinishedCell, ResolvedAuditConfig } from './types.js';

export const PREVIEWS_FILE = 'previews.json';

/** Where the audit is, for progress bars: cells done of the shard's total, and items within the cell. */
export interface AuditProgress {
  readonly cellsDone: number;
  readonly cellsTotal: number;
  readonly cell: string;
  readonly itemsDone: number;
  readonly itemsTotal: number;
}

export interface AuditOptions {
  /** Output folder (default ./ssl-robust-report). */
  readonly out?: string;
  /** Continue the journal in `out`, skipping finished cells. */
  readonly resume?: boolean;
  /** Start again even if `out` holds an audit (its audit files are replaced; nothing else is touched). */
  readonly overwrite?: boolean;
  readonly shard?: Shard | null;
  readonly onProgress?: (progress: AuditProgress) => void;
  readonly onNote?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly registry?: Registry<AuditFamily>;
}

export interface AuditOutcome {
  readonly results: AuditResults;
  readonly out: string;
  readonly files: readonly string[];
  readonly cellsRun: number;
  readonly cellsSkipped: number;
}

/** sha256 over the evaluated images' labels and 8-bit pixels: names the exact data in the manifest. */
export async function datasetHash(dataset: Dataset): Promise<string> {
  const hash = createHash('sha256');
  hash.update(new Uint8Array(dataset.labels.buffer, dataset.labels.byteOffset, dataset.labels.byteLength));
  for await (const batch of dataset.batches(500)) hash.update(toBytes(batch.images));
  return hash.digest('hex');
}

/** The fingerprint of what decides the cells' numbers (not the gate, the bootstrap or the shard). */
export function auditFingerprint(manifest: Pick<Manifest, 'tool' | 'backend' | 'dataset' | 'models' | 'config'>): string {
  const { gate: _gate, bootstrap: _bootstrap, ...config } = manifest.config;
  const facts = { tool: manifest.tool.version, backend: manifest.backend.name, dataset: manifest.dataset.sha256, models: manifest.models.map((m) => [m.id, m.sha256]), config };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}

/** Results from finished cells: records in plan order, and (for a whole audit) summaries, verdict and gate. */
export function assembleResults(
  manifest: Manifest,
  cells: readonly FinishedCell[],
  complete: boolean,
  registry: Registry<AuditFamily> = auditFamilies,
): AuditResults {
  const config = manifest.config;
  const imageSize = manifest.dataset.imageShape[0] ?? 0;
  const base = {
    schemaVersion: 1 as const,
    complete,
    manifest,
    backbones: config.backbones.map(({ id, kind, method }) => ({ id, kind, method })),
    records: recordsOf(cells),
    summaries: complete ? summarise(config, cells, imageSize, registry) : [],
    reference: config.reference ?? config.backbones.find((b) => b.kind === 'supervised')?.id ?? null,
    verdict: complete ? verdicts(config, cells, registry) : [],
    notes: complete ? notesOf(config, cells, registry) : [],
  };
  const results: AuditResults = complete && config.gate.length > 0 ? { ...base, gate: gate(base, config.gate) } : base;
  assertValidResults(results);
  return results;
}

/** Removes the audit files of an output folder (only ours: the folder and anything else stay). */
function removeAuditFiles(out: string): void {
  for (const name of [JOURNAL_FILE, PREVIEWS_FILE, ...OUTPUT_FILES]) rmSync(join(out, name), { force: true });
}

/** Runs an audit from a request (anything left out takes its default): the library entry point. */
export async function audit(request: AuditRequest = {}, options: AuditOptions = {}): Promise<AuditOutcome> {
  return runAudit(resolveAuditConfig({}, request, options.registry), options);
}

/**
 * Runs the cells of an audit (or of one shard) that are not finished yet, appending each to the
 * journal as it completes, then writes results.json and the reports atomically. Killing it at any
 * moment loses at most the cell in flight; `resume` picks up from the journal.
 */
export async function runAudit(config: ResolvedAuditConfig, options: AuditOptions = {}): Promise<AuditOutcome> {
  const registry = options.registry ?? auditFamilies;
  const out = options.out ?? './ssl-robust-report';
  const shard = options.shard && options.shard.count > 1 ? options.shard : null;
  ensure(!(options.resume && options.overwrite), 'give either --resume or --overwrite, not both');
  const started = new Date().toISOString();
  const backend = await useBackend(config.backend as Parameters<typeof useBackend>[0]);
  const models = new Map<string, LoadedClassifier>();
  try {
    for (const spec of config.backbones) {
      const model = await loadCheckedClassifier(spec.path);
      models.set(spec.id, model);
      for (const warning of model.info.warnings) options.onNote?.(`warning: ${spec.id}: ${warning}`);
    }
    const first = models.get(config.backbones[0]!.id)!;
    const [size, , channels] = first.inputShape;
    const opened = await openDataset({ spec: config.data.spec, split: config.data.split, imageSize: size, channels: channels === 1 ? 1 : 3, env: options.env ?? process.env });
    if (opened.note) options.onNote?.(opened.note);
    const dataset = config.data.limit ? opened.dataset.take(config.data.limit) : opened.dataset;
    for (const model of models.values()) checkCompatible(model, dataset);

    const manifestBase = {
      tool: { name: 'ssl-robust' as const, version: VERSION },
      backend: { name: backend.name, adapter: backend.adapter ?? null },
      seed: config.seed,
      dataset: { ...dataset.info, split: config.data.split, size: dataset.size, imageShape: [...dataset.imageShape], sha256: await datasetHash(dataset) },
      models: config.backbones.map((spec) => {
        const info = models.get(spec.id)!.info;
        return { id: spec.id, path: spec.path, sha256: info.sha256, format: info.format, parameterCount: info.parameterCount };
      }),
      config,
    };
    const header: JournalHeader = {
      type: 'audit',
      journalVersion: 1,
      fingerprint: auditFingerprint(manifestBase),
      manifest: manifestBase,
      shard,
      startedAt: started,
    };

    mkdirSync(out, { recursive: true });
    if (options.overwrite) removeAuditFiles(out);
    const { journal, finished } = Journal.open(out, header, options.resume ?? false);
    const plan = planCells(config, registry);
    const mine = shardCells(plan, shard);
    const todo = mine.filter((cell) => !finished.has(cell.id));
    let cellsRun = 0;
    // One-entry store of work shared by consecutive cells (CellContext.shared).
    let sharedEntry: { key: string; value: Promise<unknown> } | null = null;
    const shared = <T>(key: string, compute: () => Promise<T>): Promise<T> => {
      if (sharedEntry?.key !== key) sharedEntry = { key, value: compute() };
      return sharedEntry.value as Promise<T>;
    };
    try {
      for (const cell of todo) {
        const family = registry.get(cell.family);
        const cellStarted = performance.now();
        const report = (itemsDone: number, itemsTotal: number) =>
          options.onProgress?.({ cellsDone: mine.length - todo.length + cellsRun, cellsTotal: mine.length, cell: cell.id, itemsDone, itemsTotal });
        report(0, 1);
        const outcome = await family.run(cell, {
          classifier: models.get(cell.backbone)!,
          backbone: config.backbones.find((b) => b.id === cell.backbone)!,
          dataset,
          config,
          onProgress: report,
          shared,
          env: options.env ?? process.env,
        });
        const done: FinishedCell = { ...cell, ...outcome, seconds: (performance.now() - cellStarted) / 1000 };
        journal.append(done);
        (finished as Map<string, FinishedCell>).set(cell.id, done);
        cellsRun++;
      }
    } finally {
      journal.close();
    }
    options.onProgress?.({ cellsDone: mine.length, cellsTotal: mine.length, cell: '', itemsDone: 1, itemsTotal: 1 });

    let previews: PreviewSection[] = [];
    if (!shard || shard.index === 1) {
      previews = await makePreviews(config, plan, dataset, models);
      await writeFileAtomic(join(out, PREVIEWS_FILE), JSON.stringify(previews));
    }
    const originalStart = existsSync(join(out, JOURNAL_FILE)) ? (JSON.parse(readFileSync(join(out, JOURNAL_FILE), 'utf8').split('\n')[0]!) as JournalHeader).startedAt : started;
    const manifest: Manifest = { ...manifestBase, startedAt: originalStart, finishedAt: new Date().toISOString(), shard, mergedFrom: [] };
    const results = assembleResults(manifest, mine.map((cell) => finished.get(cell.id)!), shard === null, registry);
    const files = await writeAuditOutputs(out, results, previews);
    return { results, out, files, cellsRun, cellsSkipped: mine.length - todo.length };
  } finally {
    for (const model of models.values()) model.dispose();
  }
}
