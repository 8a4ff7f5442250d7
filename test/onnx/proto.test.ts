/** The protobuf reader and writer, ONNX decoding, tensor data, and the op registry's documentation. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.js';
import { parseOnnx } from '../../src/models/onnx/model.js';
import { onnxOps } from '../../src/models/onnx/ops/index.js';
import { foldBatchNormIntoConv } from '../../src/models/onnx/optimize.js';
import { floatAttr, floatsAttr, OnnxBuilder } from '../../src/models/onnx/proto/builder.js';
import { DataType, decodeModel, encodeModel } from '../../src/models/onnx/proto/schema.js';
import { packedVarints, WireFormatError, WireReader, WireWriter } from '../../src/models/onnx/proto/wire.js';
import { tensorToHost } from '../../src/models/onnx/tensor-data.js';

describe('wire format', () => {
  it('round-trips varints, negative int64s included', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.constantFrom(0, -1, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1)))), (values) => {
      const bytes = new WireWriter().packedVarints(1, values).finish();
      const reader = new WireReader(bytes);
      expect(packedVarints(reader.next())).toEqual(values);
    }));
  });

  it('reads INT64_MAX as a huge number and ten-byte -1 as -1', () => {
    const minusOne = new WireWriter().varint(1, -1).finish();
    expect(minusOne).toHaveLength(11);
    expect(new WireReader(minusOne).next().value).toBe(-1);
    // Field 2, varint 0x7fffffffffffffff (Slice's "to the end").
    const int64Max = Uint8Array.of(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
    expect(new WireReader(int64Max).next().value).toBeGreaterThan(9.2e18);
  });

  it('refuses truncated fields with the byte where it happened', () => {
    const bytes = new WireWriter().string(3, 'hello').finish();
    expect(() => new WireReader(bytes.subarray(0, 4)).next()).toThrow('malformed protobuf at byte 2: field 3 needs 5 bytes but only 2 remain (truncated?)');
  });

  it('any prefix or corruption of a model decodes or fails with a WireFormatError, never anything else', () => {
    const b = new OnnxBuilder(17);
    b.input('x', ['N', 3, 4, 4]);
    b.node('Conv', ['x', b.weight('w', [2, 3, 1, 1], [1, 2, 3, 4, 5, 6])], { kernel_shape: [1, 1] }, { outputs: ['y'] });
    b.output('y');
    const bytes = b.build();
    fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), (cut, flips) => {
      const damaged = bytes.slice(0, cut);
      for (const [at, value] of flips) if (damaged.length) damaged[at % damaged.length] = value;
      try {
        decodeModel(damaged);
      } catch (error) {
        expect(error).toBeInstanceOf(WireFormatError);
      }
      try {
        parseOnnx(damaged, 'damaged.onnx');
      } catch (error) {
        expect(error).toBeInstanceOf(UserInputError);
      }
    }), { numRuns: 300 });
  });
});

describe('ONNX messages', () => {
  it('decode what they encode: attributes of every kind, value infos, opsets', () => {
    const b = new OnnxBuilder(18, 9);
    b.input('x', ['batch', 3, 8, 8]);
    b.node('Custom', ['x'], { i: 3, is: [1, -2, 3], f: floatAttr(0.5), fs: floatsAttr([0.25, -1]), s: 'text' }, { name: 'n', outputs: ['y', 'z'], domain: 'example.org' });
    b.output('y', ['batch', 3]);
    const model = decodeModel(b.build());
    expect(model.irVersion).toBe(9);
    expect(model.opsetImports).toEqual([{ domain: '', version: 18 }]);
    expect(model.graph.inputs).toEqual([{ name: 'x', elemType: DataType.FLOAT, dims: ['batch', 3, 8, 8] }]);
    const node = model.graph.nodes[0]!;
    expect(node).toMatchObject({ name: 'n', opType: 'Custom', domain: 'example.org', inputs: ['x'], outputs: ['y', 'z'] });
    expect(Object.fromEntries(node.attributes)).toEqual({
      i: { type: 'int', value: 3 },
      is: { type: 'ints', value: [1, -2, 3] },
      f: { type: 'float', value: 0.5 },
      fs: { type: 'floats', value: [0.25, -1] },
      s: { type: 'string', value: 'text' },
    });
    expect(decodeModel(encodeModel(model))).toEqual(model);
  });

  it('reads tensors stored as raw bytes, typed fields, float16 and int64', () => {
    const source = { modelFile: 'm.onnx' };
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer);
    expect(Array.from(tensorToHost({ name: 'h', dims: [3], dataType: DataType.FLOAT16, rawData: half }, source).data)).toEqual([1, -2, expect.closeTo(1 / 3, 3)]);
    const int64 = new Uint8Array(new BigInt64Array([-1n, 7n, 2n ** 62n]).buffer);
    expect(Array.from(tensorToHost({ name: 'i', dims: [3], dataType: DataType.INT64, rawData: int64 }, source).data)).toEqual([-1, 7, 2 ** 62]);
    expect(tensorToHost({ name: 'd', dims: [2], dataType: DataType.DOUBLE, doubleData: Float64Array.of(0.5, 2) }, source)).toMatchObject({ dtype: 'float32', shape: [2] });
    expect(() => tensorToHost({ name: 'short', dims: [4], dataType: DataType.FLOAT, rawData: new Uint8Array(12) }, source)).toThrow(/12 bytes of data for shape \[4\] \(expected 16\)/);
    expect(() => tensorToHost({ name: 's', dims: [1], dataType: DataType.STRING }, source)).toThrow(/data type string, which is not supported/);
  });
});

describe('the op registry', () => {
  it('documents every op it converts in docs/onnx.md', () => {
    const docs = readFileSync('docs/onnx.md', 'utf8');
    const table = docs.slice(docs.indexOf('## Supported ops'), docs.indexOf('## Limitations'));
    const missing = onnxOps.ids().filter((id) => !new RegExp(`\\b${id}\\b`).test(table));
    expect(missing).toEqual([]);
  });
});

describe('graph rewrites', () => {
  it('folds batch norm into the convolution before it, unless the convolution output is used elsewhere', () => {
    const b = new OnnxBuilder(17);
    b.input('x', ['N', 1, 4, 4]);
    const params = (name: string) => ['g', 'b', 'm', 'v'].map((p) => b.weight(`${name}.${p}`, [1], [p === 'v' ? 4 : 0.5]));
    const single = b.node('Conv', ['x', b.weight('w1', [1, 1, 1, 1], [2])], {}, { name: 'conv1' });
    const folded = b.node('BatchNormalization', [single, ...params('bn1')], { epsilon: floatAttr(0) }, { name: 'bn1' });
    const shared = b.node('Conv', [folded, b.weight('w2', [1, 1, 1, 1], [3])], {}, { name: 'conv2' });
    const kept = b.node('BatchNormalization', [shared, ...params('bn2')], {}, { name: 'bn2' });
    b.node('Add', [kept, shared], {}, { outputs: ['y'] });
    b.output('y');
    const model = decodeModel(b.build());
    const initializers = new Map(model.graph.initializers.map((t) => [t.name, tensorToHost(t, { modelFile: 'm' })]));
    const nodes = foldBatchNormIntoConv(model.graph.nodes, initializers, new Set(['y']));
    expect(nodes.map((n) => n.name)).toEqual(['conv1', 'conv2', 'bn2', expect.any(String)]);
    const conv1 = nodes[0]!;
    expect(conv1.outputs).toEqual([folded]);
    // y = 0.5 · (2x − 0.5) / 2 + 0.5 = 0.5x + 0.375
    expect(Array.from(initializers.get(conv1.inputs[1]!)!.data)).toEqual([0.5]);
    expect(Array.from(initializers.get(conv1.inputs[2]!)!.data)).toEqual([0.375]);
  });
});
