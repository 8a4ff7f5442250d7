import { closeSync, existsSync, fsyncSync, openSync, readFileSync, statSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensure, UserInputError } from '../../errors.js';
import { packBits, unpackBits } from './bits.js';
import type { FinishedCell } from './types.js';

export const JOURNAL_FILE = 'journal.jsonl';

/** The first line of a journal: what the audit is, so a resume or a merge can check it is the same one. */
export interface JournalHeader {
  readonly type: 'audit';
  readonly journalVersion: 1;
  /** sha256 over everything that decides the numbers: config, data and model hashes, tool version. */
  readonly fingerprint: string;
  /** Facts the results manifest needs (config, dataset, models, backend, tool), so merge needs no models. */
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly startedAt: string;
}

interface CellLine {
  readonly type: 'cell';
  readonly id: string;
  readonly backbone: string;
  readonly family: string;
  readonly name: string;
  readonly level: number | null;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly itemCount: number;
  readonly correct: string;
  /** Per-item extras; Infinity is written as null (JSON has no Infinity). */
  readonly values?: Readonly<Record<string, readonly (number | null)[]>>;
  readonly seconds: number;
}

export function encodeCell(cell: FinishedCell): string {
  const line: CellLine = {
    type: 'cell',
    id: cell.id,
    backbone: cell.backbone,
    family: cell.family,
    name: cell.name,
    level: cell.level,
    params: cell.params,
    metrics: cell.metrics,
    itemCount: cell.itemCount,
    correct: packBits(cell.correct),
    ...(cell.values ? { values: Object.fromEntries(Object.entries(cell.values).map(([k, v]) => [k, v.map((x) => (Number.isFinite(x) ? x : null))])) } : {}),
    seconds: cell.seconds,
  };
  return JSON.stringify(line);
}

function decodeCell(line: CellLine): FinishedCell {
  return {
    id: line.id,
    backbone: line.backbone,
    family: line.family,
    name: line.name,
    level: line.level,
    params: line.params,
    metrics: line.metrics,
    itemCount: line.itemCount,
    correct: unpackBits(line.correct, line.itemCount),
    ...(line.values ? { values: Object.fromEntries(Object.entries(line.values).map(([k, v]) => [k, v.map((x) => x ?? Infinity)])) } : {}),
    seconds: line.seconds,
  };
}

export interface JournalContents {
  readonly header: JournalHeader;
  readonly cells: ReadonlyMap<string, FinishedCell>;
  /** Bytes up to the end of the last complete line (a kill mid-write leaves a torn tail). */
  readonly validBytes: number;
}

/** Reads a journal, ignoring a torn last line (the cell that was being written when the process died). */
export function readJournal(file: string): JournalContents {
  ensure(existsSync(file), `${file}: no such journal`);
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n').filter((l) => l.length > 0);
  ensure(lines.length > 0, `${file}: the journal is empty (the run was stopped before it started); delete it and rerun`);
  const parse = (line: string, k: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new UserInputError(`${file}: line ${k + 1} is not valid JSON: the journal is damaged`);
    }
  };
  const header = parse(lines[0]!, 0) as JournalHeader;
  ensure(header.type === 'audit' && header.journalVersion === 1, `${file}: not an ssl-robust audit journal`);
  const cells = new Map<string, FinishedCell>();
  lines.slice(1).forEach((line, k) => {
    const cell = decodeCell(parse(line, k + 1) as CellLine);
    cells.set(cell.id, cell);
  });
  return { header, cells, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

/** An open journal: each finished cell is appended as one line and flushed to disk before moving on. */
export class Journal {
  private constructor(private readonly fd: number) {}

  /**
   * Opens the journal of an output folder. A new folder starts a journal with this header; an
   * existing journal is continued only with `resume` and only if it is the same audit, and any
   * torn last line is cut off first so the next line starts clean.
   */
  static open(folder: string, header: JournalHeader, resume: boolean): { journal: Journal; finished: ReadonlyMap<string, FinishedCell> } {
    const file = join(folder, JOURNAL_FILE);
    if (existsSync(file) && statSync(file).size > 0) {
      ensure(resume, `${folder} already holds an audit (${JOURNAL_FILE}): pass --resume to continue it, --overwrite to start again, or another --out`);
      const contents = readJournal(file);
      ensure(
        contents.header.fingerprint === header.fingerprint,
        `${file} is from a different audit (other models, data, grid, seed or backend): use another --out, or --overwrite to start again`,
      );
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, contents.validBytes);
      closeSync(fd);
      return { journal: new Journal(openSync(file, 'a')), finished: contents.cells };
    }
    const journal = new Journal(openSync(file, 'w'));
    journal.writeLine(JSON.stringify(header));
    return { journal, finished: new Map() };
  }

  append(cell: FinishedCell): void {
    this.writeLine(encodeCell(cell));
  }

  close(): void {
    closeSync(this.fd);
  }

  private writeLine(line: string): void {
    writeSync(this.fd, `${line}\n`);
    fsyncSync(this.fd);
  }
}
