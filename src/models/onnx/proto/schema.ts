/**
 * ONNX's protobuf messages (onnx.proto3) as plain TypeScript, decoded from and encoded to the
 * wire format. Only the fields an inference graph uses are kept; unknown fields are skipped, as
 * protobuf requires. Field numbers are the ONNX specification's.
 */
import { packedDoubles, packedFloats, packedVarints, utf8String, WireFormatError, WireReader, WireType, WireWriter, type WireField } from './wire.js';

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

export const DATA_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(DataType).map(([name, code]) => [code, name.toLowerCase()]),
);

export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly rawData?: Uint8Array;
  readonly floatData?: Float32Array;
  readonly int32Data?: readonly number[];
  readonly int64Data?: readonly number[];
  readonly doubleData?: Float64Array;
  /** external_data key/value pairs (location, offset, length, checksum) when stored outside the file. */
  readonly externalData?: Readonly<Record<string, string>>;
}

export type AttributeValue =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: TensorProto }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'graph' | 'other'; readonly value: null };

export interface NodeProto {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

/** A graph input or output: its element type and dimensions (a number, a symbolic name, or unknown). */
export interface ValueInfoProto {
  readonly name: string;
  readonly elemType?: number;
  readonly dims?: readonly (number | string | null)[];
}

export interface GraphProto {
  readonly name: string;
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly TensorProto[];
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
}

export interface OpsetImport {
  readonly domain: string;
  readonly version: number;
}

export interface ModelProto {
  readonly irVersion: number;
  readonly opsetImports: readonly OpsetImport[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly graph: GraphProto;
}

// ---- decoding ----

function expectType(f: WireField, type: WireType, message: string): void {
  if (f.type !== type) throw new WireFormatError(`malformed ONNX ${message}: field ${f.field} has wire type ${f.type}, expected ${type}`);
}

function str(f: WireField, message: string): string {
  expectType(f, WireType.bytes, message);
  return utf8String(f.bytes);
}

function decodeTensor(bytes: Uint8Array, base: number): TensorProto {
  const r = new WireReader(bytes, base);
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const t: { -readonly [K in keyof TensorProto]?: TensorProto[K] } = {};
  const external: Record<string, string> = {};
  let hasExternal = false;
  while (!r.done) {
    const f = r.next();
    switch (f.field) {
      case 1: dims.push(...packedVarints(f, r.offsetOf(f.bytes))); break;
      case 2: dataType = f.value; break;
      case 4: t.floatData = packedFloats(f); break;
      case 5: t.int32Data = packedVarints(f, r.offsetOf(f.bytes)); break;
      case 7: t.int64Data = packedVarints(f, r.offsetOf(f.bytes)); break;
      case 8: name = str(f, 'tensor'); break;
      case 9: expectType(f, WireType.bytes, 'tensor'); t.rawData = f.bytes; break;
      case 10: t.doubleData = packedDoubles(f); break;
      case 13: {
        hasExternal = true;
        const entry = new WireReader(f.bytes, r.offsetOf(f.bytes));
        let key = '';
        let value = '';
        while (!entry.done) {
          const e = entry.next();
          if (e.field === 1) key = str(e, 'external data entry');
          else if (e.field === 2) value = str(e, 'external data entry');
        }
        external[key] = value;
        break;
      }
      default: break;
    }
  }
  return { ...t, name, dims, dataType, ...(hasExternal ? { externalData: external } : {}) };
}

const ATTRIBUTE_TYPES: Readonly<Record<number, AttributeValue['type']>> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings',
};

function decodeAttribute(bytes: Uint8Array, base: number): [string, AttributeValue] {
  const r = new WireReader(bytes, base);
  let name = '';
  let type = 0;
  let f32: number | undefined;
  let i64: number | undefined;
  let s: string | undefined;
  let tensor: TensorProto | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  while (!r.done) {
    const f = r.next();
    switch (f.field) {
      case 1: name = str(f, 'attribute'); break;
      case 20: type = f.value; break;
      case 2: f32 = f.value; break;
      case 3: i64 = f.value; break;
      case 4: s = str(f, 'attribute'); break;
      case 5: tensor = decodeTensor(f.bytes, r.offsetOf(f.bytes)); break;
      case 7: floats.push(...packedFloats(f)); break;
      case 8: ints.push(...packedVarints(f, r.offsetOf(f.bytes))); break;
      case 9: strings.push(str(f, 'attribute')); break;
      default: break;
    }
  }
  const kind = ATTRIBUTE_TYPES[type] ?? 'other';
  switch (kind) {
    case 'float': return [name, { type: kind, value: f32 ?? 0 }];
    case 'int': return [name, { type: kind, value: i64 ?? 0 }];
    case 'string': return [name, { type: kind, value: s ?? '' }];
    case 'tensor':
      if (!tensor) throw new WireFormatError(`malformed ONNX attribute '${name}': a tensor attribute without a tensor`);
      return [name, { type: kind, value: tensor }];
    case 'floats': return [name, { type: kind, value: floats }];
    case 'ints': return [name, { type: kind, value: ints }];
    case 'strings': return [name, { type: kind, value: strings }];
    default: return [name, { type: kind, value: null }];
  }
}

function decodeNode(bytes: Uint8Array, base: number): NodeProto {
  const r = new WireReader(bytes, base);
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, AttributeValue>();
  let name = '';
  let opType = '';
  let domain = '';
  while (!r.done) {
    const f = r.next();
    switch (f.field) {
      case 1: inputs.push(str(f, 'node')); break;
      case 2: outputs.push(str(f, 'node')); break;
      case 3: name = str(f, 'node'); break;
      case 4: opType = str(f, 'node'); break;
      case 7: domain = str(f, 'node'); break;
      case 5: {
        const [key, value] = decodeAttribute(f.bytes, r.offsetOf(f.bytes));
        attributes.set(key, value);
        break;
      }
      default: break;
    }
  }
  return { name, opType, domain, inputs, outputs, attributes };
}

function decodeDims(bytes: Uint8Array, base: number): (number | string | null)[] {
  const r = new WireReader(bytes, base);
  const dims: (number | string | null)[] = [];
  while (!r.done) {
    const f = r.next();
    if (f.field !== 1) continue;
    const d = new WireReader(f.bytes, r.offsetOf(f.bytes));
    let dim: number | string | null = null;
    while (!d.done) {
      const g = d.next();
      if (g.field === 1) dim = g.value;
      else if (g.field === 2) dim = str(g, 'dimension');
    }
    dims.push(dim);
  }
  return dims;
}

function decodeValueInfo(bytes: Uint8Array, base: number): ValueInfoProto {
  const r = new WireReader(bytes, base);
  let name = '';
  let elemType: number | undefined;
  let dims: (number | string | null)[] | undefined;
  while (!r.done) {
    const f = r.next();
    if (f.field === 1) name = str(f, 'value info');
    else if (f.field === 2) {
      const type = new WireReader(f.bytes, r.offsetOf(f.bytes));
      while (!type.done) {
        const t = type.next();
        if (t.field !== 1) continue; // only tensor types
        const tensor = new WireReader(t.bytes, type.offsetOf(t.bytes));
        while (!tensor.done) {
          const g = tensor.next();
          if (g.field === 1) elemType = g.value;
          else if (g.field === 2) dims = decodeDims(g.bytes, tensor.offsetOf(g.bytes));
        }
      }
    }
  }
  return { name, ...(elemType !== undefined ? { elemType } : {}), ...(dims ? { dims } : {}) };
}

function decodeGraph(bytes: Uint8Array, base: number): GraphProto {
  const r = new WireReader(bytes, base);
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const inputs: ValueInfoProto[] = [];
  const outputs: ValueInfoProto[] = [];
  let name = '';
  while (!r.done) {
    const f = r.next();
    const at = f.type === WireType.bytes ? r.offsetOf(f.bytes) : 0;
    switch (f.field) {
      case 1: nodes.push(decodeNode(f.bytes, at)); break;
      case 2: name = str(f, 'graph'); break;
      case 5: initializers.push(decodeTensor(f.bytes, at)); break;
      case 11: inputs.push(decodeValueInfo(f.bytes, at)); break;
      case 12: outputs.push(decodeValueInfo(f.bytes, at)); break;
      case 15: throw new WireFormatError('sparse initializers are not supported');
      default: break;
    }
  }
  return { name, nodes, initializers, inputs, outputs };
}

/** Decodes a ModelProto; throws WireFormatError on anything that is not well-formed. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new WireReader(bytes);
  let irVersion = 0;
  let graph: GraphProto | undefined;
  let producerName = '';
  let producerVersion = '';
  const opsetImports: OpsetImport[] = [];
  while (!r.done) {
    const f = r.next();
    switch (f.field) {
      case 1: irVersion = f.value; break;
      case 2: producerName = str(f, 'model'); break;
      case 3: producerVersion = str(f, 'model'); break;
      case 7: expectType(f, WireType.bytes, 'model'); graph = decodeGraph(f.bytes, r.offsetOf(f.bytes)); break;
      case 8: {
        const o = new WireReader(f.bytes, r.offsetOf(f.bytes));
        let domain = '';
        let version = 0;
        while (!o.done) {
          const g = o.next();
          if (g.field === 1) domain = str(g, 'opset import');
          else if (g.field === 2) version = g.value;
        }
        opsetImports.push({ domain, version });
        break;
      }
      default: break;
    }
  }
  if (!graph) throw new WireFormatError('not an ONNX model: no graph');
  return { irVersion, opsetImports, producerName, producerVersion, graph };
}

// ---- encoding (test models, benchmarks) ----

function encodeTensor(t: TensorProto): WireWriter {
  const w = new WireWriter();
  if (t.dims.length) w.packedVarints(1, t.dims);
  w.varint(2, t.dataType);
  if (t.floatData) w.packedFloats(4, t.floatData);
  if (t.int32Data) w.packedVarints(5, t.int32Data);
  if (t.int64Data) w.packedVarints(7, t.int64Data);
  if (t.name) w.string(8, t.name);
  if (t.rawData) w.bytes(9, t.rawData);
  for (const [key, value] of Object.entries(t.externalData ?? {})) {
    w.message(13, new WireWriter().string(1, key).string(2, value));
  }
  if (t.externalData) w.varint(14, 1);
  return w;
}

function encodeAttribute(name: string, a: AttributeValue): WireWriter {
  const w = new WireWriter().string(1, name);
  switch (a.type) {
    case 'float': w.float(2, a.value).varint(20, 1); break;
    case 'int': w.varint(3, a.value).varint(20, 2); break;
    case 'string': w.string(4, a.value).varint(20, 3); break;
    case 'tensor': w.message(5, encodeTensor(a.value)).varint(20, 4); break;
    case 'floats': w.packedFloats(7, a.value).varint(20, 6); break;
    case 'ints': w.packedVarints(8, a.value).varint(20, 7); break;
    case 'strings': for (const s of a.value) w.string(9, s); w.varint(20, 8); break;
    default: throw new Error(`cannot encode a ${a.type} attribute`);
  }
  return w;
}

function encodeValueInfo(v: ValueInfoProto): WireWriter {
  const w = new WireWriter().string(1, v.name);
  const tensor = new WireWriter().varint(1, v.elemType ?? DataType.FLOAT);
  if (v.dims) {
    const shape = new WireWriter();
    for (const d of v.dims) {
      const dim = new WireWriter();
      if (typeof d === 'number') dim.varint(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensor.message(2, shape);
  }
  return w.message(2, new WireWriter().message(1, tensor));
}

export function encodeModel(model: ModelProto): Uint8Array {
  const graph = new WireWriter();
  for (const n of model.graph.nodes) {
    const node = new WireWriter();
    for (const i of n.inputs) node.string(1, i);
    for (const o of n.outputs) node.string(2, o);
    if (n.name) node.string(3, n.name);
    node.string(4, n.opType);
    for (const [name, a] of n.attributes) node.message(5, encodeAttribute(name, a));
    if (n.domain) node.string(7, n.domain);
    graph.message(1, node);
  }
  graph.string(2, model.graph.name);
  for (const t of model.graph.initializers) graph.message(5, encodeTensor(t));
  for (const v of model.graph.inputs) graph.message(11, encodeValueInfo(v));
  for (const v of model.graph.outputs) graph.message(12, encodeValueInfo(v));
  const w = new WireWriter().varint(1, model.irVersion);
  if (model.producerName) w.string(2, model.producerName);
  if (model.producerVersion) w.string(3, model.producerVersion);
  w.message(7, graph);
  for (const o of model.opsetImports) {
    const opset = new WireWriter();
    if (o.domain) opset.string(1, o.domain);
    w.message(8, opset.varint(2, o.version));
  }
  return w.finish();
}
