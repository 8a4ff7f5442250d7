import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { ensure, messageOf, UserInputError } from '../../errors.js';
import { writeFileAtomic } from '../files.js';
import type { Recipe } from './trainers/types.js';

const MAGIC = 'SSLRCKPT';
const FORMAT_VERSION = 1;

/** One finished epoch, as the log and the model card record it. */
export interface EpochRecord {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly seconds: number;
  readonly images: number;
}

/** What a checkpoint says about its run besides the tensors. */
export interface CheckpointMeta {
  readonly architecture: string;
  readonly recipe: Recipe;
  readonly seed: number;
  readonly numClasses: number;
  /** The training data, so a resume on other data is refused. */
  readonly data: { readonly name: string; readonly source: string; readonly size: number };
  /** Epochs completed: the next epoch to run. Every random draw is derived from (seed, epoch, batch), so this is the RNG position. */
  readonly epochsDone: number;
  readonly history: readonly EpochRecord[];
  readonly backend: string;
}

/** A checkpoint: metadata plus every model and optimiser tensor by name. */
export interface Checkpoint {
  readonly meta: CheckpointMeta;
  readonly tensors: tf.NamedTensorMap;
}

/**
 * Writes a checkpoint as one file (magic, JSON header length, JSON, weight bytes), atomically:
 * an interruption leaves the previous checkpoint whole.
 */
export async function writeCheckpoint(file: string, meta: CheckpointMeta, tensors: tf.NamedTensorMap): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const header = new TextEncoder().encode(JSON.stringify({ format: FORMAT_VERSION, meta, specs }));
  const weightBytes = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
  const out = new Uint8Array(MAGIC.length + 4 + header.length + weightBytes.length);
  out.set(new TextEncoder().encode(MAGIC));
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  out.set(weightBytes, MAGIC.length + 4 + header.length);
  await writeFileAtomic(file, out);
}

/** Reads a checkpoint written by writeCheckpoint; a damaged or foreign file is a user error. The caller disposes the tensors. */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  ensure(existsSync(file), `${file}: no such checkpoint`);
  const bytes = new Uint8Array(await readFile(file));
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  ensure(magic === MAGIC && bytes.length >= MAGIC.length + 4, `${file}: not an ssl-robust training checkpoint`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4;
  ensure(start + headerLength <= bytes.length, `${file}: checkpoint is truncated`);
  let header: { format: number; meta: CheckpointMeta; specs: tf.io.WeightsManifestEntry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(start, start + headerLength)));
  } catch (error) {
    throw new UserInputError(`${file}: checkpoint header is damaged: ${messageOf(error)}`);
  }
  ensure(header.format === FORMAT_VERSION, `${file}: checkpoint format ${header.format}, this version reads ${FORMAT_VERSION}`);
  const weights = bytes.slice(start + headerLength);
  const needed = header.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'float32' || s.dtype === 'int32' ? 4 : 1), 0);
  ensure(weights.length === needed, `${file}: checkpoint holds ${weights.length} weight bytes, its header needs ${needed} (truncated?)`);
  return { meta: header.meta, tensors: tf.io.decodeWeights(weights.buffer, header.specs) };
}
