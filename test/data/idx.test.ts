import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test as propTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { loadIdxFiles, loadIdxFolder } from '../../src/data/idx.js';
import { BUNDLED_SUBSET_FOLDER, FASHION_MNIST_CLASSES, openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import { idxBytes, tempFolder } from '../helpers/files.js';

const folder = tempFolder();

function writePair(name: string, pixels: number[], dims: number[], labels: number[], gzip: boolean) {
  const suffix = gzip ? '.gz' : '';
  const images = join(folder, `${name}-images-idx3-ubyte${suffix}`);
  const labelsFile = join(folder, `${name}-labels-idx1-ubyte${suffix}`);
  writeFileSync(images, idxBytes(pixels, dims, gzip));
  writeFileSync(labelsFile, idxBytes(labels, [labels.length], gzip));
  return { images, labels: labelsFile };
}

describe('IDX loader', () => {
  const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
  for (const gzip of [false, true]) {
    it(`reads ${gzip ? 'gzipped' : 'raw'} images as [0,1] floats with their labels`, async () => {
      const files = writePair(gzip ? 'gz' : 'raw', pixels, [3, 2, 2], [2, 0, 1], gzip);
      const dataset = await loadIdxFiles(files.images, files.labels, 'test');
      expect(dataset.size).toBe(3);
      expect(dataset.imageShape).toEqual([2, 2, 1]);
      expect([...dataset.labels]).toEqual([2, 0, 1]);
      const all = await dataset.read([0, 1, 2]);
      expect([...all]).toEqual(pixels.map((p) => Math.fround(p / 255)));
      expect([...(await dataset.read([2, 0]))]).toEqual([...all.slice(8, 12), ...all.slice(0, 4)]);
    });
  }

  it('refuses a truncated file', async () => {
    const files = writePair('short', pixels, [3, 2, 2], [0, 1, 2], false);
    writeFileSync(files.images, idxBytes(pixels, [3, 2, 2]).subarray(0, 20));
    await expect(loadIdxFiles(files.images, files.labels, 'test')).rejects.toThrow(/truncated/);
  });

  it('refuses a wrong magic number', async () => {
    const files = writePair('magic', pixels, [3, 2, 2], [0, 1, 2], false);
    const bytes = idxBytes(pixels, [3, 2, 2]);
    bytes[0] = 0x1f;
    writeFileSync(files.images, bytes);
    await expect(loadIdxFiles(files.images, files.labels, 'test')).rejects.toThrow(/not an IDX file \(magic number 0x1f/);
  });

  it('refuses a label count that does not match the image count', async () => {
    const files = writePair('count', pixels, [3, 2, 2], [0, 1], true);
    await expect(loadIdxFiles(files.images, files.labels, 'test')).rejects.toThrow(UserInputError);
    await expect(loadIdxFiles(files.images, files.labels, 'test')).rejects.toThrow(/2 labels but .* 3 images/);
  });

  it('names the expected files when a folder has none for the split', async () => {
    await expect(loadIdxFolder(folder, 'train')).rejects.toThrow(/no IDX files for the train split/);
  });

  propTest.prop([fc.integer({ min: 1, max: 200 })], { numRuns: 5 })('streams the same images in the same order at any batch size', async (batchSize) => {
    const dataset = (await loadIdxFolder(BUNDLED_SUBSET_FOLDER, 'test')).take(300);
    const expected = await dataset.read(Array.from({ length: 300 }, (_, i) => i));
    let offset = 0;
    for await (const batch of dataset.batches(batchSize)) {
      expect(batch.indices[0]).toBe(offset / 784);
      expect(sameBits(batch.images, expected.subarray(offset, offset + batch.images.length))).toBe(true);
      offset += batch.images.length;
    }
    expect(offset).toBe(expected.length);
  });
});

/** Bitwise equality of two float arrays, without element-by-element diffing. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('the bundled Fashion-MNIST subset', () => {
  it('holds 2,000 test images, 200 per class, with the Fashion-MNIST class names', async () => {
    const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
    expect(dataset.size).toBe(2000);
    expect(dataset.imageShape).toEqual([28, 28, 1]);
    expect(dataset.classNames).toEqual(FASHION_MNIST_CLASSES);
    const counts = new Array(10).fill(0);
    dataset.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual(new Array(10).fill(200));
  });

  it('is what fashion-mnist falls back to, saying so, when the full set is not installed', async () => {
    const opened = await openDataset({ spec: 'fashion-mnist', split: 'test', env: { SSL_ROBUST_FASHION_MNIST: join(folder, 'nowhere') } });
    expect(opened.dataset.info.name).toBe('fashion-mnist-subset');
    expect(opened.note).toMatch(/not found .* using the bundled 2000-image subset/);
    await expect(openDataset({ spec: 'fashion-mnist', split: 'train', env: { SSL_ROBUST_FASHION_MNIST: join(folder, 'nowhere') } }))
      .rejects.toThrow(/only test images/);
  });

  it('uses the full set from its folder when present', async () => {
    writePair('t10k', Array.from({ length: 5 * 28 * 28 }, (_, i) => i % 256), [5, 28, 28], [0, 1, 2, 3, 9], true);
    const opened = await openDataset({ spec: 'fashion-mnist', split: 'test', env: { SSL_ROBUST_FASHION_MNIST: folder } });
    expect(opened.dataset.info.name).toBe('fashion-mnist');
    expect(opened.dataset.size).toBe(5);
    expect(opened.note).toMatch(/full Fashion-MNIST test split/);
  });
});
