/**
 * Ops that move data without arithmetic: Shape, Reshape, Flatten, (Un)Squeeze, Transpose, Concat,
 * Split, Slice, Gather, Expand, Tile, Constant(OfShape), Range, Dropout. On constants they fold on
 * the host, which is how exporters' Shape → Gather → Concat → Reshape chains disappear.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  broadcastShapes, host, hostConcat, hostGather, hostInts, hostReshape, hostSlice, hostTranspose, sizeOf, type HostTensor,
} from '../host-tensor.js';
import { tensorToHost } from '../tensor-data.js';
import { axesOf, constantInputs, folded, normaliseAxis, run } from './common.js';
import { ALL_OPSETS, type NodeContext, type OpConverter } from './types.js';

const shapeOp: OpConverter = {
  id: 'Shape',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const shape = ctx.input(0).shape;
    const clampIndex = (i: number) => Math.min(shape.length, Math.max(0, i < 0 ? i + shape.length : i));
    const start = clampIndex(ctx.int('start', 0));
    const end = clampIndex(ctx.int('end', shape.length));
    return folded(hostInts(shape.slice(start, end)));
  },
};

/** Reshape's target: 0 copies the input's dimension (unless allowzero), -1 takes what is left. */
function reshapeTarget(ctx: NodeContext, input: readonly number[], requested: readonly number[]): number[] {
  const allowZero = ctx.int('allowzero', 0) === 1;
  const out = requested.map((d, i) => (d === 0 && !allowZero ? input[i]! : d));
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    const known = out.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    out[unknown] = known === 0 ? 0 : sizeOf(input) / known;
  }
  if (sizeOf(out) !== sizeOf(input) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    ctx.fail(`cannot reshape [${input.join(', ')}] to [${requested.join(', ')}]`);
  }
  return out;
}

function reshapeTo(ctx: NodeContext, shape: number[]) {
  const x = ctx.input(0);
  if (x.constant) return folded(hostReshape(x.constant, shape));
  return run([{ shape, dtype: x.dtype }], ([input]) => [tf.reshape(input!, shape)]);
}

const reshape: OpConverter = {
  id: 'Reshape',
  opsets: [5, 21],
  layout: 'onnx',
  lower: (ctx) => reshapeTo(ctx, reshapeTarget(ctx, ctx.input(0).shape, Array.from(ctx.constant(1, 'shape').data))),
};

const flatten: OpConverter = {
  id: 'Flatten',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const shape = ctx.input(0).shape;
    const axis = ctx.int('axis', 1);
    const a = axis < 0 ? axis + shape.length : axis;
    if (a < 0 || a > shape.length) ctx.fail(`axis ${axis} is out of range for rank ${shape.length}`);
    return reshapeTo(ctx, [sizeOf(shape.slice(0, a)), sizeOf(shape.slice(a))]);
  },
};

const squeeze: OpConverter = {
  id: 'Squeeze',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const shape = ctx.input(0).shape;
    const given = axesOf(ctx, 'axes', 1, 13);
    const axes = given ? given.map((a) => normaliseAxis(ctx, a, shape.length)) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (axes.some((a) => shape[a] !== 1)) ctx.fail(`cannot squeeze axes [${given?.join(', ')}] of [${shape.join(', ')}]`);
    return reshapeTo(ctx, shape.filter((_, i) => !axes.includes(i)));
  },
};

const unsqueeze: OpConverter = {
  id: 'Unsqueeze',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const shape = ctx.input(0).shape;
    const given = axesOf(ctx, 'axes', 1, 13) ?? ctx.fail('no axes');
    const rank = shape.length + given.length;
    const axes = given.map((a) => normaliseAxis(ctx, a, rank));
    const out: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : shape[next++]!);
    return reshapeTo(ctx, out);
  },
};

const transpose: OpConverter = {
  id: 'Transpose',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const perm = ctx.ints('perm', [...Array(rank).keys()].reverse());
    if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) ctx.fail(`perm [${perm.join(', ')}] does not fit rank ${rank}`);
    if (x.constant) return folded(hostTranspose(x.constant, perm));
    return run([{ shape: perm.map((p) => x.shape[p]!), dtype: x.dtype }], ([input]) => [tf.transpose(input!, perm)]);
  },
};

const concat: OpConverter = {
  id: 'Concat',
  opsets: ALL_OPSETS,
  layout: 'axes',
  lower(ctx) {
    const facts = ctx.inputs.map((_, i) => ctx.input(i));
    const rank = facts[0]!.shape.length;
    const axis = normaliseAxis(ctx, ctx.int('axis'), rank);
    // Empty inputs (zero along the axis) are legal in ONNX and contribute nothing.
    const parts = facts.filter((f) => sizeOf(f.shape) > 0);
    const shape = [...facts[0]!.shape];
    shape[axis] = facts.reduce((sum, f) => sum + f.shape[axis]!, 0);
    if (facts.some((f) => f.shape.length !== rank || f.shape.some((d, i) => i !== axis && d !== shape[i]))) {
      ctx.fail(`inputs [${facts.map((f) => f.shape.join(', ')).join('], [')}] do not concatenate on axis ${axis}`);
    }
    const constants = constantInputs(ctx);
    if (constants) return folded(hostConcat(constants.filter((c): c is HostTensor => !!c && c.data.length > 0), axis));
    const stored = ctx.axis(axis, rank);
    const keep = facts.map((f) => sizeOf(f.shape) > 0);
    return run([{ shape, dtype: parts[0]!.dtype }], (inputs) => [tf.concat(inputs.filter((_, i) => keep[i]) as tf.Tensor[], stored)]);
  },
};

const split: OpConverter = {
  id: 'Split',
  opsets: ALL_OPSETS,
  layout: 'axes',
  lower(ctx) {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const axis = normaliseAxis(ctx, ctx.int('axis', 0), rank);
    const extent = x.shape[axis]!;
    const count = ctx.node.outputs.length;
    let sizes: number[];
    if (ctx.opset >= 13 && ctx.inputs[1]) sizes = Array.from(ctx.constant(1, 'split').data);
    else if (ctx.opset < 13 && ctx.has('split')) sizes = ctx.ints('split');
    else {
      // Equal parts; from opset 18 num_outputs allows a smaller last part.
      const parts = ctx.opset >= 18 ? ctx.int('num_outputs', count) : count;
      const each = Math.ceil(extent / parts);
      sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, extent - i * each)));
    }
    if (sizes.reduce((a, b) => a + b, 0) !== extent || sizes.length !== count) ctx.fail(`split sizes [${sizes.join(', ')}] do not fit ${extent} into ${count} outputs`);
    const shapes = sizes.map((s) => x.shape.map((d, i) => (i === axis ? s : d)));
    if (x.constant) {
      let start = 0;
      return folded(...sizes.map((s) => {
        const begin = x.shape.map((_, i) => (i === axis ? start : 0));
        const end = x.shape.map((d, i) => (i === axis ? start + s : d));
        start += s;
        return hostSlice(x.constant!, begin, end, x.shape.map(() => 1));
      }));
    }
    const stored = ctx.axis(axis, rank);
    return run(shapes.map((shape) => ({ shape, dtype: x.dtype })), ([input]) => tf.split(input!, sizes, stored));
  },
};

/** Slice's starts/ends/axes/steps resolved against the shape, ONNX's clamping rules included. */
function sliceBounds(ctx: NodeContext, shape: readonly number[]) {
  const rank = shape.length;
  const read = (i: number, what: string, attr: string) =>
    ctx.opset >= 10 ? (ctx.inputs[i] ? Array.from(ctx.constant(i, what).data) : undefined) : ctx.has(attr) ? ctx.ints(attr) : undefined;
  const starts = read(1, 'starts', 'starts') ?? ctx.fail('no starts');
  const ends = read(2, 'ends', 'ends') ?? ctx.fail('no ends');
  const axes = (read(3, 'axes', 'axes') ?? starts.map((_, i) => i)).map((a) => normaliseAxis(ctx, a, rank));
  const steps = read(4, 'steps', 'steps') ?? starts.map(() => 1);
  const begin = shape.map(() => 0);
  const end = [...shape];
  const step = shape.map(() => 1);
  axes.forEach((axis, i) => {
    const d = shape[axis]!;
    const s = steps[i]!;
    if (s === 0) ctx.fail('a step of 0');
    const resolve = (v: number) => (v < 0 ? v + d : v);
    if (s > 0) {
      begin[axis] = Math.min(d, Math.max(0, resolve(starts[i]!)));
      end[axis] = Math.min(d, Math.max(0, resolve(ends[i]!)));
    } else {
      begin[axis] = Math.min(d - 1, Math.max(-1, resolve(starts[i]!)));
      end[axis] = Math.min(d - 1, Math.max(-1, resolve(ends[i]!)));
    }
    step[axis] = s;
  });
  return { begin, end, step };
}

const slice: OpConverter = {
  id: 'Slice',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const { begin, end, step } = sliceBounds(ctx, x.shape);
    const shape = x.shape.map((_, i) => Math.max(0, Math.ceil((end[i]! - begin[i]!) / step[i]!)));
    if (x.constant) return folded(hostSlice(x.constant, begin, end, step));
    if (step.every((s) => s === 1)) return run([{ shape, dtype: x.dtype }], ([input]) => [tf.slice(input!, begin, shape)]);
    return run([{ shape, dtype: x.dtype }], ([input]) => [stridedSliceDifferentiable(input!, begin, step, shape)]);
  },
};

/**
 * x's entries at `picks` along `axis`, as slices (one per run of consecutive indices) of x viewed
 * as [outer, axis, inner], concatenated. Slices because tfjs's gather gradient needs
 * UnsortedSegmentSum, which wasm lacks; rank 3 because webgpu's pad (the slice gradient) fails
 * to compile above rank 4, and attention's q/k/v split is rank 5.
 */
function gatherBySlices(x: tf.Tensor, picks: readonly number[], axis: number): tf.Tensor {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const view = tf.reshape(x, [outer, x.shape[axis]!, inner]);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < picks.length;) {
    let j = i + 1;
    while (j < picks.length && picks[j] === picks[j - 1]! + 1) j++;
    parts.push(tf.slice(view, [0, picks[i]!, 0], [outer, j - i, inner]));
    i = j;
  }
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
}

/**
 * A strided slice from slices, reversals and reshapes, all of which have gradients on every
 * backend (tfjs's stridedSlice has none). `begin` is inclusive, `end` exclusive, steps non-zero.
 */
function stridedSliceDifferentiable(x: tf.Tensor, begin: readonly number[], step: readonly number[], shape: readonly number[]): tf.Tensor {
  let y = x;
  for (let axis = 0; axis < shape.length; axis++) {
    const count = shape[axis]!;
    let s = step[axis]!;
    let start = begin[axis]!;
    if (s < 0) {
      // Reversed, index i becomes extent - 1 - i.
      y = tf.reverse(y, axis);
      start = y.shape[axis]! - 1 - start;
      s = -s;
    }
    const span = count === 0 ? 0 : (count - 1) * s + 1;
    y = tf.slice(y, y.shape.map((_, d) => (d === axis ? start : 0)), y.shape.map((n, d) => (d === axis ? span : n)));
    if (s > 1 && count > 0) {
      // Every s-th element: pad to count·s, split the axis into [count, s] and keep column 0.
      y = tf.pad(y, y.shape.map((_, d) => (d === axis ? [0, count * s - span] : [0, 0])) as [number, number][]);
      const split = [...y.shape.slice(0, axis), count, s, ...y.shape.slice(axis + 1)];
      y = tf.slice(tf.reshape(y, split), split.map(() => 0), split.map((n, d) => (d === axis + 1 ? 1 : n)));
      y = tf.reshape(y, [...split.slice(0, axis + 1), ...split.slice(axis + 2)]);
    }
  }
  return y;
}

const gather: OpConverter = {
  id: 'Gather',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const indices = ctx.input(1);
    const axis = normaliseAxis(ctx, ctx.int('axis', 0), x.shape.length);
    const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
    const extent = x.shape[axis]!;
    if (indices.constant) {
      const picks = Array.from(indices.constant.data, (i) => (i < 0 ? i + extent : i));
      if (picks.some((i) => i < 0 || i >= extent)) ctx.fail(`an index is out of range for an axis of ${extent}`);
      if (x.constant) return folded(hostGather(x.constant, indices.constant, axis));
      // Constant indices are slices: tfjs's gather gradient needs UnsortedSegmentSum, which wasm lacks.
      return run([{ shape, dtype: x.dtype }], ([input]) => [tf.reshape(gatherBySlices(input!, picks, axis), shape)]);
    }
    return run([{ shape, dtype: x.dtype }], ([input, index]) => {
      const flat = tf.reshape(index!, [-1]);
      // Negative indices count from the end.
      const wrapped = tf.where(tf.less(flat, 0), tf.add(flat, extent), flat);
      return [tf.reshape(tf.gather(input!, wrapped, axis), shape)];
    });
  },
};

const expand: OpConverter = {
  id: 'Expand',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const target = Array.from(ctx.constant(1, 'shape').data);
    const shape = broadcastShapes(x.shape, target) ?? ctx.fail(`cannot expand [${x.shape.join(', ')}] to [${target.join(', ')}]`);
    const padded = [...new Array<number>(shape.length - x.shape.length).fill(1), ...x.shape];
    return run([{ shape, dtype: x.dtype }], ([input]) => [tf.broadcastTo(tf.reshape(input!, padded), shape)]);
  },
};

const tile: OpConverter = {
  id: 'Tile',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const x = ctx.input(0);
    const repeats = Array.from(ctx.constant(1, 'repeats').data);
    if (repeats.length !== x.shape.length) ctx.fail(`repeats [${repeats.join(', ')}] do not fit rank ${x.shape.length}`);
    return run([{ shape: x.shape.map((d, i) => d * repeats[i]!), dtype: x.dtype }], ([input]) => [tf.tile(input!, repeats)]);
  },
};

const constantOfShape: OpConverter = {
  id: 'ConstantOfShape',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const shape = Array.from(ctx.constant(0, 'shape').data);
    const attr = ctx.attribute('value');
    const value = attr?.type === 'tensor' ? tensorToHost(attr.value, { modelFile: ctx.node.name }) : host('float32', [1], [0]);
    return folded(host(value.dtype, shape, new Array<number>(sizeOf(shape)).fill(value.data[0] ?? 0)));
  },
};

const constant: OpConverter = {
  id: 'Constant',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const attr = (name: string) => ctx.attribute(name);
    const value = attr('value');
    if (value?.type === 'tensor') return folded(tensorToHost(value.value, { modelFile: ctx.node.name }));
    const float = attr('value_float');
    if (float?.type === 'float') return folded(host('float32', [], [float.value]));
    const floats = attr('value_floats');
    if (floats?.type === 'floats') return folded(host('float32', [floats.value.length], floats.value));
    const int = attr('value_int');
    if (int?.type === 'int') return folded(host('int32', [], [int.value]));
    const ints = attr('value_ints');
    if (ints?.type === 'ints') return folded(hostInts(ints.value));
    return ctx.fail('only tensor, float(s) and int(s) constants are supported');
  },
};

const range: OpConverter = {
  id: 'Range',
  opsets: ALL_OPSETS,
  layout: 'onnx',
  lower(ctx) {
    const [start, limit, delta] = [0, 1, 2].map((i) => ctx.constant(i, ['start', 'limit', 'delta'][i]!).data[0]!) as [number, number, number];
    const count = Math.max(0, Math.ceil((limit - start) / delta));
    return folded(host(ctx.input(0).dtype, [count], Array.from({ length: count }, (_, i) => start + i * delta)));
  },
};

/** Dropout at inference is the identity; its mask, if asked for, is all true. */
const dropout: OpConverter = {
  id: 'Dropout',
  opsets: ALL_OPSETS,
  layout: 'elementwise',
  lower(ctx) {
    const x = ctx.input(0);
    if (ctx.opset >= 12 && ctx.inputs[2]?.constant?.data[0]) ctx.fail('training mode is not supported; export the model in eval mode');
    const outputs = [{ shape: x.shape, dtype: x.dtype }];
    const withMask = Boolean(ctx.node.outputs[1]);
    if (withMask) outputs.push({ shape: x.shape, dtype: 'bool' });
    return run(outputs, ([input]) => (withMask ? [tf.clone(input!), tf.cast(tf.onesLike(input!), 'bool')] : [tf.clone(input!)]));
  },
};

export const SHAPE_OPS: readonly OpConverter[] = [
  shapeOp, reshape, flatten, squeeze, unsqueeze, transpose, concat, split, slice, gather, expand, tile, constantOfShape, constant, range, dropout,
];
