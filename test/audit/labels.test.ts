/** The label families (label noise, imbalance, few-shot) in the audit, on the bundled CNN's embeddings and the bundled data. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { readConfigFile, resolveAuditConfig } from '../../src/runner/audit/config.js';
import { auditFamilies } from '../../src/runner/audit/families/index.js';
import { readJournal } from '../../src/runner/audit/journal.js';
import { planCells } from '../../src/runner/audit/plan.js';
import { notesOf, recordsOf, resultsSchemaErrors, summarise, verdicts, type AuditResults } from '../../src/runner/audit/results.js';
import type { CellContext, FinishedCell, ResolvedAuditConfig } from '../../src/runner/audit/types.js';
import { cli as cliWithEnv } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';
import { TWIN_MODELS } from './tiny.js';

const folder = tempFolder();
const LABEL_FAMILIES = ['label-noise', 'imbalance', 'few-shot'];
/** 400 images: a 200/200 partition, ~20 per class: enough for ρ = 10 and 5-way 5-shot, too few for ρ = 100. */
const LABEL_GRID = [
  '--families', LABEL_FAMILIES.join(','),
  '--limit', '400',
  '--noise', 'symmetric:0.4',
  '--imbalance', 'longtail:10,100',
  '--shots', '5', '--queries', '10', '--episodes', '40',
  '--bootstrap', '200',
];
const args = (out: string, ...more: string[]) => ['--backend', 'wasm', '--seed', '3', 'audit', ...TWIN_MODELS, ...LABEL_GRID, '--out', out, ...more];
const readResults = (out: string) => JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AuditResults;
/** Per backbone: clean, label noise (clean labels, 0.4), imbalance (balanced, ρ 10, ρ 100), few-shot 5-shot. */
const PLANNED = 2 * (1 + 2 + 3 + 1);

let single: AuditResults;
const cacheFolder = join(folder, 'cache');
/** The CLI with the embedding cache kept out of the user's home, through the CLI's own environment. */
const cli = (args: readonly string[]) => cliWithEnv(args, { SSL_ROBUST_CACHE: cacheFolder });

beforeAll(async () => {
  const run = await cli(args(join(folder, 'single')));
  expect(run.code, run.stderr).toBe(0);
  single = readResults(join(folder, 'single'));
});

const summary = (backbone: string) => single.summaries.find((s) => s.backbone === backbone)!.metrics;
const record = (family: string, name: string, level: number | null, metric = 'accuracy', backbone = 'twin-sup') =>
  single.records.find((r) => r.backbone === backbone && r.family === family && r.name === name && r.level === level && r.metric === metric);

describe('label families in the audit', () => {
  it('writes records valid against the schema, one cell per test, level = rate, ratio or shots', () => {
    expect(resultsSchemaErrors(single)).toEqual([]);
    expect(readJournal(join(folder, 'single', 'journal.jsonl')).cells.size).toBe(PLANNED);
    const tests = [...new Set(single.records.filter((r) => r.backbone === 'twin-sup').map((r) => `${r.family}/${r.name}@${r.level}`))];
    expect(tests).toEqual(['clean/clean@null', 'label-noise/clean-labels@null', 'label-noise/symmetric@0.4', 'imbalance/balanced@null', 'imbalance/longtail@10', 'few-shot/5way@5']);
    // Every image of the partition's test half (about 200) is scored, with a Wilson interval around the accuracy.
    const noisy = record('label-noise', 'symmetric', 0.4)!;
    expect(noisy.n).toBeGreaterThan(190);
    expect(noisy.n).toBeLessThan(210);
    expect(noisy.ci95![0]).toBeLessThan(noisy.value);
    expect(noisy.ci95![1]).toBeGreaterThan(noisy.value);
    expect(record('label-noise', 'symmetric', 0.4, 'noiseRate')!.value).toBeCloseTo(0.4, 1);
  });

  it('40% symmetric label noise lowers the probe\'s accuracy against the same probe on clean labels', () => {
    const m = summary('twin-sup');
    expect(m['labelNoise.cleanAccuracy']).toBeGreaterThan(0.75);
    expect(m['labelNoise.symmetric@0.4.accuracy']).toBeLessThan(m['labelNoise.cleanAccuracy']!);
    expect(m['labelNoise.symmetric@0.4.drop']).toBeCloseTo(m['labelNoise.cleanAccuracy']! - m['labelNoise.symmetric@0.4.accuracy']!, 12);
    expect(m['labelNoise.symmetric@0.4.drop']).toBeGreaterThan(0);
    expect(m['labelNoise.meanDrop']).toBe(m['labelNoise.symmetric@0.4.drop']);
  });

  it('a long tail costs accuracy, most on the few-shot classes; a ratio the data cannot hold is noted, not a crash', () => {
    const m = summary('twin-sup');
    expect(m['imbalance.cleanAccuracy']).toBe(m['labelNoise.cleanAccuracy']);
    expect(m['imbalance.longtail@10.drop']).toBeGreaterThan(0);
    expect(m['imbalance.longtail@10.fewAccuracy']).toBeLessThan(m['imbalance.longtail@10.manyAccuracy']!);
    expect(record('imbalance', 'longtail', 10, 'balancedAccuracy')).toBeDefined();
    expect(record('imbalance', 'longtail', 100)).toBeUndefined();
    expect(m['imbalance.longtail@100.accuracy']).toBeNull();
    const verdict = single.verdict.find((v) => v.family === 'imbalance')!;
    expect(verdict.reason).toMatch(/Class imbalance: longtail ρ = 100 not run: the probe's train part has \d+–\d+ and its test part \d+–\d+ images per class, too few/);
  });

  it('reports few-shot accuracy as a mean over episodes with its 95% interval', () => {
    const fewShot = record('few-shot', '5way', 5)!;
    expect(fewShot.n).toBe(40);
    expect(fewShot.value).toBeGreaterThan(0.6);
    const halfWidth = record('few-shot', '5way', 5, 'halfWidth')!.value;
    expect(fewShot.ci95![0]).toBeCloseTo(fewShot.value - halfWidth, 12);
    expect(fewShot.ci95![1]).toBeCloseTo(Math.min(1, fewShot.value + halfWidth), 12);
    expect(summary('twin-ssl')['fewShot.5way@5.accuracy']).toBe(fewShot.value);
  });

  it('finds no difference between a network and itself in every label family', () => {
    expect(single.verdict.map((v) => v.family)).toEqual(LABEL_FAMILIES);
    for (const verdict of single.verdict) {
      expect(verdict).toMatchObject({ outcome: 'no-clear-difference', difference: 0, ci95: [0, 0] });
      expect(verdict.sslDegradation).toBeGreaterThan(0);
    }
    expect(single.verdict.find((v) => v.family === 'few-shot')!.items).toBe(40);
  });

  it('embeds each model once: every later cell reads the cache', () => {
    // The twins are one file, so one cache entry holds the embeddings of both.
    expect(readdirSync(join(cacheFolder, 'embeddings')).filter((f) => f.endsWith('.emb'))).toHaveLength(1);
  });

  it('is deterministic given the seed, and the seed matters; no tensors are left behind', async () => {
    const before = tf.memory().numTensors;
    const again = await cli(args(join(folder, 'again')));
    expect(again.code, again.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(readResults(join(folder, 'again')).records).toEqual(single.records);
    expect(readResults(join(folder, 'again')).verdict).toEqual(single.verdict);

    const otherSeed = await cli(['--backend', 'wasm', '--seed', '4', 'audit', ...TWIN_MODELS, ...LABEL_GRID, '--out', join(folder, 'seed-4')]);
    expect(otherSeed.code, otherSeed.stderr).toBe(0);
    const other = readResults(join(folder, 'seed-4')).records.filter((r) => r.family === 'label-noise');
    expect(other.map((r) => r.value)).not.toEqual(single.records.filter((r) => r.family === 'label-noise').map((r) => r.value));
  });

  it('shards merged and a resumed run equal a single run', async () => {
    const shards = [1, 2].map((i) => join(folder, `shard-${i}`));
    for (const [k, out] of shards.entries()) {
      const run = await cli(args(out, '--shard', `${k + 1}/2`));
      expect(run.code, run.stderr).toBe(0);
    }
    const merged = await cli(['merge', ...shards, '--out', join(folder, 'merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    const results = readResults(join(folder, 'merged'));
    expect(results.records).toEqual(single.records);
    expect(results.summaries).toEqual(single.summaries);
    expect(results.verdict).toEqual(single.verdict);

    // Cut the journal after five cells, as a kill would, and resume.
    const out = join(folder, 'resumed');
    const first = await cli(args(out));
    expect(first.code, first.stderr).toBe(0);
    const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(out, 'journal.jsonl'), `${lines.slice(0, 6).join('\n')}\n`);
    const resumed = await cli(args(out, '--resume'));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed: 5 finished cell\\(s\\) taken from the journal, ${PLANNED - 5} run now`));
    expect(readResults(out).records).toEqual(single.records);
    expect(readResults(out).verdict).toEqual(single.verdict);
  });

  it('shows the label families in report.md and charts them in report.html', () => {
    const markdown = readFileSync(join(folder, 'single', 'report.md'), 'utf8');
    expect(markdown).toMatch(/\| Label noise \| .* \| \*\*no clear difference\*\* \|/);
    expect(markdown).toMatch(/label-noise drop, points \| imbalance drop, points \| 5-way 5-shot \|/);
    expect(markdown).toMatch(/a linear probe on each backbone's frozen embeddings/);
    const html = readFileSync(join(folder, 'single', 'report.html'), 'utf8');
    for (const title of ['Label noise: symmetric', 'Class imbalance: longtail', 'Few-shot: 5-way']) expect(html).toContain(title);
  });
});

describe('a backbone without an embedding', () => {
  let dataset: Dataset;
  let model: LoadedClassifier;
  let config: ResolvedAuditConfig;

  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadClassifier('fmnist-cnn');
    dataset = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(200);
    config = resolveAuditConfig({}, { models: ['plain=fmnist-cnn:ssl', 'probed=fmnist-cnn:supervised'], families: LABEL_FAMILIES, quick: true, bootstrap: 100 });
  });

  afterAll(() => model.dispose());

  it('gets empty cells, null summaries and a note saying why, while the other backbone is probed', async () => {
    // The same network with its embedding hidden: a classifier only.
    const headOnly = { name: model.name, inputShape: model.inputShape, numClasses: model.numClasses, logits: model.logits.bind(model) };
    const cells: FinishedCell[] = [];
    for (const cell of planCells(config).filter((c) => c.family !== 'clean')) {
      const context: CellContext = {
        classifier: cell.backbone === 'plain' ? headOnly : model,
        backbone: config.backbones.find((b) => b.id === cell.backbone)!,
        dataset,
        config,
        shared: (_key, compute) => compute(),
        env: { SSL_ROBUST_CACHE: cacheFolder },
      };
      cells.push({ ...cell, ...(await auditFamilies.get(cell.family).run(cell, context)), seconds: 0 });
    }
    const plain = cells.filter((c) => c.backbone === 'plain');
    expect(plain.every((c) => c.itemCount === 0 && Object.keys(c.metrics).length === 0)).toBe(true);
    expect(recordsOf(plain)).toEqual([]);
    expect(cells.filter((c) => c.backbone === 'probed').every((c) => c.itemCount > 0)).toBe(true);

    const [plainSummary, probedSummary] = summarise(config, cells, 28);
    expect(plainSummary!.metrics['labelNoise.symmetric@0.4.drop']).toBeNull();
    expect(plainSummary!.metrics['fewShot.5way@5.accuracy']).toBeNull();
    expect(probedSummary!.metrics['labelNoise.symmetric@0.4.drop']).toEqual(expect.any(Number));

    const notes = notesOf(config, cells);
    expect(notes.map((n) => n.family)).toEqual(LABEL_FAMILIES);
    for (const note of notes) expect(note.text).toMatch(/not applicable to plain: the model exposes no embedding/);
    for (const verdict of verdicts(config, cells)) {
      expect(verdict.outcome).toBe('not-applicable');
      expect(verdict.reason).toMatch(/no results for plain in this family; .*the model exposes no embedding/);
    }
    // results.json may carry the notes.
    expect(resultsSchemaErrors({ ...single, notes })).toEqual([]);
  });

  it('fits the protocol the config names: kNN and the linear probe score the same test half differently', async () => {
    const outcomes = [];
    for (const protocol of ['linear', 'knn'] as const) {
      const withProtocol = { ...config, protocol };
      const cell = planCells(withProtocol).find((c) => c.backbone === 'probed' && c.family === 'label-noise' && c.level === 0.4)!;
      expect(cell.params['protocol']).toBe(protocol);
      const context: CellContext = { classifier: model, backbone: withProtocol.backbones[1]!, dataset, config: withProtocol, shared: (_key, compute) => compute(), env: { SSL_ROBUST_CACHE: cacheFolder } };
      outcomes.push(await auditFamilies.get('label-noise').run(cell, context));
    }
    const [linear, knn] = outcomes;
    expect(linear!.itemCount).toBe(knn!.itemCount);
    for (const outcome of outcomes) expect(outcome.metrics['accuracy']).toBeGreaterThan(0.3);
    expect(linear!.correct).not.toEqual(knn!.correct);
  });
});

describe('label family settings', () => {
  it.each([
    [['--noise', 'symmetric:1.5'], /noise rate must be in \[0, 1\), got 1.5/],
    [['--noise', 'gaussian:0.2'], /unknown noise model 'gaussian'/],
    [['--noise', 'symmetric'], /--noise: 'symmetric' should read model\[:args\]:rate/],
    [['--noise', 'asym:nope.json:0.3'], /no class map file 'nope.json'/],
    [['--imbalance', 'longtail:0.5'], /imbalance ratio ρ = n_max \/ n_min must be a finite number ≥ 1, got 0.5/],
    [['--imbalance', 'zipf:10'], /unknown imbalance profile 'zipf'/],
    [['--shots', '0'], /--shots: must be a positive integer, got '0'/],
    [['--ways', '1'], /an episode needs at least 2 ways/],
  ])('bad flag %j gets one clear line and exit code 2', async (extra, message) => {
    const run = await cli(['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', '--out', join(folder, 'never'), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('names each mistake in a config file on its own line', () => {
    const file = join(folder, 'labels.yaml');
    writeFileSync(file, [
      'label-noise:',
      '  noise:',
      '    - { noise: symmetric }',
      'imbalance:',
      '  imbalance: [{ profile: longtail, ratios: [10], rho: 3 }]',
      'few-shot:',
      '  shots: 5',
    ].join('\n'));
    expect(() => readConfigFile(file)).toThrow(
      [
        `${file}: label-noise.noise.0: missing 'rates'`,
        `${file}: imbalance.imbalance.0: unknown key 'rho' (known: profile, ratios, args)`,
        `${file}: few-shot.shots: must be array`,
      ].join('\n'),
    );
  });

  it('keeps the quick grids small and the defaults within what the default image counts hold', () => {
    const quick = resolveAuditConfig({}, { quick: true });
    expect(quick.grids['label-noise']).toEqual({ noise: [{ noise: 'symmetric', rates: [0.4] }] });
    expect(quick.grids['imbalance']).toEqual({ imbalance: [{ profile: 'longtail', ratios: [5] }] });
    expect(quick.grids['few-shot']).toEqual({ ways: 5, shots: [5], queries: 5, episodes: 100 });
    expect(quick.protocol).toBe('linear');
    const full = resolveAuditConfig({}, { protocol: 'knn' });
    expect(full.grids['label-noise']!['noise']).toHaveLength(2);
    expect(full.protocol).toBe('knn');
  });
});
