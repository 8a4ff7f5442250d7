import { join } from 'node:path';
import { writeFileAtomic } from '../models/files.js';
import type { PreviewSection } from '../runner/audit/previews.js';
import type { AuditResults } from '../runner/audit/results.js';
import { htmlReport } from './html.js';
import { junitReport } from './junit.js';
import { markdownReport } from './markdown.js';

/** The files an audit writes (a shard writes only results.json: its reports come from the merge). */
export const OUTPUT_FILES = ['results.json', 'report.md', 'report.html', 'junit.xml'] as const;

/** Writes results.json and, for a whole audit, the three reports; each file atomically. */
export async function writeAuditOutputs(out: string, results: AuditResults, previews: readonly PreviewSection[]): Promise<string[]> {
  const written: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFileAtomic(join(out, name), text);
    written.push(join(out, name));
  };
  await write('results.json', `${JSON.stringify(results, null, 2)}\n`);
  if (!results.complete) return written;
  await write('report.md', markdownReport(results));
  await write('report.html', htmlReport(results, previews));
  await write('junit.xml', junitReport(results));
  return written;
}
