import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../../data/dataset.js';
import { ensure, messageOf } from '../../errors.js';
import type { Backbone } from '../contract.js';
import { embeddingCacheFile, embeddingCacheKey, readEmbeddingCache, writeEmbeddingCache } from './cache.js';

export interface ExtractOptions {
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

function checkShapes(backbone: Backbone, dataset: Dataset): void {
  const [h, w, c] = backbone.inputShape;
  const [dh, dw, dc] = dataset.imageShape;
  ensure(h === dh && w === dw && c === dc, `the backbone expects ${h}×${w}×${c} images but ${dataset.info.name} has ${dh}×${dw}×${dc}`);
}

/** The backbone's embedding of every image, row-major count × embeddingSize, streamed batch by batch. */
export async function extractEmbeddings(backbone: Backbone, dataset: Dataset, options: ExtractOptions = {}): Promise<Float32Array> {
  checkShapes(backbone, dataset);
  const dim = backbone.embeddingSize;
  const out = new Float32Array(dataset.size * dim);
  let done = 0;
  for await (const batch of dataset.batches(options.batchSize ?? 256)) {
    const embedded = tf.tidy(() => backbone.embed(tf.tensor4d(batch.images, [...batch.shape])));
    const values = await embedded.data();
    embedded.dispose();
    ensure(values.length === batch.labels.length * dim, `the backbone gave ${values.length / batch.labels.length} values per image, expected ${dim}`);
    out.set(values, done * dim);
    done += batch.labels.length;
    options.onProgress?.(done, dataset.size);
  }
  return out;
}

/** sha256 over the images' shape and float32 pixels in dataset order: what the embeddings depend on. */
export async function imagesFingerprint(dataset: Dataset, batchSize = 1024): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ count: dataset.size, shape: dataset.imageShape }));
  for await (const batch of dataset.batches(batchSize)) {
    hash.update(new Uint8Array(batch.images.buffer, batch.images.byteOffset, batch.images.byteLength));
  }
  return hash.digest('hex');
}

export interface EmbeddingRequest extends ExtractOptions {
  readonly backbone: Backbone;
  readonly dataset: Dataset;
  /** sha256 of the model's files (ModelInfo.sha256). */
  readonly modelSha256: string;
  /** Which layer or node gives the embedding, for the cache key. */
  readonly embeddingName: string;
  /** Cache folder; null turns the cache off. */
  readonly cacheFolder: string | null;
  /** Problems that do not stop the run (a corrupt or unwritable cache file). */
  readonly warn?: (message: string) => void;
}

export interface DatasetEmbeddings {
  readonly features: Float32Array;
  readonly count: number;
  readonly dim: number;
  /** The cache file and whether it was read (hit) or written; null without a cache. */
  readonly cache: { readonly file: string; readonly hit: boolean } | null;
}

/**
 * A dataset's embeddings, extracted once per dataset and backbone: read from the cache when a
 * valid file exists for (model, embedding layer, image content, split, image shape), else
 * computed and written atomically. A corrupt file is recomputed with a warning.
 */
export async function datasetEmbeddings(request: EmbeddingRequest): Promise<DatasetEmbeddings> {
  const { backbone, dataset, cacheFolder } = request;
  checkShapes(backbone, dataset);
  const dim = backbone.embeddingSize;
  const count = dataset.size;
  if (cacheFolder === null) return { features: await extractEmbeddings(backbone, dataset, request), count, dim, cache: null };

  const key = embeddingCacheKey({
    modelSha256: request.modelSha256,
    embedding: request.embeddingName,
    imagesSha256: await imagesFingerprint(dataset),
    split: dataset.info.split,
    imageShape: dataset.imageShape,
  });
  const file = embeddingCacheFile(cacheFolder, key);
  const cached = await readEmbeddingCache(file, key);
  if (cached.status === 'hit' && cached.embeddings.count === count && cached.embeddings.dim === dim) {
    return { ...cached.embeddings, cache: { file, hit: true } };
  }
  if (cached.status !== 'missing') {
    const problem = cached.status === 'corrupt' ? cached.problem : `shape ${cached.embeddings.count}×${cached.embeddings.dim}, expected ${count}×${dim}`;
    request.warn?.(`embedding cache file ${file} is unusable (${problem}); recomputing`);
  }
  const features = await extractEmbeddings(backbone, dataset, request);
  try {
    await writeEmbeddingCache(file, key, { features, count, dim }, {
      model: request.modelSha256,
      embedding: request.embeddingName,
      dataset: dataset.info,
    });
  } catch (error) {
    request.warn?.(`could not write the embedding cache ${file}: ${messageOf(error)}`);
  }
  return { features, count, dim, cache: { file, hit: false } };
}
