/** The audit end to end on the bundled model and data: files, schema, verdict, resume after a kill, shards. */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/runner/audit/journal.js';
import { resultsSchemaErrors, type AuditResults } from '../../src/runner/audit/results.js';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';
import { TINY_GRID, TWIN_MODELS } from './tiny.js';

const folder = tempFolder();
const args = (out: string, ...more: string[]) => ['--backend', 'wasm', '--seed', '3', 'audit', ...TWIN_MODELS, ...TINY_GRID, '--out', out, ...more];
const readResults = (out: string) => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AuditResults;
const PLANNED = 2 * (1 + 2 * 2 + 3);

let single: AuditResults;

beforeAll(async () => {
  const run = await cli(args(join(folder, 'single')));
  expect(run.code, run.stderr).toBe(0);
  single = readResults(join(folder, 'single'));
});

describe('ssl-robust audit', () => {
  it('writes the journal, results.json and the three reports, and says where the report is', async () => {
    const out = join(folder, 'single');
    for (const name of ['journal.jsonl', 'results.json', 'report.md', 'report.html', 'junit.xml']) expect(existsSync(join(out, name)), name).toBe(true);
    expect(resultsSchemaErrors(single)).toEqual([]);
    expect(readJournal(join(out, 'journal.jsonl')).cells.size).toBe(PLANNED);
  });

  it('records a manifest that pins tool, backend, data, models and the resolved config', () => {
    const { manifest } = single;
    expect(manifest.tool.name).toBe('ssl-robust');
    expect(manifest.backend.name).toBe('wasm');
    expect(manifest.seed).toBe(3);
    expect(manifest.dataset).toMatchObject({ name: 'fashion-mnist-subset', split: 'test', size: 48, imageShape: [28, 28, 1] });
    expect(manifest.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.models.map((m) => m.id)).toEqual(['twin-ssl', 'twin-sup']);
    expect(manifest.models[0]!.sha256).toBe(manifest.models[1]!.sha256);
    expect(manifest.config.grids['attack']).toMatchObject({ limit: 24 });
    expect(Date.parse(manifest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(manifest.startedAt));
    expect(single.backbones).toEqual([{ id: 'twin-ssl', kind: 'ssl', method: 'unknown' }, { id: 'twin-sup', kind: 'supervised', method: 'cross-entropy' }]);
  });

  it('keeps long-format records with intervals that hold their values, and consistent summaries', () => {
    const records = single.records;
    expect(records.filter((r) => r.family === 'corruption' && r.backbone === 'twin-ssl')).toHaveLength(4);
    for (const record of records.filter((r) => r.metric.endsWith('ccuracy'))) {
      expect(record.value).toBeGreaterThanOrEqual(0);
      expect(record.value).toBeLessThanOrEqual(1);
      expect(record.ci95![0]).toBeLessThanOrEqual(record.value);
      expect(record.ci95![1]).toBeGreaterThanOrEqual(record.value);
    }
    const clean = records.find((r) => r.family === 'clean' && r.backbone === 'twin-sup')!;
    expect(clean.value).toBeGreaterThan(0.8);
    const contrast5 = records.find((r) => r.name === 'contrast' && r.level === 5 && r.backbone === 'twin-sup')!;
    expect(contrast5.value).toBeLessThan(clean.value);
    const pgd = records.filter((r) => r.name === 'pgd/linf' && r.backbone === 'twin-sup' && r.metric === 'robustAccuracy');
    expect(pgd.map((r) => r.level)).toEqual([0.02, 0.05]);
    expect(pgd[1]!.value).toBeLessThanOrEqual(pgd[0]!.value);

    const m = single.summaries.find((s) => s.backbone === 'twin-ssl')!.metrics;
    expect(m['clean.accuracy']).toBe(records.find((r) => r.family === 'clean' && r.backbone === 'twin-ssl')!.value);
    // The twin is the same network: normalised by the supervised twin, its mCE is exactly 1.
    expect(m['corruption.mce']).toBe(1);
    expect(m['corruption.relativeMce']).toBe(1);
    const worst = Math.min(
      records.find((r) => r.name === 'fgsm/linf' && r.level === 0.05 && r.backbone === 'twin-ssl')!.value,
      records.find((r) => r.name === 'pgd/linf' && r.level === 0.05 && r.backbone === 'twin-ssl')!.value,
    );
    expect(m['attack.linf@0.05.robustAccuracy']).toBeLessThanOrEqual(worst);
    expect(m['attack.linf.auc']).toBeGreaterThan(0);
    expect(m['attack.linf.auc']).toBeLessThan(1);
    expect(single.reference).toBe('twin-sup');
  });

  it('finds no difference between a network and itself, with an interval of exactly zero', () => {
    expect(single.verdict.map((v) => v.family)).toEqual(['corruption', 'attack']);
    for (const verdict of single.verdict) {
      expect(verdict).toMatchObject({ outcome: 'no-clear-difference', difference: 0, ci95: [0, 0], ssl: ['twin-ssl'], supervised: ['twin-sup'], reason: null });
      expect(verdict.sslDegradation).toBeGreaterThan(0);
    }
  });

  it('says the verdict needs both kinds when it has only one', async () => {
    const out = join(folder, 'one');
    const run = await cli(['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', ...TINY_GRID, '--families', 'corruption', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Common corruptions: not applicable \(needs at least one SSL and one supervised backbone \(have 0 SSL, 1 supervised\)\)/);
    expect(run.stdout).toMatch(new RegExp(`report: ${join(out, 'report.html')}`));
    expect(readResults(out).summaries[0]!.metrics['corruption.mce']).toBe(1);
  });

  it('a run killed partway and resumed gives the same records as an uninterrupted one', async () => {
    const out = join(folder, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args(out)], { stdio: 'ignore' });
    const journal = join(out, 'journal.jsonl');
    const cellLines = () => (existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length - 1 : 0);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (cellLines() >= 3) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the audit finished before it could be killed'));
      });
    });
    await new Promise((resolve) => child.on('exit', resolve));
    const finishedBefore = cellLines();
    expect(finishedBefore).toBeLessThan(PLANNED);
    expect(existsSync(join(out, 'results.json'))).toBe(false);

    const again = await cli(args(out));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an audit \(journal\.jsonl\): pass --resume to continue it/);

    const resumed = await cli(args(out, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    const results = readResults(out);
    expect(results.records).toEqual(single.records);
    expect(results.summaries).toEqual(single.summaries);
    expect(results.verdict).toEqual(single.verdict);
    expect(readJournal(journal).cells.size).toBe(PLANNED);
  });

  it('resumes past a line torn by a kill mid-write, and refuses to resume a different audit', async () => {
    const out = join(folder, 'torn');
    cpSync(join(folder, 'single'), out, { recursive: true });
    const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(out, 'journal.jsonl'), `${lines.slice(0, -2).join('\n')}\n`);
    appendFileSync(join(out, 'journal.jsonl'), lines.at(-2)!.slice(0, 40));
    const resumed = await cli(args(out, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed: ${PLANNED - 2} finished cell\\(s\\) taken from the journal, 2 run now`));
    expect(readResults(out).records).toEqual(single.records);

    const other = await cli(['--backend', 'wasm', '--seed', '4', 'audit', ...TWIN_MODELS, ...TINY_GRID, '--out', out, '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/is from a different audit/);
  });

  it('shards merged equal a single run', async () => {
    const shards = [1, 2, 3].map((i) => join(folder, `shard-${i}`));
    for (const [k, out] of shards.entries()) {
      const run = await cli(args(out, '--shard', `${k + 1}/3`));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`shard ${k + 1}/3: \\d+ records`));
      const partial = readResults(out);
      expect(partial.complete).toBe(false);
      expect(resultsSchemaErrors(partial)).toEqual([]);
      expect(existsSync(join(out, 'report.html'))).toBe(false);
    }
    const incomplete = await cli(['merge', shards[0]!, shards[2]!, '--out', join(folder, 'bad-merge')]);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toMatch(/merge: \d+ of 16 cells are missing .* have shards 1\/3, 3\/3/);

    const merged = await cli(['merge', ...shards, '--out', join(folder, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    const results = readResults(join(folder, 'merged'));
    expect(resultsSchemaErrors(results)).toEqual([]);
    expect(results.records).toEqual(single.records);
    expect(results.summaries).toEqual(single.summaries);
    expect(results.verdict).toEqual(single.verdict);
    expect(results.manifest.mergedFrom).toEqual(shards);
    for (const name of ['report.md', 'report.html', 'junit.xml']) expect(existsSync(join(folder, 'merged', name))).toBe(true);
  });

  it('keeps the tensor count flat over a whole audit', async () => {
    const out = join(folder, 'memory');
    const small = ['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', '--limit', '16', '--corruptions', 'fog', '--severities', '1', '--attacks', 'pgd:linf:0.05:steps=2', '--attack-limit', '8', '--out', out];
    expect((await cli(small)).code).toBe(0);
    const before = tf.memory().numTensors;
    const run = await cli([...small, '--overwrite']);
    expect(run.code, run.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    [['--families', 'label-nosie'], /unknown audit family 'label-nosie' \(known: clean, corruption, attack, label-noise, imbalance, few-shot\)/],
    [['--attacks', 'pgd:l3:0.1'], /unknown norm 'l3'/],
    [['--attacks', 'cw:linf:0.1'], /unknown attack 'cw'/],
    [['--corruptions', 'fgo'], /unknown corruption 'fgo'/],
    [['--severities', '7'], /severity must be 1–5 or all/],
    [['--shard', '4/3'], /--shard 4\/3: i must be between 1 and n/],
    [['--model', 'x=/nope'], /--model \/nope: no such file or folder/],
    [['--config', '/nope.yaml'], /--config \/nope.yaml: no such file/],
    [['--gate', 'clean.accuracy>>1'], /gate rule 'clean.accuracy>>1': '>1' is not a number/],
    [['--resume', '--overwrite'], /either --resume or --overwrite/],
    [['--bootstrap', '10'], /--bootstrap 10: use at least 100 resamples/],
  ])('bad input %j gets one clear line and exit code 2', async (extra, message) => {
    const run = await cli(['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', '--out', join(folder, 'never'), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
