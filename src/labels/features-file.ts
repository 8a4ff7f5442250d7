import { readFile } from 'node:fs/promises';
import { parseNpyHeader } from '../data/npy.js';
import { ensure, messageOf, UserInputError } from '../errors.js';
import type { FeatureMatrix } from './types.js';

/** A features matrix [n × d] from a float32 or float64 .npy file (e.g. a backbone's saved embeddings). */
export async function readFeaturesNpy(file: string): Promise<FeatureMatrix> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw new UserInputError(`${file}: cannot read the features: ${messageOf(error)}`);
  }
  const header = parseNpyHeader(bytes, file);
  ensure(header.shape.length === 2, `${file}: features must be a 2-D array [examples × dimensions], got shape (${header.shape.join(', ')})`);
  ensure(header.dtype === 'f4' || header.dtype === 'f8', `${file}: features must be float32 or float64, got ${header.dtype}`);
  const [rows, dim] = header.shape as [number, number];
  const width = header.dtype === 'f4' ? 4 : 8;
  ensure(bytes.length >= header.dataOffset + rows * dim * width, `${file}: truncated: the header promises ${rows}×${dim} values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, rows * dim * width);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = width === 4 ? view.getFloat32(4 * i, true) : view.getFloat64(8 * i, true);
  for (let i = 0; i < data.length; i++) ensure(Number.isFinite(data[i]), () => `${file}: value ${i} is not finite (${data[i]})`);
  return { data, dim };
}
