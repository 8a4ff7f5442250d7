/** Conv and ConvTranspose (2-D), run as tfjs NHWC convolutions with weights relaid out once at load. */
import * as tf from '@tensorflow/tfjs-core';
import { hostReshape, hostTranspose, type HostTensor } from '../host-tensor.js';
import { run } from './common.js';
import { nhwcPads, outputSizes, spatialPads, tfPadding, windowOf } from './padding.js';
import { ALL_OPSETS, type NodeContext, type OpConverter } from './types.js';

function requireImage(ctx: NodeContext): readonly number[] {
  const x = ctx.input(0);
  if (x.shape.length !== 4) ctx.fail(`only 2-D convolutions on NCHW images are supported, got an input of rank ${x.shape.length}`);
  return x.shape;
}

type Pad = 'valid' | number;

/** One convolution of an NHWC input with an HWIO (or depthwise HWCM) filter, plus an optional bias. */
function convolve(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D | undefined, strides: [number, number], pad: Pad, depthwise: boolean): tf.Tensor4D {
  const options = { x, filter, strides, pad, ...(bias ? { bias } : {}) };
  return depthwise ? tf.fused.depthwiseConv2d(options) : tf.fused.conv2d(options);
}

/**
 * A dilated kernel written out with zeros between its taps. tfjs has no gradient for dilated
 * convolutions; the equivalent dense kernel costs more arithmetic but differentiates everywhere.
 */
function dilateKernel(v: HostTensor, dilations: readonly number[]): HostTensor {
  const [m, c, kh, kw] = v.shape as [number, number, number, number];
  const [dh, dw] = dilations as [number, number];
  if (dh === 1 && dw === 1) return v;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const out = new Float32Array(m * c * eh * ew);
  for (let o = 0; o < m * c; o++) {
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) out[(o * eh + i * dh) * ew + j * dw] = v.data[(o * kh + i) * kw + j]!;
  }
  return { dtype: 'float32', shape: [m, c, eh, ew], data: out };
}

const conv: OpConverter = {
  id: 'Conv',
  opsets: ALL_OPSETS,
  layout: 'nhwc',
  lower(ctx) {
    const [n, c, h, w] = requireImage(ctx) as [number, number, number, number];
    const weight = ctx.constant(1, 'weight');
    if (weight.shape.length !== 4) ctx.fail(`weight of rank ${weight.shape.length}; only 2-D convolutions are supported`);
    const [m, perGroup, kh, kw] = weight.shape as [number, number, number, number];
    const group = ctx.int('group', 1);
    if (perGroup * group !== c || m % group !== 0) ctx.fail(`weight [${weight.shape.join(', ')}] with group ${group} does not fit ${c} input channels`);
    const window = windowOf(ctx, ctx.ints('kernel_shape', [kh, kw]));
    const pads = spatialPads(ctx, [h, w], window);
    const [oh, ow] = outputSizes([h, w], window, pads) as [number, number];
    const strides = window.strides as [number, number];
    const dilations = window.dilations;
    const [ekh, ekw] = [(kh - 1) * dilations[0]! + 1, (kw - 1) * dilations[1]! + 1];
    // Uneven pads (SAME_UPPER on even sizes) are applied first; tfjs then convolves unpadded.
    const even = tfPadding(pads);
    const pad: Pad = even ?? 'valid';
    const prePad = even === undefined ? nhwcPads(pads) : undefined;
    const padded = (x: tf.Tensor) => (prePad ? tf.pad(x as tf.Tensor4D, prePad) : (x as tf.Tensor4D));
    const bias = ctx.inputs[2] ? (ctx.weight(2, 'bias') as tf.Tensor1D) : undefined;
    const out = [{ shape: [n, m, oh, ow], dtype: 'float32' as const }];
    const depthwise = group === c && perGroup === 1;
    if (group === 1 || depthwise) {
      // ONNX [M, C/g, kH, kW] → tfjs HWIO [kH, kW, C, M], or depthwise [kH, kW, C, M/C].
      const filter = ctx.weight(1, depthwise ? 'depthwise' : 'hwio', (v) => {
        const hwio = hostTranspose(dilateKernel(v, dilations), [2, 3, 1, 0]);
        return depthwise ? hostReshape(hwio, [ekh, ekw, c, m / c]) : hwio;
      }) as tf.Tensor4D;
      return run(out, ([x]) => [convolve(padded(x!), filter, bias, strides, pad, depthwise)]);
    }
    // Grouped convolution: one convolution per group on its slice of channels, concatenated.
    const outPerGroup = m / group;
    const filters = Array.from({ length: group }, (_, g) =>
      ctx.weight(1, `group${g}`, (v) => hostTranspose(dilateKernel(sliceRows(v, g * outPerGroup, outPerGroup), dilations), [2, 3, 1, 0])) as tf.Tensor4D);
    return run(out, ([x]) => {
      const parts = tf.split(padded(x!), group, 3) as tf.Tensor4D[];
      const ys = parts.map((part, g) => convolve(part, filters[g]!, undefined, strides, pad, false));
      const y = tf.concat(ys, 3);
      return [bias ? tf.add(y, bias) : y];
    });
  },
};

/** Rows [start, start + count) of the first axis. */
function sliceRows(v: HostTensor, start: number, count: number): HostTensor {
  const inner = v.data.length / v.shape[0]!;
  return { ...v, shape: [count, ...v.shape.slice(1)], data: v.data.slice(start * inner, (start + count) * inner) };
}

const convTranspose: OpConverter = {
  id: 'ConvTranspose',
  opsets: ALL_OPSETS,
  layout: 'nhwc',
  lower(ctx) {
    const [n, c, h, w] = requireImage(ctx) as [number, number, number, number];
    const weight = ctx.constant(1, 'weight');
    if (weight.shape.length !== 4 || weight.shape[0] !== c) ctx.fail(`weight [${weight.shape.join(', ')}] does not fit ${c} input channels`);
    const [, m, kh, kw] = weight.shape as [number, number, number, number];
    if (ctx.int('group', 1) !== 1) ctx.fail('grouped transposed convolutions are not supported');
    const window = windowOf(ctx, ctx.ints('kernel_shape', [kh, kw]));
    if (window.dilations.some((d) => d !== 1)) ctx.fail('dilated transposed convolutions are not supported');
    if (ctx.has('output_shape')) ctx.fail('output_shape is not supported; export with pads instead');
    const [sh, sw] = window.strides as [number, number];
    const outputPadding = ctx.ints('output_padding', [0, 0]);
    const flat = ctx.ints('pads', [0, 0, 0, 0]);
    const autoPad = ctx.string('auto_pad', 'NOTSET');
    if (autoPad !== 'NOTSET' && autoPad !== 'VALID') ctx.fail(`auto_pad ${autoPad} is not supported for ConvTranspose`);
    const fullH = (h - 1) * sh + kh;
    const fullW = (w - 1) * sw + kw;
    const oh = fullH - flat[0]! - flat[2]! + outputPadding[0]!;
    const ow = fullW - flat[1]! - flat[3]! + outputPadding[1]!;
    // ONNX [C, M, kH, kW] → tfjs [kH, kW, M, C].
    const filter = ctx.weight(1, 'transpose', (v) => hostTranspose(v, [2, 3, 1, 0])) as tf.Tensor4D;
    const bias = ctx.inputs[2] ? ctx.weight(2, 'bias') : undefined;
    return run([{ shape: [n, m, oh, ow], dtype: 'float32' }], ([x]) => {
      let y: tf.Tensor4D = tf.conv2dTranspose(x as tf.Tensor4D, filter, [n, fullH, fullW, m], [sh, sw], 'valid');
      // Crop the pads; output padding beyond the crop adds zeros at the end.
      const extraH = Math.max(0, oh + flat[0]! - fullH);
      const extraW = Math.max(0, ow + flat[1]! - fullW);
      if (extraH || extraW) y = tf.pad(y, [[0, 0], [0, extraH], [0, extraW], [0, 0]]);
      y = tf.slice(y, [0, flat[0]!, flat[1]!, 0], [n, oh, ow, m]);
      return [bias ? tf.add(y, bias) : y];
    });
  },
};

export const CONV_OPS: readonly OpConverter[] = [conv, convTranspose];
