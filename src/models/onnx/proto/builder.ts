/**
 * A small ONNX graph builder: writes models in TypeScript for tests, benchmarks and fixtures
 * (single-op graphs, a ResNet-18 with seeded weights) without a Python toolchain.
 */
import { DataType, encodeModel, type AttributeValue, type NodeProto, type TensorProto, type ValueInfoProto } from './schema.js';

/** Attribute shorthand: integers → int(s), strings → string; anything else as an explicit AttributeValue. */
export type AttributeInput = number | readonly number[] | string | AttributeValue;

export function floatAttr(value: number): AttributeValue {
  return { type: 'float', value };
}

export function floatsAttr(value: readonly number[]): AttributeValue {
  return { type: 'floats', value };
}

function toAttribute(value: AttributeInput): AttributeValue {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  if (Array.isArray(value)) return { type: 'ints', value: value as readonly number[] };
  return value as AttributeValue;
}

/** A tensor proto from values: float32 as raw bytes, int64 in int64_data. */
export function tensorProto(name: string, dims: readonly number[], values: ArrayLike<number>, dtype: 'float32' | 'int64' = 'float32'): TensorProto {
  if (dtype === 'int64') return { name, dims, dataType: DataType.INT64, int64Data: Array.from(values) };
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return { name, dims, dataType: DataType.FLOAT, rawData: raw };
}

export class OnnxBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private counter = 0;

  constructor(
    readonly opset = 17,
    readonly irVersion = 8,
  ) {}

  input(name: string, dims: readonly (number | string)[]): this {
    this.inputs.push({ name, elemType: DataType.FLOAT, dims });
    return this;
  }

  output(name: string, dims?: readonly (number | string)[]): this {
    this.outputs.push({ name, elemType: DataType.FLOAT, ...(dims ? { dims } : {}) });
    return this;
  }

  /** Adds an initializer and returns its name. */
  weight(name: string, dims: readonly number[], values: ArrayLike<number>, dtype: 'float32' | 'int64' = 'float32'): string {
    this.initializers.push(tensorProto(name, dims, values, dtype));
    return name;
  }

  /** Adds an initializer as given (external data, other dtypes). */
  initializer(tensor: TensorProto): this {
    this.initializers.push(tensor);
    return this;
  }

  /** An int64 vector initializer (shapes, axes, pads) with a fresh name. */
  ints(values: readonly number[]): string {
    return this.weight(`const_${this.counter++}`, [values.length], values, 'int64');
  }

  /** Adds a node; returns its first output's name (generated unless given). */
  node(opType: string, inputs: readonly string[], attributes: Record<string, AttributeInput> = {}, options: { name?: string; outputs?: readonly string[] | number; domain?: string } = {}): string {
    const id = this.counter++;
    const name = options.name ?? `${opType.toLowerCase()}_${id}`;
    const outputs = typeof options.outputs === 'number' || options.outputs === undefined
      ? Array.from({ length: (options.outputs as number | undefined) ?? 1 }, (_, i) => `${name}_out${i}`)
      : [...options.outputs];
    this.nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      inputs,
      outputs,
      attributes: new Map(Object.entries(attributes).map(([k, v]) => [k, toAttribute(v)])),
    });
    return outputs[0]!;
  }

  /** All output names of the last node added. */
  lastOutputs(): readonly string[] {
    return this.nodes[this.nodes.length - 1]!.outputs;
  }

  build(): Uint8Array {
    return encodeModel({
      irVersion: this.irVersion,
      opsetImports: [{ domain: '', version: this.opset }],
      producerName: 'ssl-robust-builder',
      producerVersion: '1',
      graph: { name: 'graph', nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs },
    });
  }
}
