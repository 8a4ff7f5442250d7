import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensure } from '../../errors.js';
import { writeFileAtomic } from '../../models/files.js';
import type { Registry } from '../../registry.js';
import { writeAuditOutputs } from '../../report/write.js';
import { auditFamilies } from './families/index.js';
import { encodeCell, JOURNAL_FILE, readJournal, type JournalHeader } from './journal.js';
import { planCells } from './plan.js';
import type { PreviewSection } from './previews.js';
import type { AuditResults, Manifest } from './results.js';
import { assembleResults, PREVIEWS_FILE } from './run.js';
import type { AuditFamily, FinishedCell, ResolvedAuditConfig } from './types.js';

export interface MergeOutcome {
  readonly results: AuditResults;
  readonly out: string;
  readonly files: readonly string[];
}

/**
 * Combines the journals of several shard folders (or partial runs) of one audit into one result,
 * the same as a single run would write: every cell of the plan must be present exactly once (a
 * cell found twice must agree), and all journals must belong to the same audit.
 */
export async function mergeAudits(folders: readonly string[], out: string, registry: Registry<AuditFamily> = auditFamilies): Promise<MergeOutcome> {
  ensure(folders.length > 0, 'merge: give the shard folders to combine');
  const journals = folders.map((folder) => {
    const file = join(folder, JOURNAL_FILE);
    ensure(existsSync(file), `${folder}: no ${JOURNAL_FILE} (not an audit output folder)`);
    return { folder, ...readJournal(file) };
  });
  const first = journals[0]!;
  for (const other of journals.slice(1)) {
    ensure(other.header.fingerprint === first.header.fingerprint, `${other.folder} is from a different audit than ${first.folder} (models, data, grid, seed or backend differ)`);
  }
  const manifestBase = first.header.manifest as unknown as Omit<Manifest, 'startedAt' | 'finishedAt' | 'shard' | 'mergedFrom'>;
  const config = manifestBase.config as ResolvedAuditConfig;
  const plan = planCells(config, registry);
  const found = new Map<string, FinishedCell>();
  for (const journal of journals) {
    for (const cell of journal.cells.values()) {
      const previous = found.get(cell.id);
      if (previous) {
        const same = encodeCell({ ...previous, seconds: 0 }) === encodeCell({ ...cell, seconds: 0 });
        ensure(same, `cell ${cell.id} has different results in two folders: were they run with different software?`);
      } else {
        found.set(cell.id, cell);
      }
    }
  }
  const missing = plan.filter((cell) => !found.has(cell.id));
  const shards = journals.map((j) => j.header.shard).filter((s): s is NonNullable<JournalHeader['shard']> => s !== null);
  ensure(
    missing.length === 0,
    () => `merge: ${missing.length} of ${plan.length} cells are missing (e.g. ${missing[0]!.id})${shards.length ? `; have shards ${shards.map((s) => `${s.index}/${s.count}`).join(', ')}` : ''}: run or resume the missing shards first`,
  );
  const manifest: Manifest = {
    ...manifestBase,
    startedAt: journals.map((j) => j.header.startedAt).sort()[0]!,
    finishedAt: new Date().toISOString(),
    shard: null,
    mergedFrom: [...folders],
  };
  const results = assembleResults(manifest, plan.map((cell) => found.get(cell.id)!), true, registry);
  const previewSource = journals.find((j) => existsSync(join(j.folder, PREVIEWS_FILE)));
  const previews = previewSource ? (JSON.parse(readFileSync(join(previewSource.folder, PREVIEWS_FILE), 'utf8')) as PreviewSection[]) : [];
  if (previewSource) await writeFileAtomic(join(out, PREVIEWS_FILE), JSON.stringify(previews));
  // The merged folder gets the whole journal too, so it can be merged again or rerun with --resume.
  const journalText = [JSON.stringify({ ...first.header, shard: null, startedAt: manifest.startedAt }), ...plan.map((cell) => encodeCell(found.get(cell.id)!))].join('\n');
  await writeFileAtomic(join(out, JOURNAL_FILE), `${journalText}\n`);
  const files = await writeAuditOutputs(out, results, previews);
  return { results, out, files: [join(out, JOURNAL_FILE), ...files] };
}


