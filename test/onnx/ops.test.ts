/**
 * Every converter against onnxruntime-node: a small graph per op (and per attribute variant that
 * takes a different code path), run on the same seeded images, outputs within 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import { floatAttr, OnnxBuilder, tensorProto } from '../../src/models/onnx/proto/builder.js';
import { RandomStream } from '../../src/random/stream.js';
import { compareWithReference, importGraph, normals, uniformImages } from './harness.js';

type Shape = readonly [number, number, number, number];

interface OpCase {
  readonly name: string;
  readonly opset?: number;
  /** Image shape NHWC; the graph input is its NCHW equivalent with a symbolic batch. */
  readonly shape?: Shape;
  /**
   * Finite-difference step in pixels (default 1e-3); larger where outputs are big enough (log-softmax,
   * ~5) that float32 rounding would swamp a small step.
   */
  readonly gradientStep?: number;
  /** Adds nodes after input 'x' and returns the value to output. */
  readonly build: (b: OnnxBuilder, x: string) => string;
}

let weightId = 0;

/** A Conv node with fresh seeded weights and bias. */
const conv = (b: OnnxBuilder, x: string, cin: number, cout: number, k: number, attrs: Record<string, number | number[] | string> = {}, group = 1) => {
  const id = weightId++;
  const w = b.weight(`conv_w${id}`, [cout, cin / group, k, k], normals(cout * (cin / group) * k * k, `conv_w${id}`, 0.3));
  return b.node('Conv', [x, w, b.weight(`conv_b${id}`, [cout], normals(cout, `conv_b${id}`, 0.1))], { kernel_shape: [k, k], group, ...attrs });
};

/** BatchNormalization with seeded, non-trivial statistics. */
const bn = (b: OnnxBuilder, x: string, c: number) => {
  const id = weightId++;
  const w = (name: string, values: Float32Array) => b.weight(`bn_${name}${id}`, [c], values);
  return b.node('BatchNormalization', [x, w('g', normals(c, `g${id}`)), w('b', normals(c, `b${id}`)), w('m', normals(c, `m${id}`)), w('v', normals(c, `v${id}`).map((v) => v * v + 0.5))], { epsilon: floatAttr(1e-3) });
};

const unary = (op: string, attrs: Record<string, ReturnType<typeof floatAttr> | number> = {}, opset?: number): OpCase => ({
  name: op,
  ...(opset ? { opset } : {}),
  build: (b, x) => b.node(op, [x], attrs),
});

const CASES: readonly OpCase[] = [
  // Convolutions
  { name: 'Conv 3×3 pad 1 with bias', build: (b, x) => conv(b, x, 3, 4, 3, { pads: [1, 1, 1, 1] }) },
  { name: 'Conv stride 2, uneven pads', build: (b, x) => conv(b, x, 3, 4, 3, { strides: [2, 2], pads: [0, 0, 1, 1] }) },
  { name: 'Conv SAME_UPPER stride 2', build: (b, x) => conv(b, x, 3, 4, 3, { strides: [2, 2], auto_pad: 'SAME_UPPER' }) },
  { name: 'Conv SAME_LOWER', shape: [2, 7, 7, 3], build: (b, x) => conv(b, x, 3, 4, 2, { auto_pad: 'SAME_LOWER' }) },
  { name: 'Conv dilation 2', build: (b, x) => conv(b, x, 3, 4, 3, { dilations: [2, 2], pads: [2, 2, 2, 2] }) },
  { name: 'Conv depthwise ×2', build: (b, x) => conv(b, x, 3, 6, 3, { pads: [1, 1, 1, 1], strides: [2, 2] }, 3) },
  { name: 'Conv grouped', shape: [2, 8, 8, 4], build: (b, x) => conv(b, x, 4, 6, 3, { pads: [1, 1, 1, 1] }, 2) },
  { name: 'Conv 1×1 no bias', build: (b, x) => b.node('Conv', [x, b.weight('w1', [5, 3, 1, 1], normals(15, 'w1'))]) },
  {
    name: 'ConvTranspose stride 2, pads, output padding',
    build: (b, x) => b.node('ConvTranspose', [x, b.weight('wt', [3, 4, 3, 3], normals(108, 'wt', 0.3)), b.weight('bt', [4], normals(4, 'bt'))], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }),
  },
  // Normalisation
  {
    name: 'BatchNormalization',
    build: (b, x) => b.node('BatchNormalization', [x, b.weight('g', [3], normals(3, 'g')), b.weight('be', [3], normals(3, 'be')), b.weight('m', [3], normals(3, 'm')), b.weight('v', [3], normals(3, 'v').map((v) => v * v + 0.5))], { epsilon: floatAttr(1e-3) }),
  },
  {
    name: 'Conv → BatchNormalization (folded into the conv)',
    build: (b, x) => bn(b, conv(b, x, 3, 4, 3, { pads: [1, 1, 1, 1] }), 4),
  },
  {
    name: 'Conv → BatchNormalization, conv output also used (not folded)',
    // Linear in the input, so a wider step costs no truncation error and keeps float32 rounding below the tolerance.
    gradientStep: 1e-2,
    build: (b, x) => {
      const c = conv(b, x, 3, 4, 3, { pads: [1, 1, 1, 1] });
      return b.node('Add', [bn(b, c, 4), c]);
    },
  },
  {
    name: 'LayerNormalization on tokens',
    build: (b, x) => {
      const tokens = b.node('Reshape', [x, b.ints([0, 3, 64])]);
      const t = b.node('Transpose', [tokens], { perm: [0, 2, 1] });
      return b.node('LayerNormalization', [t, b.weight('ls', [3], normals(3, 'ls')), b.weight('lb', [3], normals(3, 'lb'))], { axis: -1, epsilon: floatAttr(1e-6) });
    },
  },
  // Pooling
  { name: 'MaxPool 3×3 s2 p1', build: (b, x) => b.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: 'MaxPool ceil_mode', shape: [2, 9, 9, 3], build: (b, x) => b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }) },
  { name: 'MaxPool uneven pads', build: (b, x) => b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1] }) },
  { name: 'AveragePool k3 s2 p1 exclude pad', build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }) },
  { name: 'AveragePool include pad', build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 1 }) },
  { name: 'AveragePool ceil_mode', shape: [2, 9, 9, 3], build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }) },
  { name: 'AveragePool 2×2 valid', build: (b, x) => b.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] }) },
  { name: 'GlobalAveragePool', build: (b, x) => b.node('GlobalAveragePool', [x]) },
  { name: 'GlobalMaxPool', build: (b, x) => b.node('GlobalMaxPool', [x]) },
  // Linear layers
  {
    name: 'Flatten + Gemm transB',
    build: (b, x) => b.node('Gemm', [b.node('Flatten', [x]), b.weight('fc', [10, 192], normals(1920, 'fc', 0.1)), b.weight('fcb', [10], normals(10, 'fcb'))], { transB: 1, alpha: floatAttr(0.5), beta: floatAttr(2) }),
  },
  {
    name: 'MatMul rank 3 × rank 2, rank 4 × rank 4',
    build: (b, x) => {
      const tokens = b.node('Reshape', [x, b.ints([0, 3, 64])]);
      const projected = b.node('MatMul', [tokens, b.weight('mm', [64, 8], normals(512, 'mm', 0.1))]);
      const heads = b.node('Reshape', [projected, b.ints([0, 3, 2, 4])]);
      const q = b.node('Transpose', [heads], { perm: [0, 2, 1, 3] });
      const k = b.node('Transpose', [heads], { perm: [0, 2, 3, 1] });
      return b.node('Softmax', [b.node('MatMul', [q, k])], { axis: -1 });
    },
  },
  // Activations
  unary('Relu'),
  unary('LeakyRelu', { alpha: floatAttr(0.1) }),
  unary('Sigmoid'),
  unary('Tanh'),
  unary('Erf'),
  unary('Elu'),
  unary('Softplus'),
  unary('HardSigmoid', { alpha: floatAttr(0.25), beta: floatAttr(0.4) }),
  unary('HardSwish', {}, 14),
  { name: 'Gelu (opset 20)', opset: 20, build: (b, x) => b.node('Gelu', [x]) },
  { name: 'Gelu tanh (opset 20)', opset: 20, build: (b, x) => b.node('Gelu', [x], { approximate: 'tanh' }) },
  { name: 'Clip 0..6 (inputs)', build: (b, x) => b.node('Clip', [b.node('Mul', [x, b.weight('four', [], [4])]), b.weight('lo', [], [0]), b.weight('hi', [], [6])]) },
  { name: 'Clip min only', build: (b, x) => b.node('Clip', [x, b.weight('lo2', [], [-0.5])]) },
  { name: 'Softmax axis 1 (channels)', build: (b, x) => b.node('Softmax', [b.node('Relu', [x])], { axis: 1 }) },
  { name: 'LogSoftmax axis -1', build: (b, x) => b.node('LogSoftmax', [x], { axis: -1 }) },
  { name: 'LogSoftmax opset 11 (flattens at axis 1)', opset: 11, gradientStep: 1e-2, build: (b, x) => b.node('LogSoftmax', [conv(b, x, 3, 2, 1)], { axis: 1 }) },
  // Arithmetic
  { name: 'Add/Mul per-channel constants after conv', build: (b, x) => b.node('Add', [b.node('Mul', [conv(b, x, 3, 4, 1), b.weight('sc', [4, 1, 1], normals(4, 'sc'))]), b.weight('sh', [4, 1, 1], normals(4, 'sh'))]) },
  { name: 'Sub/Div/Pow/Sqrt/Neg/Exp/Log', build: (b, x) => {
    const pos = b.node('Add', [b.node('Abs', [x]), b.weight('one', [], [1])]);
    const a = b.node('Div', [b.node('Sqrt', [pos]), b.node('Exp', [b.node('Neg', [pos])])]);
    return b.node('Sub', [b.node('Pow', [a, b.weight('two', [], [2])]), b.node('Log', [b.node('Pow', [pos, b.weight('threeh', [], [1.5])])])]);
  } },
  { name: 'Add of two NHWC branches, Max, Min', build: (b, x) => {
    const a = conv(b, x, 3, 4, 3, { pads: [1, 1, 1, 1] });
    const c = conv(b, x, 3, 4, 1);
    return b.node('Max', [b.node('Add', [a, c]), b.node('Min', [a, c])]);
  } },
  { name: 'Reciprocal, Floor-free arithmetic on NCHW broadcast [W]', build: (b, x) => b.node('Mul', [b.node('Reciprocal', [b.node('Add', [b.node('Abs', [x]), b.weight('half', [], [0.5])])]), b.weight('row', [8], normals(8, 'row'))]) },
  // Reductions
  { name: 'ReduceMean keepdims (squeeze-excite)', build: (b, x) => b.node('Mul', [x, b.node('Sigmoid', [b.node('ReduceMean', [x], { axes: [2, 3], keepdims: 1 })])]) },
  { name: 'ReduceMean opset 18 axes input', opset: 18, build: (b, x) => b.node('ReduceMean', [x, b.ints([1])], { keepdims: 0 }) },
  { name: 'ReduceSum opset 13 axes input', opset: 13, build: (b, x) => b.node('ReduceSum', [x, b.ints([-1, 1])], { keepdims: 1 }) },
  { name: 'ReduceMax no keepdims', build: (b, x) => b.node('ReduceMax', [x], { axes: [3], keepdims: 0 }) },
  { name: 'ReduceMin all axes', build: (b, x) => b.node('ReduceMin', [x], { keepdims: 0 }) },
  // Data movement
  { name: 'Concat channels of two convs', build: (b, x) => b.node('Concat', [conv(b, x, 3, 2, 3, { pads: [1, 1, 1, 1] }), b.node('Relu', [x])], { axis: 1 }) },
  { name: 'Split channels (opset 13)', opset: 13, build: (b, x) => {
    b.node('Split', [conv(b, x, 3, 4, 1), b.ints([1, 3])], { axis: 1 }, { outputs: ['s0', 's1'] });
    return b.node('Add', ['s0', b.node('ReduceSum', ['s1', b.ints([1])], { keepdims: 1 })]);
  } },
  { name: 'Split num_outputs (opset 18)', opset: 18, build: (b, x) => {
    b.node('Split', [x], { axis: 2, num_outputs: 3 }, { outputs: ['p0', 'p1', 'p2'] });
    return b.node('Concat', ['p2', 'p0', 'p1'], { axis: 2 });
  } },
  { name: 'Slice channels, step 2, negative step', build: (b, x) => {
    const s = b.node('Slice', [x, b.ints([1, 0]), b.ints([3, 8]), b.ints([1, 3]), b.ints([1, 2])]);
    return b.node('Slice', [s, b.ints([-1]), b.ints([-1000]), b.ints([2]), b.ints([-1])]);
  } },
  { name: 'Gather class token, Squeeze/Unsqueeze', build: (b, x) => {
    const tokens = b.node('Transpose', [b.node('Reshape', [x, b.ints([0, 3, 64])])], { perm: [0, 2, 1] });
    const cls = b.node('Gather', [tokens, b.weight('idx', [], [0], 'int64')], { axis: 1 });
    return b.node('Squeeze', [b.node('Unsqueeze', [cls, b.ints([1])]), b.ints([1])]);
  } },
  { name: 'Shape → Gather → Unsqueeze → Concat → Reshape (dynamic batch)', build: (b, x) => {
    const shape = b.node('Shape', [x]);
    const batch = b.node('Unsqueeze', [b.node('Gather', [shape, b.weight('zero', [], [0], 'int64')], { axis: 0 }), b.ints([0])]);
    const target = b.node('Concat', [batch, b.ints([-1])], { axis: 0 });
    return b.node('Reshape', [x, target]);
  } },
  { name: 'Class token Expand + Concat (ViT-style)', build: (b, x) => {
    const tokens = b.node('Transpose', [b.node('Reshape', [x, b.ints([0, 3, 64])])], { perm: [0, 2, 1] });
    const shape = b.node('Shape', [tokens]);
    const n = b.node('Gather', [shape, b.ints([0])], { axis: 0 });
    const ones = b.node('ConstantOfShape', [b.ints([1])], { value: { type: 'tensor', value: tensorProto('v', [1], [1], 'int64') } });
    const target = b.node('Concat', [n, ones, b.ints([3])], { axis: 0 });
    const cls = b.node('Expand', [b.weight('cls', [1, 1, 3], normals(3, 'cls')), target]);
    return b.node('Concat', [cls, tokens], { axis: 1 });
  } },
  { name: 'Constant, Identity, Dropout', build: (b, x) => {
    const c = b.node('Constant', [], { value: { type: 'tensor', value: tensorProto('c', [3, 1, 1], [1, 2, 3]) } });
    return b.node('Dropout', [b.node('Identity', [b.node('Mul', [x, c])])]);
  } },
  { name: 'Cast to int32 and back', build: (b, x) => b.node('Cast', [b.node('Cast', [b.node('Mul', [x, b.weight('ten', [], [10])])], { to: 6 })], { to: 1 }) },
  { name: 'Tile', build: (b, x) => b.node('Tile', [x, b.ints([1, 2, 1, 2])]) },
  { name: 'Where/Equal/Less', build: (b, x) => b.node('Where', [b.node('Less', [x, b.weight('zero2', [], [0])]), b.node('Neg', [x]), x]) },
  { name: 'Pad constant', build: (b, x) => b.node('Pad', [x, b.ints([0, 0, 1, 2, 0, 0, 2, 1]), b.weight('pv', [], [0.5])]) },
  { name: 'Pad reflect', build: (b, x) => b.node('Pad', [x, b.ints([0, 0, 2, 1, 0, 0, 1, 2])], { mode: 'reflect' }) },
  { name: 'Pad edge, negative pads crop', build: (b, x) => b.node('Pad', [x, b.ints([0, 0, 2, -1, 0, 0, -1, 2])], { mode: 'edge' }) },
  { name: 'Resize nearest ×2 (asymmetric, floor)', build: (b, x) => b.node('Resize', [x, '', b.weight('scales', [4], [1, 1, 2, 2])], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }) },
  { name: 'Resize linear to sizes (half_pixel)', build: (b, x) => b.node('Resize', [x, '', '', b.ints([2, 3, 12, 5])], { mode: 'linear' }) },
  { name: 'Resize linear align_corners', build: (b, x) => b.node('Resize', [x, '', b.weight('scales2', [4], [1, 1, 2, 2])], { mode: 'linear', coordinate_transformation_mode: 'align_corners' }) },
];

beforeAll(async () => {
  await useBackend('wasm');
});

function caseModel(c: OpCase): { bytes: Uint8Array; shape: Shape } {
  const shape = c.shape ?? ([2, 8, 8, 3] as const);
  const [, h, w, ch] = shape;
  const b = new OnnxBuilder(c.opset ?? 17);
  b.input('x', ['N', ch, h, w]);
  const out = c.build(b, 'x');
  b.node('Identity', [out], {}, { outputs: ['y'] });
  b.output('y');
  return { bytes: b.build(), shape };
}

describe('ONNX ops match onnxruntime-node within 1e-4', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { bytes, shape } = caseModel(c);
    expect(await compareWithReference(bytes, shape)).toBeLessThan(1e-4);
  });
});

// Ops whose output does not depend smoothly on the input: no gradient to check.
const PIECEWISE_CONSTANT = new Set(['Where/Equal/Less', 'Cast to int32 and back']);

/**
 * Partial derivatives at a few seeded coordinates against central differences. One coordinate at a
 * time keeps ReLU/clip/max kinks from being crossed, which a full random direction would do.
 */
describe('gradients through each op match finite differences', () => {
  it.each(CASES.filter((c) => !PIECEWISE_CONSTANT.has(c.name)).map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const { bytes, shape } = caseModel(c);
    const graph = importGraph(bytes);
    try {
      const stream = RandomStream.fromSeed(5).derive(c.name);
      const images = uniformImages(shape, 6);
      const x = tf.tensor4d(images, [...shape]);
      const outShape = tf.tidy(() => graph.run(x, 'y').shape);
      const weights = tf.tensor(stream.derive('weights').fillNormal(new Float32Array(outShape.reduce((a, b) => a * b, 1))), outShape);
      const f = (v: tf.Tensor) => tf.sum(tf.mul(graph.run(v as tf.Tensor4D, 'y'), weights)) as tf.Scalar;
      const grad = tf.tidy(() => tf.grad(f)(x));
      const analytic = await grad.data();
      const h = c.gradientStep ?? 1e-3;
      let checked = 0;
      for (let k = 0; k < 16 && checked < 5; k++) {
        const i = stream.int(0, images.length - 1);
        const at = (delta: number) => tf.tidy(() => {
          const moved = images.slice();
          moved[i]! += delta;
          return f(tf.tensor4d(moved, [...shape])).arraySync() as number;
        });
        const [below, centre, above] = [at(-h), at(0), at(h)];
        const tolerance = 1e-2 * Math.max(1, Math.abs((above - below) / (2 * h)));
        // One-sided slopes that disagree mean a kink within h: not a point to check a derivative at.
        if (Math.abs((above - centre) / h - (centre - below) / h) > tolerance) continue;
        expect(Math.abs(analytic[i]! - (above - below) / (2 * h)), `coordinate ${i}`).toBeLessThan(tolerance);
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(4);
      tf.dispose([x, weights, grad]);
    } finally {
      graph.dispose();
    }
  });
});
