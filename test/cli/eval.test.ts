import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/paths.js';
import { cli } from '../helpers/cli.js';
import { npyBytes, tempFolder } from '../helpers/files.js';

/** What PyTorch reported for the bundled CNN it trained (scripts/train_reference_cnn.py). */
const reference = JSON.parse(readFileSync(assetPath('models', 'fmnist-cnn', 'reference.json'), 'utf8'));

describe('ssl-robust eval', () => {
  it('scores a LayersModel trained in PyTorch to exactly the accuracy PyTorch reports on the same images', async () => {
    const run = await cli(['--backend', 'wasm', 'eval', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.total).toBe(2000);
    expect(result.accuracy).toBe(reference.subsetAccuracy);
    expect(result.correct).toBe(reference.subsetCorrect);
    expect(result.backend.name).toBe('wasm');
    expect(result.perClass).toHaveLength(10);
    expect(result.perClass.reduce((sum: number, c: { correct: number }) => sum + c.correct, 0)).toBe(result.correct);
  });

  it('takes the first N images with --limit and prints a readable summary', async () => {
    const run = await cli(['--backend', 'cpu', 'eval', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset', '--limit', '100']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/accuracy\s+\d+\.\d\d% \(\d+\/100\)/);
    expect(run.stdout).toMatch(/Ankle boot/);
  });

  it('says which Fashion-MNIST it used', async () => {
    const run = await cli(['--backend', 'cpu', 'eval', '--model', 'fmnist-cnn', '--limit', '10', '--json'], { SSL_ROBUST_FASHION_MNIST: '/nonexistent' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/using the bundled 2000-image subset/);
    expect(JSON.parse(run.stdout).dataset.name).toBe('fashion-mnist-subset');
  });

  it.each([
    [['eval', '--model', 'no-such-model'], /--model no-such-model: no such file or folder \(bundled models: .*fmnist-cnn/],
    [['eval', '--model', 'fmnist-cnn', '--data', '/nonexistent'], /--data \/nonexistent: no such file or folder/],
    [['eval', '--model', 'fmnist-cnn', '--limit', '0'], /--limit <n>' argument '0' is invalid/],
    [['--backend', 'tpu', 'eval', '--model', 'fmnist-cnn'], /unknown backend 'tpu' \(known: auto, wasm, webgpu, tensorflow, cpu\)/],
    [['eval', '--model', 'fmnist-cnn', '--split', 'validation'], /argument 'validation' is invalid/],
    [['eval'], /required option '--model/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const run = await cli(['--backend', 'cpu', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses the train split of the bundled subset, which has none', async () => {
    const run = await cli(['--backend', 'cpu', 'eval', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset', '--split', 'train']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/only test images/);
  });

  it('refuses data whose images do not fit the model, naming both shapes', async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, 'test_images.npy'), npyBytes(new Uint8Array(2 * 32 * 32 * 3), [2, 32, 32, 3], '|u1'));
    writeFileSync(join(folder, 'test_labels.npy'), npyBytes(Int32Array.from([0, 9]), [2], '<i4'));
    const run = await cli(['--backend', 'cpu', 'eval', '--model', 'fmnist-cnn', '--data', folder]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/the model expects 28×28×1 images but test_images has 32×32×3/);
  });

  it('prints its version and help', async () => {
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    const help = await cli(['eval', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--batch-size <n>/);
  });
});

describe('ssl-robust backends', () => {
  it('lists every backend with what auto would pick', async () => {
    const run = await cli(['backends', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { backends, auto } = JSON.parse(run.stdout);
    expect(backends.map((b: { name: string }) => b.name)).toEqual(['wasm', 'webgpu', 'tensorflow', 'cpu']);
    expect(['wasm', 'webgpu', 'tensorflow']).toContain(auto);
  });
});
