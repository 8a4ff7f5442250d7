/** `ssl-robust split`, run in-process. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { idxBytes, npyBytes, tempFolder } from '../helpers/files.js';

const folder = tempFolder();
const data = ['--data', 'fashion-mnist-subset', '--split', 'test'];

/** A small second dataset as IDX files: 4 classes of 10 blank images. */
function otherDataset(): string {
  const dir = join(folder, 'other');
  const labels = Array.from({ length: 40 }, (_, i) => i % 4);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes(new Uint8Array(40 * 28 * 28), [40, 28, 28]));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes(labels, [40]));
  return dir;
}

describe('ssl-robust split', () => {
  it('writes a noise split, reports its realised rate, and checks it back', async () => {
    const out = join(folder, 'noise.json');
    const run = await cli(['--seed', '4', 'split', ...data, '--noise', 'symmetric:0.4', '--out', out, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ file: out, schemaVersion: 1, seed: 4, recipe: { noise: { model: 'symmetric', params: { rate: 0.4, sampling: 'per-example' } } } });
    expect(Math.abs(summary.stats.noise.rate - 0.4)).toBeLessThan(4.5 * Math.sqrt(0.24 / 2000));
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file.indices).toHaveLength(2000);

    const check = await cli(['split', ...data, '--split-file', out]);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/split\s+symmetric:0\.4, seed 4/);
    expect(check.stdout).toMatch(/noise\s+symmetric: realised rate \d+\.\d\d% \(expected 40\.00%\)/);
  });

  it('writes an imbalanced split with its class groups, and few-shot episodes', async () => {
    const imbalanced = await cli(['split', ...data, '--imbalance', 'longtail:100', '--class-order', 'natural', '--out', join(folder, 'lt.json')]);
    expect(imbalanced.code, imbalanced.stderr).toBe(0);
    expect(imbalanced.stdout).toMatch(/n_max 200, realised ρ 100; counts head→tail: T-shirt\/top 200, Trouser 119, Pullover 71/);
    expect(imbalanced.stdout).toMatch(/groups\s+\(terciles\) many: T-shirt\/top, Trouser, Pullover; medium: Dress, Coat, Sandal, Shirt; few: Sneaker, Bag, Ankle boot/);
    const episodes = await cli(['split', ...data, '--few-shot', '5way5shot', '--episodes', '20', '--out', join(folder, 'fs.json')]);
    expect(episodes.code, episodes.stderr).toBe(0);
    expect(episodes.stdout).toMatch(/20 episodes of 5-way 5-shot, 15 queries per class, from 10 classes/);
  });

  it('makes episodes on a second domain given as IDX files', async () => {
    const run = await cli(['split', '--data', otherDataset(), '--split', 'test', '--few-shot', '3way2shot5query', '--episodes', '4', '--out', join(folder, 'cross.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(folder, 'cross.json'), 'utf8')).episodes).toHaveLength(4);
  });

  it('reads a class map from JSON', async () => {
    const map = join(folder, 'map.json');
    writeFileSync(map, JSON.stringify({ 'Ankle boot': 'Sneaker', Shirt: 'T-shirt/top' }));
    const run = await cli(['split', ...data, '--noise', `asym:${map}:0.3`, '--out', join(folder, 'asym.json'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).recipe.noise.params.map.flips).toEqual([[9, 7], [6, 0]]);
  });

  it('takes instance-dependent noise features from a .npy file, and refuses a wrong row count', async () => {
    const features = join(folder, 'features.npy');
    const values = Float32Array.from({ length: 2000 * 8 }, (_, i) => Math.sin(i));
    writeFileSync(features, npyBytes(values, [2000, 8], '<f4'));
    const run = await cli(['split', ...data, '--noise', 'idn:0.3', '--features', features, '--out', join(folder, 'idn.json'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(Math.abs(JSON.parse(run.stdout).stats.noise.rate - 0.3)).toBeLessThan(0.05);
    const short = join(folder, 'short.npy');
    writeFileSync(short, npyBytes(values.subarray(0, 80), [10, 8], '<f4'));
    const bad = await cli(['split', ...data, '--noise', 'idn:0.3', '--features', short, '--out', join(folder, 'idn-bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/features: expected 2000 rows \(one per example\) of 8 values/);
  });

  it('takes instance-dependent noise features from a backbone\'s embedding', async () => {
    const env = { SSL_ROBUST_CACHE: join(folder, 'cache') };
    const run = await cli(['--backend', 'wasm', 'split', ...data, '--noise', 'idn:0.3', '--model', 'fmnist-cnn', '--out', join(folder, 'idn-model.json'), '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(Math.abs(JSON.parse(run.stdout).stats.noise.rate - 0.3)).toBeLessThan(0.05);
    const both = await cli(['split', ...data, '--noise', 'idn:0.3', '--model', 'fmnist-cnn', '--features', 'x.npy', '--out', join(folder, 'x.json')], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either as --features or from --model, not both/);
  });

  const badMap = join(folder, 'bad-map.json');
  writeFileSync(badMap, JSON.stringify({ Boots: 'Sneaker' }));

  it.each([
    [['--noise', 'symmetric:1'], /--noise symmetric:1: noise rate must be in \[0, 1\), got 1/],
    [['--noise', 'symmetric:-0.2'], /noise rate must be in \[0, 1\), got -0.2/],
    [['--noise', 'pair-flip:abc'], /noise rate 'abc' is not a number \(expected pair-flip:<rate>\)/],
    [['--noise', 'gaussian:0.2'], /unknown noise model 'gaussian' \(known: symmetric, uniform-mix, pair-flip, asym, idn\)/],
    [['--noise', `asym:${badMap}:0.2`], /bad-map\.json: unknown class 'Boots' \(known: T-shirt\/top/],
    [['--noise', 'asym:imagenet:0.2'], /unknown class map 'imagenet' \(built in: fashion-mnist, mnist, cifar10/],
    [['--noise', 'idn:0.2', '--noise-sampling', 'exact'], /idn noise supports per-example sampling, not exact/],
    [['--imbalance', 'longtail:0.5'], /--imbalance longtail:0.5: imbalance ratio ρ = n_max \/ n_min must be a finite number ≥ 1, got 0.5/],
    [['--imbalance', 'longtail:1000'], /leaves class \d+ \(rank \d\) with no examples; lower ρ or raise n_max/],
    [['--imbalance', 'zipf:10'], /unknown imbalance profile 'zipf' \(known: longtail, step\)/],
    [['--imbalance', 'step:10', '--class-order', 'Coat,Bag'], /a class order lists all 10 classes once, got 2/],
    [['--imbalance', 'step:10', '--class-order', 'Coat,Boots'], /--class-order: unknown class 'Boots'/],
    [['--few-shot', '5way200shot'], /5-way 200-shot with 15 queries needs 215 examples in each of 5 classes; 0 of 10 classes have that many \(the largest has 200\)/],
    [['--few-shot', 'five-way'], /expected <N>way<K>shot/],
    [['--noise', 'symmetric:0.2', '--class-order', 'natural'], /--class-order is for class imbalance; give --imbalance too/],
    [['--noise', 'symmetric:0.2', '--episodes', '5'], /--episodes is for few-shot episodes; give --few-shot too/],
    [['--few-shot', '5way1shot', '--noise', 'symmetric:0.2'], /few-shot episodes are a split of their own/],
    [[], /nothing to split: give --noise, --imbalance or --few-shot/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const out = join(folder, 'never.json');
    const run = await cli(['split', ...data, ...args, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a split file from another dataset with one line', async () => {
    const out = join(folder, 'for-subset.json');
    expect((await cli(['split', ...data, '--noise', 'uniform-mix:0.1', '--out', out])).code).toBe(0);
    const run = await cli(['split', '--data', otherDataset(), '--split', 'test', '--split-file', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^ssl-robust: error: .*for-subset\.json was made for dataset 'fashion-mnist-subset' \(test, 2000 examples, 10 classes, .*\), not this one 'other' \(test, 40 examples, 4 classes, .*refusing to use it\n$/);
  });

  it('keeps an existing file unless --force', async () => {
    const out = join(folder, 'keep.json');
    writeFileSync(out, 'precious');
    const run = await cli(['split', ...data, '--noise', 'symmetric:0.1', '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/keep\.json exists; pass --force to replace it/);
    expect(readFileSync(out, 'utf8')).toBe('precious');
    expect((await cli(['split', ...data, '--noise', 'symmetric:0.1', '--out', out, '--force'])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).schemaVersion).toBe(1);
  });
});
