/** Pad (constant, reflect, edge) and Resize (nearest, linear) on NHWC-capable layouts. */
import * as tf from '@tensorflow/tfjs-core';
import { host, type HostTensor } from '../host-tensor.js';
import { normaliseAxis, run } from './common.js';
import { ALL_OPSETS, type NodeContext, type OpConverter } from './types.js';

/** [begin, end] per logical axis, from the pads attribute (before opset 11) or input (with optional axes). */
function padAmounts(ctx: NodeContext, rank: number): [number, number][] {
  const flat = ctx.opset < 11 ? ctx.ints('pads') : Array.from(ctx.constant(1, 'pads').data);
  const axes = ctx.opset >= 18 && ctx.inputs[3] ? Array.from(ctx.constant(3, 'axes').data).map((a) => normaliseAxis(ctx, a, rank)) : [...Array(rank).keys()];
  if (flat.length !== 2 * axes.length) ctx.fail(`pads [${flat.join(', ')}] do not fit ${axes.length} axes`);
  const out: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
  axes.forEach((axis, i) => (out[axis] = [flat[i]!, flat[i + axes.length]!]));
  return out;
}

/**
 * Edge or reflect padding by concatenating slices: differentiable everywhere (tfjs's mirrorPad
 * gradient drops the reflected part, so it is not used).
 */
function borderPad(x: tf.Tensor, pads: readonly [number, number][], mode: 'edge' | 'reflect'): tf.Tensor {
  let y = x;
  pads.forEach(([before, after], axis) => {
    if (!before && !after) return;
    const size = y.shape[axis]!;
    const take = (start: number, count: number) => tf.slice(y, y.shape.map((_, i) => (i === axis ? start : 0)), y.shape.map((d, i) => (i === axis ? count : d)));
    const parts: tf.Tensor[] = [];
    if (mode === 'edge') {
      for (let i = 0; i < before; i++) parts.push(take(0, 1));
      parts.push(y);
      for (let i = 0; i < after; i++) parts.push(take(size - 1, 1));
    } else {
      // Reflection excludes the border itself: x[a], …, x[1] | x | x[n-2], …, x[n-1-b].
      if (before) parts.push(tf.reverse(take(1, before), axis));
      parts.push(y);
      if (after) parts.push(tf.reverse(take(size - 1 - after, after), axis));
    }
    y = tf.concat(parts, axis);
  });
  return y;
}

const pad: OpConverter = {
  id: 'Pad',
  opsets: ALL_OPSETS,
  layout: 'axes',
  lower(ctx) {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const logical = padAmounts(ctx, rank);
    const mode = ctx.string('mode', 'constant');
    const value = ctx.opset < 11 ? ctx.float('value', 0) : ctx.inputs[2] ? ctx.constant(2, 'constant value').data[0] ?? 0 : 0;
    const shape = x.shape.map((d, i) => d + logical[i]![0] + logical[i]![1]);
    // Pads per stored axis; negative pads crop, which is a slice after padding the positive part.
    const stored: [number, number][] = Array.from({ length: rank }, () => [0, 0]);
    logical.forEach((p, axis) => (stored[ctx.axis(axis, rank)] = p));
    const positive = stored.map(([a, b]) => [Math.max(0, a), Math.max(0, b)] as [number, number]);
    const crop = stored.map(([a, b]) => [Math.max(0, -a), Math.max(0, -b)] as [number, number]);
    if (mode === 'reflect' && logical.some(([a, b], axis) => a >= x.shape[axis]! || b >= x.shape[axis]!)) ctx.fail('reflect padding as wide as the input');
    if (!['constant', 'reflect', 'edge'].includes(mode)) ctx.fail(`mode '${mode}' is not supported`);
    return run([{ shape, dtype: x.dtype }], ([input]) => {
      let y = mode === 'constant' ? tf.pad(input!, positive, value) : borderPad(input!, positive, mode as 'edge' | 'reflect');
      if (crop.some(([a, b]) => a || b)) y = tf.slice(y, crop.map(([a]) => a), y.shape.map((d, i) => d - crop[i]![0] - crop[i]![1]));
      return [y];
    });
  },
};

const resize: OpConverter = {
  id: 'Resize',
  opsets: [11, 21],
  layout: (_, inputs) => (inputs[0]?.shape.length === 4 ? 'nhwc' : 'onnx'),
  lower(ctx) {
    const x = ctx.input(0);
    if (x.shape.length !== 4) ctx.fail('only NCHW images can be resized');
    const [n, c, h, w] = x.shape as [number, number, number, number];
    let oh: number;
    let ow: number;
    const sizes = ctx.inputs[3] ? Array.from(ctx.constant(3, 'sizes').data) : [];
    const scales = ctx.inputs[2] ? Array.from(ctx.constant(2, 'scales').data) : [];
    if (sizes.length === 4) [oh, ow] = [sizes[2]!, sizes[3]!];
    else if (scales.length === 4) [oh, ow] = [Math.floor(h * scales[2]!), Math.floor(w * scales[3]!)];
    else return ctx.fail('neither 4 scales nor 4 sizes given');
    if ((sizes.length === 4 && (sizes[0] !== n || sizes[1] !== c)) || (scales.length === 4 && (scales[0] !== 1 || scales[1] !== 1))) {
      ctx.fail('only the spatial axes can be resized');
    }
    if (ctx.int('antialias', 0) !== 0) ctx.fail('antialiased resizing is not supported');
    const mode = ctx.string('mode', 'nearest');
    if (mode !== 'nearest' && mode !== 'linear') ctx.fail(`mode '${mode}' is not supported`);
    const transform = ctx.string('coordinate_transformation_mode', 'half_pixel');
    if (!(transform in SOURCE_COORDINATE)) ctx.fail(`coordinate_transformation_mode '${transform}' is not supported`);
    const nearest = ctx.string('nearest_mode', 'round_prefer_floor');
    if (!(nearest in ROUNDING)) ctx.fail(`nearest_mode '${nearest}' is not supported`);
    // Given scales define the coordinate mapping; with sizes it is output/input.
    const scaleH = scales.length === 4 ? scales[2]! : oh / h;
    const scaleW = scales.length === 4 ? scales[3]! : ow / w;
    const rows = ctx.derived(`rows-${oh}`, () => interpolationMatrix(h, oh, scaleH, transform, mode, nearest));
    const cols = ctx.derived(`cols-${ow}`, () => interpolationMatrix(w, ow, scaleW, transform, mode, nearest));
    return run([{ shape: [n, c, oh, ow], dtype: 'float32' }], ([input]) => [resizeSeparable(input as tf.Tensor4D, rows as tf.Tensor2D, cols as tf.Tensor2D)]);
  },
};

/** ONNX's source coordinate of output index i, per coordinate_transformation_mode. */
const SOURCE_COORDINATE: Readonly<Record<string, (i: number, scale: number, inSize: number, outSize: number) => number>> = {
  half_pixel: (i, scale) => (i + 0.5) / scale - 0.5,
  pytorch_half_pixel: (i, scale, _, outSize) => (outSize > 1 ? (i + 0.5) / scale - 0.5 : 0),
  align_corners: (i, _, inSize, outSize) => (outSize === 1 ? 0 : (i * (inSize - 1)) / (outSize - 1)),
  asymmetric: (i, scale) => i / scale,
};

const ROUNDING: Readonly<Record<string, (x: number) => number>> = {
  round_prefer_floor: (x) => (x - Math.floor(x) === 0.5 ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: (x) => Math.round(x),
  floor: Math.floor,
  ceil: Math.ceil,
};

/**
 * Resizing one axis is a linear map: an [outSize, inSize] matrix of interpolation weights (one-hot
 * rows for nearest). Built on the host from ONNX's own formulas, so results match onnxruntime and
 * the gradient is a plain matrix product on every backend.
 */
function interpolationMatrix(inSize: number, outSize: number, scale: number, transform: string, mode: string, nearest: string): HostTensor {
  const m = new Float32Array(outSize * inSize);
  const source = SOURCE_COORDINATE[transform]!;
  for (let i = 0; i < outSize; i++) {
    const x = source(i, scale, inSize, outSize);
    if (mode === 'nearest') {
      const j = Math.min(inSize - 1, Math.max(0, ROUNDING[nearest]!(x)));
      m[i * inSize + j] = 1;
      continue;
    }
    const clamped = Math.min(inSize - 1, Math.max(0, x));
    const low = Math.floor(clamped);
    const high = Math.min(inSize - 1, low + 1);
    const t = clamped - low;
    m[i * inSize + low]! += 1 - t;
    m[i * inSize + high]! += t;
  }
  return host('float32', [outSize, inSize], m);
}

/** NHWC images resized by the row matrix along H and the column matrix along W. */
function resizeSeparable(x: tf.Tensor4D, rows: tf.Tensor2D, cols: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const oh = rows.shape[0];
  const ow = cols.shape[0];
  // H: [oh, h] × [h, n·w·c].
  const alongH = tf.matMul(rows, tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, n * w * c]));
  // W: [ow, w] × [w, oh·n·c].
  const hFirst = tf.transpose(tf.reshape(alongH, [oh, n, w, c]), [2, 0, 1, 3]);
  const alongW = tf.matMul(cols, tf.reshape(hFirst, [w, oh * n * c]));
  return tf.transpose(tf.reshape(alongW, [ow, oh, n, c]), [2, 1, 0, 3]);
}

export const PAD_OPS: readonly OpConverter[] = [pad, resize];
