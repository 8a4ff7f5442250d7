/** `ssl-robust probe`, run in-process on the bundled CNN and Fashion-MNIST subset. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';

const cacheDir = tempFolder();
const base = ['--backend', 'wasm', 'probe', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset', '--cache-dir', cacheDir];

describe('ssl-robust probe', () => {
  it('probes with weighted kNN on a seeded partition of the subset, says so, and caches the embeddings', async () => {
    const run = await cli(['--seed', '3', ...base, '--protocol', 'knn', '--k', '50', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/no separate train split/);
    expect(run.stderr).toMatch(/seeded stratified 50\/50 train\/test partition .*seed 3/);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ protocol: 'knn', seed: 3, settings: { k: 50, temperature: 0.1 }, noiseRate: 0, reference: null, degradation: null, longTail: null });
    expect(out.split).toMatchObject({ trainCount: 1000, testCount: 1000 });
    expect(out.dataset).toMatchObject({ name: 'fashion-mnist-subset', partitioned: true, size: 2000 });
    expect(out.embeddings.dim).toBe(64);
    expect(out.embeddings.test.hit).toBe(false);
    expect(out.accuracy).toBeGreaterThan(0.75);
    expect(out.accuracy).toBeLessThanOrEqual(1);
    expect(out.balancedAccuracy).toBeCloseTo(out.accuracy, 10); // a stratified test part is balanced
    expect(out.perClass).toHaveLength(10);
    expect(out.perClass.every((c: { count: number }) => c.count === 100)).toBe(true);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.emb'))).toHaveLength(1);

    const again = await cli(['--seed', '3', ...base, '--protocol', 'knn', '--k', '50', '--json']);
    const second = JSON.parse(again.stdout);
    expect(second.embeddings.test.hit).toBe(true);
    expect(second.accuracy).toBe(out.accuracy);
  });

  it('prints a readable few-shot summary with its confidence interval', async () => {
    const run = await cli([...base, '--protocol', 'prototype', '--episodes', '40', '--shots', '1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/protocol\s+prototype, ways 5, shots 1, queries 15, episodes 40/);
    expect(run.stdout).toMatch(/episodes\s+\d+\.\d\d% ± \d+\.\d\d% \(95% CI over 40 episodes\)/);
    expect(run.stdout).toMatch(/embeddings\s+64 values per image; read from cache/);
    expect(run.stdout).toMatch(/Ankle boot/);
  });

  it('runs the linear probe with one weight decay and no cache', async () => {
    const run = await cli([...base, '--protocol', 'linear', '--weight-decay', '0.1', '--no-cache', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.details).toMatchObject({ weightDecay: 0.1, sweep: null, converged: true });
    expect(out.embeddings.test).toBeNull();
    expect(out.accuracy).toBeGreaterThan(0.85);
  });

  it('trains on a split file\'s noisy labels and reports the drop against the clean training set', async () => {
    const folder = tempFolder();
    const made = await cli(['--seed', '5', 'split', '--data', 'fashion-mnist-subset', '--split', 'test', '--noise', 'symmetric:0.4', '--out', `${folder}/noisy.json`]);
    expect(made.code, made.stderr).toBe(0);
    const run = await cli([...base, '--protocol', 'knn', '--k', '50', '--split-file', `${folder}/noisy.json`, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.split.trainCount).toBe(1000);
    expect(out.noiseRate).toBeGreaterThan(0.3);
    expect(out.noiseRate).toBeLessThan(0.5);
    expect(out.reference.description).toMatch(/clean, full training set/);
    expect(out.degradation.headline.absolute).toBeGreaterThan(0);
    expect(out.accuracy).toBeLessThan(out.reference.headline);
  });

  it('refuses a split file made on other data, in one line', async () => {
    const folder = tempFolder();
    const file = `${folder}/other.json`;
    const made = await cli(['split', '--data', 'fashion-mnist-subset', '--split', 'test', '--imbalance', 'longtail:10', '--out', file]);
    expect(made.code, made.stderr).toBe(0);
    // The same file as if it had been made on data with other labels.
    const split = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...split, dataset: { ...split.dataset, labelsSha256: '0'.repeat(64) } }));
    const run = await cli([...base, '--protocol', 'knn', '--split-file', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/other\.json was made for dataset .*, not this one .*; refusing to use it/);
    expect(run.stdout).toBe('');
  });

  it.each([
    [['--protocol', 'svm'], /unknown probe protocol 'svm' \(known: linear, knn, prototype\)/],
    [['--protocol', 'linear', '--k', '5'], /the linear protocol does not take --k/],
    [['--protocol', 'knn', '--episodes', '5'], /the knn protocol does not take --episodes/],
    [['--protocol', 'knn', '--k', '0'], /--k <n>' argument '0' is invalid/],
    [['--protocol', 'knn', '--temperature', '-1'], /must be a number > 0/],
    [['--protocol', 'linear', '--weight-decay', '1e-3,x'], /comma-separated numbers ≥ 0/],
    [['--protocol', 'linear', '--train-fraction', '1'], /strictly between 0 and 1/],
    [['--protocol', 'prototype', '--ways', '11'], /fewer than the 11 ways an episode needs/],
    [['--k', '5'], /required option '--protocol/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const run = await cli([...base, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
