import { existsSync, readFileSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { Dataset, type ImageShape, type ImageSource } from './dataset.js';

/** IDX element types (the third magic byte), with their size and how to read one. */
const IDX_TYPES: Record<number, { name: string; bytes: number; read: (view: DataView, offset: number) => number }> = {
  0x08: { name: 'uint8', bytes: 1, read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, read: (v, o) => v.getInt16(o) },
  0x0c: { name: 'int32', bytes: 4, read: (v, o) => v.getInt32(o) },
  0x0d: { name: 'float32', bytes: 4, read: (v, o) => v.getFloat32(o) },
  0x0e: { name: 'float64', bytes: 8, read: (v, o) => v.getFloat64(o) },
};

export interface IdxHeader {
  readonly typeCode: number;
  readonly dims: readonly number[];
  /** Byte offset of the first element. */
  readonly dataOffset: number;
}

/** Parses an IDX header: magic 0x00 0x00 <type> <ndims>, then ndims big-endian uint32 sizes. */
export function parseIdxHeader(bytes: Uint8Array, file: string): IdxHeader {
  ensure(bytes.length >= 4, `${file}: too short to be an IDX file (${bytes.length} bytes)`);
  const [zero0, zero1, typeCode, ndims] = bytes as unknown as [number, number, number, number];
  ensure(
    zero0 === 0 && zero1 === 0 && IDX_TYPES[typeCode] !== undefined && ndims >= 1,
    () => `${file}: not an IDX file (magic number 0x${hex(bytes.subarray(0, 4))})`,
  );
  const dataOffset = 4 + 4 * ndims;
  ensure(bytes.length >= dataOffset, `${file}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  return { typeCode, dims, dataOffset };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Where an IDX file's bytes live: decompressed in memory (gzip cannot seek) or on disk, read by offset. */
interface IdxBytes {
  readonly header: IdxHeader;
  read(elementOffset: number, elementCount: number): Promise<Uint8Array>;
}

async function openIdx(file: string): Promise<IdxBytes> {
  let head: Uint8Array;
  try {
    head = file.endsWith('.gz') ? gunzipSync(await readFile(file)) : await readHead(file, 4 + 4 * 255);
  } catch (error) {
    throw new UserInputError(`${file}: cannot read: ${messageOf(error)}`);
  }
  const header = parseIdxHeader(head, file);
  const type = IDX_TYPES[header.typeCode]!;
  const expected = header.dataOffset + elementCount(header.dims) * type.bytes;
  const actual = file.endsWith('.gz') ? head.length : (await stat(file)).size;
  ensure(
    actual >= expected,
    `${file}: truncated: header promises ${header.dims.join('×')} ${type.name} values (${expected} bytes), file has ${actual}`,
  );
  if (file.endsWith('.gz')) {
    const data = head;
    return {
      header,
      read: async (offset, count) =>
        data.subarray(header.dataOffset + offset * type.bytes, header.dataOffset + (offset + count) * type.bytes),
    };
  }
  return {
    header,
    read: async (offset, count) => {
      const handle = await open(file, 'r');
      try {
        const buffer = new Uint8Array(count * type.bytes);
        await handle.read(buffer, 0, buffer.length, header.dataOffset + offset * type.bytes);
        return buffer;
      } finally {
        await handle.close();
      }
    },
  };
}

async function readHead(file: string, length: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Converts raw IDX elements to floats in [0, 1]: integers are pixel values over 255, floats are taken as they are. */
function toUnitFloats(bytes: Uint8Array, typeCode: number, file: string): Float32Array {
  const type = IDX_TYPES[typeCode]!;
  const count = bytes.length / type.bytes;
  if (typeCode === 0x08) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (bytes[i] as number) / 255;
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isFloat = typeCode === 0x0d || typeCode === 0x0e;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = type.read(view, i * type.bytes);
    out[i] = isFloat ? value : value / 255;
    ensure(out[i]! >= 0 && out[i]! <= 1, `${file}: pixel value ${value} is outside the expected range`);
  }
  return out;
}

class IdxImageSource implements ImageSource {
  readonly count: number;
  readonly shape: ImageShape;
  private readonly imageSize: number;

  constructor(
    private readonly bytes: IdxBytes,
    private readonly file: string,
  ) {
    const dims = bytes.header.dims;
    ensure(dims.length === 3 || dims.length === 4, `${file}: images must have 3 or 4 dimensions, got ${dims.length}`);
    this.count = dims[0]!;
    this.shape = [dims[1]!, dims[2]!, dims[3] ?? 1];
    this.imageSize = this.shape[0] * this.shape[1] * this.shape[2];
  }

  async read(indices: readonly number[]): Promise<Float32Array> {
    const out = new Float32Array(indices.length * this.imageSize);
    // Runs of consecutive indices (the usual case) are read in one go.
    for (let i = 0; i < indices.length; ) {
      let run = 1;
      while (i + run < indices.length && indices[i + run] === indices[i]! + run) run++;
      const raw = await this.bytes.read(indices[i]! * this.imageSize, run * this.imageSize);
      out.set(toUnitFloats(raw, this.bytes.header.typeCode, this.file), i * this.imageSize);
      i += run;
    }
    return out;
  }
}

async function readIdxLabels(file: string): Promise<Int32Array> {
  const bytes = await openIdx(file);
  const { dims, typeCode } = bytes.header;
  ensure(dims.length === 1, `${file}: labels must have 1 dimension, got ${dims.length}`);
  ensure(typeCode !== 0x0d && typeCode !== 0x0e, `${file}: labels must be integers`);
  const type = IDX_TYPES[typeCode]!;
  const raw = await bytes.read(0, dims[0]!);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Int32Array.from({ length: dims[0]! }, (_, i) => type.read(view, i * type.bytes));
}

/** The prefix of each split's files in the MNIST layout. */
const SPLIT_PREFIX: Record<string, string> = { train: 'train', test: 't10k' };

/** Finds `<prefix>-images-idx3-ubyte[.gz]` and its labels in a folder, for the given split. */
export function findIdxPair(folder: string, split: string): { images: string; labels: string } | undefined {
  const prefix = SPLIT_PREFIX[split] ?? split;
  const find = (stem: string) =>
    [`${stem}`, `${stem}.gz`].map((name) => join(folder, name)).find((path) => existsSync(path));
  const images = find(`${prefix}-images-idx3-ubyte`) ?? find(`${prefix}-images.idx3-ubyte`);
  const labels = find(`${prefix}-labels-idx1-ubyte`) ?? find(`${prefix}-labels.idx1-ubyte`);
  return images && labels ? { images, labels } : undefined;
}

/** Class names for an IDX folder: a classes.txt beside the files (one per line), else the label numbers. */
function classNamesFor(folder: string, labels: Int32Array, given?: readonly string[]): string[] {
  if (given) return [...given];
  const listFile = join(folder, 'classes.txt');
  if (existsSync(listFile)) {
    return readFileSync(listFile, 'utf8').split('\n').map((line) => line.trim()).filter(Boolean);
  }
  const maxLabel = labels.reduce((a, b) => Math.max(a, b), 0);
  return Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
}

export interface IdxOptions {
  readonly name?: string;
  readonly classNames?: readonly string[];
}

/** Loads an IDX image/label pair (MNIST / Fashion-MNIST layout), gzipped or not. */
export async function loadIdxFiles(imagesFile: string, labelsFile: string, split: string, options: IdxOptions = {}): Promise<Dataset> {
  const source = new IdxImageSource(await openIdx(imagesFile), imagesFile);
  const labels = await readIdxLabels(labelsFile);
  ensure(
    labels.length === source.count,
    `${basename(labelsFile)} has ${labels.length} labels but ${basename(imagesFile)} has ${source.count} images`,
  );
  const folder = join(imagesFile, '..');
  return new Dataset(
    { name: options.name ?? basename(folder), source: folder, split },
    source,
    labels,
    classNamesFor(folder, labels, options.classNames),
  );
}

/** Loads one split of an IDX folder. */
export async function loadIdxFolder(folder: string, split: string, options: IdxOptions = {}): Promise<Dataset> {
  const pair = findIdxPair(folder, split);
  ensure(pair, `${folder}: no IDX files for the ${split} split (expected ${SPLIT_PREFIX[split] ?? split}-images-idx3-ubyte[.gz] and ${SPLIT_PREFIX[split] ?? split}-labels-idx1-ubyte[.gz])`);
  return loadIdxFiles(pair.images, pair.labels, split, options);
}
