import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensure, messageOf, UserInputError } from '../errors.js';

/** Bytes per element of each stored weight dtype (quantised dtypes included). */
const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** model.json as written by tfjs (LayersModel or GraphModel). */
export interface ModelJson {
  readonly format?: string;
  readonly modelTopology: unknown;
  readonly weightsManifest: tf.io.WeightsManifestConfig;
  readonly [key: string]: unknown;
}

/** A model read from disk: its artifacts plus a content hash of model.json and every weight file. */
export interface LoadedArtifacts {
  readonly artifacts: tf.io.ModelArtifacts;
  readonly json: ModelJson;
  readonly file: string;
  /** sha256 over model.json and the weight shards, in manifest order. */
  readonly sha256: string;
}

/** A model.json path from a file or a folder holding one. */
export function modelJsonPath(path: string): string {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
  ensure(existsSync(file), `${path}: no such model (expected a model.json or a folder holding one)`);
  return file;
}

/**
 * Refuses weight paths that could read outside the model's folder: a manifest is data from
 * wherever the user got the model, and must not make us read arbitrary files.
 */
function weightFilePath(folder: string, path: string, modelFile: string): string {
  const escapes = isAbsolute(path) || /^[a-z][a-z0-9+.-]*:/i.test(path) || path.split(/[\\/]/).includes('..');
  ensure(!escapes, `${modelFile}: weight file path '${path}' points outside the model folder; refusing to load`);
  return join(folder, path);
}

function expectedBytes(entry: tf.io.WeightsManifestEntry, modelFile: string): number {
  const dtype = entry.quantization?.dtype ?? entry.dtype;
  const perElement = BYTES_PER_ELEMENT[dtype];
  ensure(perElement !== undefined, `${modelFile}: weight '${entry.name}' has unsupported dtype ${dtype}`);
  return entry.shape.reduce((a, b) => a * b, 1) * perElement;
}

/** Reads model.json and its weight shards, checking every path and size against the manifest. */
export async function readModelFiles(path: string): Promise<LoadedArtifacts> {
  const file = modelJsonPath(path);
  const folder = dirname(file);
  const text = await readFile(file, 'utf8');
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch (error) {
    throw new UserInputError(`${file}: not valid JSON: ${messageOf(error)}`);
  }
  ensure(json && typeof json === 'object' && json.modelTopology, `${file}: no modelTopology: not a TF.js model.json`);
  ensure(Array.isArray(json.weightsManifest), `${file}: no weightsManifest: not a TF.js model.json`);
  const hash = createHash('sha256').update(text);
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    const want = group.weights.reduce((sum, entry) => sum + expectedBytes(entry, file), 0);
    let have = 0;
    for (const shardPath of group.paths) {
      const shard = weightFilePath(folder, shardPath, file);
      ensure(existsSync(shard), `${file}: weight file ${shardPath} is missing`);
      const bytes = new Uint8Array(await readFile(shard));
      hash.update(bytes);
      buffers.push(bytes);
      have += bytes.length;
    }
    ensure(
      have >= want,
      `${file}: weight files ${group.paths.join(', ')} hold ${have} bytes but the manifest needs ${want} (truncated download?)`,
    );
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(json as unknown as tf.io.ModelJSON, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    concatBuffers(buffers),
  ]);
  return { artifacts, json, file, sha256: hash.digest('hex') };
}

function concatBuffers(parts: readonly Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out.buffer;
}

/** Writes a file so that readers never see it half written: temp file, then rename. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, data);
  await rename(temp, file);
}

/** A tfjs save handler writing model.json plus one weights.bin into a folder. */
export function folderSaveHandler(folder: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData;
    const bytes = weightData === undefined
      ? new Uint8Array(0)
      : new Uint8Array(Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData);
    const json: Record<string, unknown> = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    };
    // Weights first: a model.json only ever points at complete weights.
    await writeFileAtomic(join(folder, 'weights.bin'), bytes);
    await writeFileAtomic(join(folder, 'model.json'), JSON.stringify(json));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        weightDataBytes: bytes.length,
      },
    };
  });
}
