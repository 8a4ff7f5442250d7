import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImageFolder } from '../../src/data/image-folder.js';
import { FASHION_MNIST_CLASSES, openDataset } from '../../src/data/open.js';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';

const out = tempFolder();

describe('ssl-robust corrupt', () => {
  it('writes corrupted images in image-folder layout with a manifest, readable back as a dataset', async () => {
    const folder = join(out, 'noise');
    const run = await cli(['--seed', '3', 'corrupt', '--data', 'fashion-mnist-subset', '--limit', '5', '--corruption', 'gaussian_noise,contrast', '--severity', '2,4', '--out', folder]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/wrote 20 images/);
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest.seed).toBe(3);
    expect(manifest.cells.map((c: { corruption: string; severity: number }) => `${c.corruption}@${c.severity}`)).toEqual(['gaussian_noise@2', 'gaussian_noise@4', 'contrast@2', 'contrast@4']);
    expect(manifest.cells[0].profile).toBe('mnist28');
    expect(manifest.cells[0].parameters).toBe(0.12);
    const dataset = loadImageFolder(join(folder, 'gaussian_noise', '4'), { size: 28, channels: 1 });
    expect(dataset.size).toBe(5);
    // Class folders carry the class names (made folder-safe), so each image keeps its label.
    const { dataset: source } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
    const expected = Array.from(source.labels.slice(0, 5), (l) => FASHION_MNIST_CLASSES[l]!.replace('/', '-')).sort();
    expect(Array.from(dataset.labels, (l) => dataset.classNames[l]).sort()).toEqual(expected);
    const meta = await sharp(join(folder, 'gaussian_noise', '4', dataset.classNames[0]!, readdirSync(join(folder, 'gaussian_noise', '4', dataset.classNames[0]!))[0]!)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([28, 28, 1]);
  });

  it('gives the same files for the same seed', async () => {
    const args = (dir: string) => ['--seed', '9', 'corrupt', '--data', 'fashion-mnist-subset', '--limit', '2', '--corruption', 'shot_noise', '--severity', '3', '--out', join(out, dir)];
    expect((await cli(args('a'))).code).toBe(0);
    expect((await cli(args('b'))).code).toBe(0);
    const file = (dir: string) => {
      const classDir = join(out, dir, 'shot_noise', '3', readdirSync(join(out, dir, 'shot_noise', '3'))[0]!);
      return readFileSync(join(classDir, readdirSync(classDir)[0]!));
    };
    expect(file('a').equals(file('b'))).toBe(true);
  });

  it('draws a preview grid of one image', async () => {
    const file = join(out, 'grid.png');
    const run = await cli(['corrupt', '--preview', 'fashion-mnist:7', '--corruption', 'noise', '--out', file]);
    expect(run.code, run.stderr).toBe(0);
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(6 * 84);
    expect(meta.height).toBeGreaterThan(3 * 84);
  });

  it.each([
    [['corrupt', '--data', 'fashion-mnist-subset', '--corruption', 'blurry', '--out', 'x'], /unknown corruption 'blurry' \(known: /],
    [['corrupt', '--data', 'fashion-mnist-subset', '--severity', '0', '--out', 'x'], /severity must be 1–5 or all/],
    [['corrupt', '--data', 'fashion-mnist-subset'], /--out is required/],
    [['corrupt', '--data', 'fashion-mnist-subset', '--profile', 'imagenet', '--out', 'x'], /unknown profile 'imagenet' \(known: imagenet224, cifar32, mnist28\)/],
    [['corrupt', '--preview', '/nonexistent.png', '--out', 'x.png'], /cannot read image/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync('x')).toBe(false);
  });
});

describe('ssl-robust list corruptions', () => {
  it('prints every corruption with its group and the three profiles\' parameters', async () => {
    const run = await cli(['list', 'corruptions', '--json']);
    expect(run.code).toBe(0);
    const entries = JSON.parse(run.stdout);
    expect(entries.find((e: { id: string }) => e.id === 'gaussian_noise')).toMatchObject({ group: 'noise', table: { imagenet224: [0.08, 0.12, 0.18, 0.26, 0.38] } });
    const text = await cli(['list', 'corruptions']);
    expect(text.stdout).toMatch(/gaussian_noise\s+\[noise\]/);
    expect(text.stdout).toMatch(/cifar32\s+0\.04\s+0\.06/);
  });
});
