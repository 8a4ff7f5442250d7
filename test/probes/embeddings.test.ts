/** Embedding extraction and its disk cache, on the bundled CNN and Fashion-MNIST images. */
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { Backbone, LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { defaultEmbeddingCacheFolder, embeddingCacheKey } from '../../src/models/probes/cache.js';
import { datasetEmbeddings, extractEmbeddings, imagesFingerprint } from '../../src/models/probes/embeddings.js';
import { tempFolder } from '../helpers/files.js';

let model: LoadedClassifier;
let backbone: Backbone;
let data: Dataset;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  backbone = model.backbone!;
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(40);
});
afterAll(() => model.dispose());

function request(cacheFolder: string | null, warnings: string[] = [], dataset = data) {
  return { backbone, dataset, modelSha256: model.info.sha256, embeddingName: 'layers:embedding', cacheFolder, batchSize: 16, warn: (m: string) => void warnings.push(m) };
}

describe('embedding extraction', () => {
  it('gives the backbone\'s 64-value embedding of each image, whatever the batch size, with no tensors left behind', async () => {
    expect(backbone.embeddingSize).toBe(64);
    const before = tf.memory().numTensors;
    const byBatchesOf7 = await extractEmbeddings(backbone, data, { batchSize: 7 });
    const whole = await extractEmbeddings(backbone, data, { batchSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect(byBatchesOf7.length).toBe(40 * 64);
    byBatchesOf7.forEach((v, i) => expect(v).toBeCloseTo(whole[i]!, 4));
    // Image 3 alone through the backbone gives row 3.
    const direct = tf.tidy(() => backbone.embed(tf.tensor4d(readFirst(3), [1, 28, 28, 1])));
    const row = await direct.data();
    direct.dispose();
    row.forEach((v, d) => expect(v).toBeCloseTo(whole[3 * 64 + d]!, 4));
    // A global average pool after a ReLU: non-negative and not all zero.
    expect(Math.min(...whole)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...whole)).toBeGreaterThan(0);
  });
});

let firstImages: Float32Array;
function readFirst(index: number): Float32Array {
  return firstImages.subarray(index * 784, (index + 1) * 784);
}
beforeAll(async () => {
  firstImages = await data.read([0, 1, 2, 3]);
});

describe('embedding cache', () => {
  it('writes once, then reads back the same embeddings without running the model', async () => {
    const folder = tempFolder();
    const first = await datasetEmbeddings(request(folder));
    expect(first.cache?.hit).toBe(false);
    expect(existsSync(first.cache!.file)).toBe(true);
    const failing: Backbone = { ...backbone, embed: () => { throw new Error('the model ran on a cache hit'); } };
    const second = await datasetEmbeddings({ ...request(folder), backbone: failing });
    expect(second.cache).toEqual({ file: first.cache!.file, hit: true });
    expect(Array.from(second.features)).toEqual(Array.from(first.features));
    expect(readdirSync(folder).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('keys on the model, the embedding layer, the image content, the split and the image shape', async () => {
    const base = { modelSha256: 'a'.repeat(64), embedding: 'layers:embedding', imagesSha256: await imagesFingerprint(data), split: 'test', imageShape: [28, 28, 1] };
    const key = embeddingCacheKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(embeddingCacheKey({ ...base })).toBe(key);
    for (const change of [{ modelSha256: 'b'.repeat(64) }, { embedding: 'node:other' }, { imagesSha256: await imagesFingerprint(data.take(39)) }, { split: 'train' }, { imageShape: [32, 32, 1] }]) {
      expect(embeddingCacheKey({ ...base, ...change })).not.toBe(key);
    }
    // The same images read again hash the same; different images do not.
    expect(await imagesFingerprint(data, 7)).toBe(base.imagesSha256);
    expect(await imagesFingerprint(data.select([1, 0, ...Array.from({ length: 38 }, (_, i) => i + 2)]))).not.toBe(base.imagesSha256);
  });

  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, bytes.length - 10), /payload holds/],
    ['a flipped payload byte', (bytes: Buffer) => { const copy = Buffer.from(bytes); copy[copy.length - 5]! ^= 0xff; return copy; }, /checksum mismatch/],
    ['not a cache file', () => Buffer.from('hello'), /not an embeddings cache file/],
    ['a broken header', (bytes: Buffer) => { const copy = Buffer.from(bytes); copy.write('}}}}', 12, 'latin1'); return copy; }, /unreadable header/],
  ])('recomputes a cache file that is %s, with a warning, and rewrites it', async (_name, damage, problem) => {
    const folder = tempFolder();
    const first = await datasetEmbeddings(request(folder));
    const file = first.cache!.file;
    writeFileSync(file, damage(readFileSync(file)));
    const warnings: string[] = [];
    const again = await datasetEmbeddings(request(folder, warnings));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(problem);
    expect(warnings[0]).toMatch(/recomputing/);
    expect(again.cache?.hit).toBe(false);
    Array.from(again.features).forEach((v, i) => expect(v).toBeCloseTo(first.features[i]!, 5));
    expect((await datasetEmbeddings(request(folder))).cache?.hit).toBe(true);
  });

  it('warns and carries on when the cache folder cannot be written', async () => {
    const folder = tempFolder();
    const blocker = join(folder, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const warnings: string[] = [];
    const result = await datasetEmbeddings(request(join(blocker, 'cache'), warnings));
    expect(result.features.length).toBe(40 * 64);
    expect(warnings[0]).toMatch(/could not write the embedding cache/);
  });

  it('turns off with a null folder', async () => {
    expect((await datasetEmbeddings(request(null))).cache).toBeNull();
  });

  it('lives under $SSL_ROBUST_CACHE, else the XDG cache, else ~/.cache', () => {
    expect(defaultEmbeddingCacheFolder({ SSL_ROBUST_CACHE: '/c' })).toBe('/c/embeddings');
    expect(defaultEmbeddingCacheFolder({ XDG_CACHE_HOME: '/x' })).toBe('/x/ssl-robust/embeddings');
    expect(defaultEmbeddingCacheFolder({})).toMatch(/\.cache\/ssl-robust\/embeddings$/);
  });
});
