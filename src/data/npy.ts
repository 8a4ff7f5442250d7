import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { Dataset, type ImageShape, type ImageSource } from './dataset.js';

/** Element types we read from .npy files (little-endian or byte-sized). */
const NPY_TYPES: Record<string, { bytes: number; integer: boolean; read: (v: DataView, o: number) => number }> = {
  u1: { bytes: 1, integer: true, read: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, integer: true, read: (v, o) => v.getInt8(o) },
  i2: { bytes: 2, integer: true, read: (v, o) => v.getInt16(o, true) },
  u2: { bytes: 2, integer: true, read: (v, o) => v.getUint16(o, true) },
  i4: { bytes: 4, integer: true, read: (v, o) => v.getInt32(o, true) },
  u4: { bytes: 4, integer: true, read: (v, o) => v.getUint32(o, true) },
  i8: { bytes: 8, integer: true, read: (v, o) => Number(v.getBigInt64(o, true)) },
  u8: { bytes: 8, integer: true, read: (v, o) => Number(v.getBigUint64(o, true)) },
  f4: { bytes: 4, integer: false, read: (v, o) => v.getFloat32(o, true) },
  f8: { bytes: 8, integer: false, read: (v, o) => v.getFloat64(o, true) },
};

export interface NpyHeader {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly dataOffset: number;
}

const MAGIC = '\x93NUMPY';

/** Parses a .npy header (format versions 1–3); refuses Fortran order and big-endian data. */
export function parseNpyHeader(bytes: Uint8Array, file: string): NpyHeader {
  ensure(
    bytes.length >= 10 && String.fromCharCode(...bytes.subarray(0, 6)) === MAGIC,
    `${file}: not a .npy file (bad magic string)`,
  );
  const major = bytes[6]!;
  ensure(major >= 1 && major <= 3, `${file}: unsupported .npy format version ${major}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lengthBytes + headerLength;
  ensure(bytes.length >= dataOffset, `${file}: truncated .npy header`);
  const text = new TextDecoder().decode(bytes.subarray(8 + lengthBytes, dataOffset));
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(text);
  const fortran = /'fortran_order':\s*(True|False)/.exec(text);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text);
  ensure(descr && fortran && shape, `${file}: malformed .npy header: ${text.trim()}`);
  ensure(descr[1] !== '>', `${file}: big-endian .npy data is not supported`);
  ensure(NPY_TYPES[descr[2]!], `${file}: unsupported .npy dtype ${descr[2]}`);
  ensure(fortran[1] === 'False', `${file}: Fortran-ordered arrays are not supported (save with np.ascontiguousarray)`);
  const dims = shape[1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { dtype: descr[2]!, shape: dims, dataOffset };
}

async function readNpyHeader(file: string): Promise<NpyHeader> {
  let head: Uint8Array;
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = new Uint8Array(65536 + 12);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UserInputError(`${file}: cannot read: ${messageOf(error)}`);
  }
  const header = parseNpyHeader(head, file);
  const expected = header.dataOffset + header.shape.reduce((a, b) => a * b, 1) * NPY_TYPES[header.dtype]!.bytes;
  const actual = (await stat(file)).size;
  ensure(actual >= expected, `${file}: truncated: shape (${header.shape.join(', ')}) needs ${expected} bytes, file has ${actual}`);
  return header;
}

async function readElements(file: string, header: NpyHeader, offset: number, count: number): Promise<number[] | Uint8Array> {
  const type = NPY_TYPES[header.dtype]!;
  const handle = await open(file, 'r');
  try {
    const buffer = new Uint8Array(count * type.bytes);
    await handle.read(buffer, 0, buffer.length, header.dataOffset + offset * type.bytes);
    if (header.dtype === 'u1') return buffer;
    const view = new DataView(buffer.buffer);
    return Array.from({ length: count }, (_, i) => type.read(view, i * type.bytes));
  } finally {
    await handle.close();
  }
}

/** Images stored N×H×W (gray) or N×H×W×C; uint8 pixels are divided by 255, floats must already be in [0, 1]. */
class NpyImageSource implements ImageSource {
  readonly count: number;
  readonly shape: ImageShape;

  constructor(
    private readonly file: string,
    private readonly header: NpyHeader,
  ) {
    const dims = header.shape;
    ensure(dims.length === 3 || dims.length === 4, `${file}: images must be N×H×W or N×H×W×C, got shape (${dims.join(', ')})`);
    ensure(dims.length === 3 || dims[3] === 1 || dims[3] === 3, `${file}: images must have 1 or 3 channels in the last axis (NHWC), got shape (${dims.join(', ')})`);
    this.count = dims[0]!;
    this.shape = [dims[1]!, dims[2]!, dims[3] ?? 1];
  }

  async read(indices: readonly number[]): Promise<Float32Array> {
    const imageSize = this.shape[0] * this.shape[1] * this.shape[2];
    const scale = NPY_TYPES[this.header.dtype]!.integer ? 1 / 255 : 1;
    const out = new Float32Array(indices.length * imageSize);
    for (let i = 0; i < indices.length; ) {
      let run = 1;
      while (i + run < indices.length && indices[i + run] === indices[i]! + run) run++;
      const raw = await readElements(this.file, this.header, indices[i]! * imageSize, run * imageSize);
      for (let p = 0; p < raw.length; p++) {
        const value = (raw[p] as number) * scale;
        ensure(value >= 0 && value <= 1, () => `${this.file}: pixel value ${raw[p]} of image ${indices[i]} is outside [0, 1] (or [0, 255] for integers)`);
        out[i * imageSize + p] = value;
      }
      i += run;
    }
    return out;
  }
}

/** Finds the labels file for an images .npy: X_images.npy → X_labels.npy, images.npy → labels.npy. */
export function labelsFileFor(imagesFile: string): string {
  const name = basename(imagesFile);
  const labelsName = name.includes('images') ? name.replace('images', 'labels') : name.replace(/\.npy$/, '_labels.npy');
  return join(dirname(imagesFile), labelsName);
}

export interface NpyOptions {
  readonly labelsFile?: string;
  readonly classNames?: readonly string[];
  readonly name?: string;
  readonly split?: string;
}

/** Loads an images .npy with its labels .npy (integers, one per image). */
export async function loadNpyPair(imagesFile: string, options: NpyOptions = {}): Promise<Dataset> {
  const labelsFile = options.labelsFile ?? labelsFileFor(imagesFile);
  ensure(existsSync(labelsFile), `${imagesFile}: no labels file ${labelsFile} (pass --labels <file.npy>)`);
  const imageHeader = await readNpyHeader(imagesFile);
  const labelHeader = await readNpyHeader(labelsFile);
  ensure(NPY_TYPES[labelHeader.dtype]!.integer, `${labelsFile}: labels must be integers, got dtype ${labelHeader.dtype}`);
  ensure(labelHeader.shape.length === 1, `${labelsFile}: labels must be one-dimensional, got shape (${labelHeader.shape.join(', ')})`);
  const source = new NpyImageSource(imagesFile, imageHeader);
  ensure(
    labelHeader.shape[0] === source.count,
    `${basename(labelsFile)} has ${labelHeader.shape[0]} labels but ${basename(imagesFile)} has ${source.count} images`,
  );
  const labels = Int32Array.from(await readElements(labelsFile, labelHeader, 0, source.count));
  const numClasses = options.classNames?.length ?? labels.reduce((a, b) => Math.max(a, b), 0) + 1;
  return new Dataset(
    { name: options.name ?? basename(imagesFile, '.npy'), source: imagesFile, split: options.split ?? 'all' },
    source,
    labels,
    options.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
  );
}
