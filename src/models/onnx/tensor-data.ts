/**
 * TensorProto → HostTensor: raw little-endian bytes, the typed repeated fields, and external
 * data files next to the model. External paths come from the file, i.e. from whoever made it,
 * so they are confined to the model's folder.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ensure } from '../../errors.js';
import { copyAligned } from './proto/wire.js';
import { DATA_TYPE_NAMES, DataType, type TensorProto } from './proto/schema.js';
import { sizeOf, type HostTensor, type RuntimeDType } from './host-tensor.js';

/** Where external data may be read from, and the file name for messages. */
export interface TensorSource {
  readonly modelFile: string;
  /** The model's folder; undefined for models read from memory, which may not use external data. */
  readonly folder?: string;
}

const INTEGER_TYPES: ReadonlySet<number> = new Set([DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64]);

export function runtimeDType(dataType: number): RuntimeDType | undefined {
  if (dataType === DataType.FLOAT || dataType === DataType.DOUBLE || dataType === DataType.FLOAT16 || dataType === DataType.BFLOAT16) return 'float32';
  if (dataType === DataType.BOOL) return 'bool';
  return INTEGER_TYPES.has(dataType) ? 'int32' : undefined;
}

function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function bfloat16ToFloat32(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits << 16);
  return view.getFloat32(0);
}

/** Decodes little-endian bytes of an ONNX element type into our host storage. */
function fromBytes(bytes: Uint8Array, dataType: number): Float32Array | Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dataType) {
    case DataType.FLOAT: return copyAligned(bytes, Float32Array, 4);
    case DataType.DOUBLE: return Float32Array.from(copyAligned(bytes, Float64Array, 8));
    case DataType.FLOAT16: return Float32Array.from(copyAligned(bytes, Uint16Array, 2), float16ToFloat32);
    case DataType.BFLOAT16: return Float32Array.from(copyAligned(bytes, Uint16Array, 2), bfloat16ToFloat32);
    case DataType.INT64: case DataType.UINT64: {
      const out = new Float64Array(Math.floor(bytes.length / 8));
      for (let i = 0; i < out.length; i++) out[i] = Number(dataType === DataType.INT64 ? view.getBigInt64(i * 8, true) : view.getBigUint64(i * 8, true));
      return out;
    }
    case DataType.INT32: return Float64Array.from(copyAligned(bytes, Int32Array, 4));
    case DataType.UINT32: return Float64Array.from({ length: bytes.length >> 2 }, (_, i) => view.getUint32(i * 4, true));
    case DataType.INT16: return Float64Array.from({ length: bytes.length >> 1 }, (_, i) => view.getInt16(i * 2, true));
    case DataType.UINT16: return Float64Array.from({ length: bytes.length >> 1 }, (_, i) => view.getUint16(i * 2, true));
    case DataType.INT8: return Float64Array.from({ length: bytes.length }, (_, i) => view.getInt8(i));
    default: return Float64Array.from(bytes); // UINT8, BOOL
  }
}

const BYTES_PER_ELEMENT: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4, [DataType.DOUBLE]: 8, [DataType.FLOAT16]: 2, [DataType.BFLOAT16]: 2, [DataType.INT64]: 8, [DataType.UINT64]: 8,
  [DataType.INT32]: 4, [DataType.UINT32]: 4, [DataType.INT16]: 2, [DataType.UINT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1,
};

/**
 * The file an external-data location names, refusing locations that leave the model's folder:
 * absolute paths, URLs, `..`, or links that resolve outside it.
 */
export function externalDataPath(location: string, folder: string, where: string): string {
  ensure(location !== '', `${where}: external data without a location`);
  const escapes = isAbsolute(location) || /^[a-z][a-z0-9+.-]*:/i.test(location) || location.split(/[\\/]/).includes('..');
  ensure(!escapes, `${where}: external data location '${location}' points outside the model folder; refusing to load`);
  const path = resolve(folder, location);
  ensure(existsSync(path), `${where}: external data file '${location}' is missing`);
  const real = realpathSync(path);
  const inside = relative(realpathSync(folder), real);
  ensure(inside !== '' && inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside),
    `${where}: external data '${location}' resolves outside the model folder (a link?); refusing to load`);
  return real;
}

/** Reads an external-data tensor's bytes from its file in the model's folder. */
function externalBytes(t: TensorProto, source: TensorSource, byteLength: number): Uint8Array {
  const external = t.externalData!;
  const where = `${source.modelFile}: tensor '${t.name}'`;
  ensure(source.folder !== undefined, `${where} keeps its data in an external file, which needs the model read from disk`);
  const location = external['location'] ?? '';
  const real = externalDataPath(location, source.folder, where);
  const offset = Number(external['offset'] ?? 0);
  const length = external['length'] !== undefined ? Number(external['length']) : byteLength;
  ensure(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0, `${where}: bad external data offset or length`);
  ensure(length === byteLength, `${where}: external data length ${length} does not match its shape (${byteLength} bytes)`);
  const fd = openSync(real, 'r');
  try {
    const available = fstatSync(fd).size;
    ensure(offset + length <= available, `${where}: external file '${location}' has ${available} bytes, needs ${offset + length} (truncated?)`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const read = readSync(fd, out, done, length - done, offset + done);
      if (read === 0) break;
      done += read;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Decodes a tensor's values; a user error names the tensor when anything is wrong with it. */
export function tensorToHost(t: TensorProto, source: TensorSource): HostTensor {
  const where = `${source.modelFile}: tensor '${t.name}'`;
  const dtype = runtimeDType(t.dataType);
  ensure(dtype, () => `${where} has data type ${DATA_TYPE_NAMES[t.dataType] ?? t.dataType}, which is not supported`);
  ensure(t.dims.every((d) => Number.isSafeInteger(d) && d >= 0), `${where} has invalid dimensions [${t.dims.join(', ')}]`);
  const shape = [...t.dims];
  const n = sizeOf(shape);
  const width = BYTES_PER_ELEMENT[t.dataType]!;
  let data: Float32Array | Float64Array;
  if (t.externalData) {
    data = fromBytes(externalBytes(t, source, n * width), t.dataType);
  } else if (t.rawData) {
    ensure(t.rawData.length === n * width, `${where}: ${t.rawData.length} bytes of data for shape [${shape.join(', ')}] (expected ${n * width})`);
    data = fromBytes(t.rawData, t.dataType);
  } else if (t.floatData) {
    data = t.floatData;
  } else if (t.doubleData) {
    data = Float32Array.from(t.doubleData);
  } else if (t.int64Data) {
    data = Float64Array.from(t.int64Data);
  } else if (t.int32Data) {
    // float16/bfloat16 store their bit patterns in int32_data.
    data = t.dataType === DataType.FLOAT16 ? Float32Array.from(t.int32Data, float16ToFloat32)
      : t.dataType === DataType.BFLOAT16 ? Float32Array.from(t.int32Data, bfloat16ToFloat32)
        : Float64Array.from(t.int32Data);
  } else {
    data = dtype === 'float32' ? new Float32Array(0) : new Float64Array(0);
  }
  ensure(data.length === n, `${where}: ${data.length} values for shape [${shape.join(', ')}] (expected ${n})`);
  return { dtype, shape, data };
}
