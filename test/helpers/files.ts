import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';

/** A fresh temp folder, removed when the test file ends. */
export function tempFolder(prefix = 'ssl-robust-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

/** IDX bytes for a uint8 array of the given dims, optionally gzipped. */
export function idxBytes(values: ArrayLike<number>, dims: readonly number[], gzip = false): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const bytes = new Uint8Array(header.length + values.length);
  bytes.set(header);
  bytes.set(Uint8Array.from(values), header.length);
  return gzip ? new Uint8Array(gzipSync(bytes)) : bytes;
}

/** .npy bytes (format 1.0, C order) for a typed array. */
export function npyBytes(values: Uint8Array | Float32Array | Int32Array | BigInt64Array, shape: readonly number[], descr: string): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Array.from(header, (c) => c.charCodeAt(0)), 10);
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}
