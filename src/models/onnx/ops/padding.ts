/** ONNX's spatial padding rules (explicit pads, auto_pad, ceil_mode) for 2-D convolutions and pools. */
import type { NodeContext } from './types.js';

/** Begin and end padding of each spatial axis. */
export type SpatialPads = readonly (readonly [number, number])[];

export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
}

export function windowOf(ctx: NodeContext, kernel: readonly number[]): Window {
  const n = kernel.length;
  return { kernel, strides: ctx.ints('strides', new Array<number>(n).fill(1)), dilations: ctx.ints('dilations', new Array<number>(n).fill(1)) };
}

/** Pads from `pads` or `auto_pad`, plus the extra end padding ceil_mode needs. */
export function spatialPads(ctx: NodeContext, sizes: readonly number[], window: Window, ceilMode = false): SpatialPads {
  const n = sizes.length;
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  let pads: [number, number][];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = sizes.map((size, i) => {
      const span = (window.kernel[i]! - 1) * window.dilations[i]! + 1;
      const total = Math.max(0, (Math.ceil(size / window.strides[i]!) - 1) * window.strides[i]! + span - size);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    });
  } else if (autoPad === 'VALID') {
    pads = sizes.map(() => [0, 0]);
  } else if (autoPad === 'NOTSET') {
    const flat = ctx.ints('pads', new Array<number>(2 * n).fill(0));
    if (flat.length !== 2 * n || flat.some((p) => p < 0)) ctx.fail(`pads [${flat.join(', ')}] do not fit ${n} spatial axes`);
    pads = sizes.map((_, i) => [flat[i]!, flat[i + n]!]);
  } else {
    return ctx.fail(`unknown auto_pad '${autoPad}'`);
  }
  if (!ceilMode) return pads;
  return pads.map(([begin, end], i) => {
    const span = (window.kernel[i]! - 1) * window.dilations[i]! + 1;
    const padded = sizes[i]! + begin + end;
    const stride = window.strides[i]!;
    let out = Math.ceil((padded - span) / stride) + 1;
    // A last window that would start in the end padding is dropped (as PyTorch and onnxruntime do).
    if ((out - 1) * stride >= sizes[i]! + begin) out -= 1;
    return [begin, end + Math.max(0, (out - 1) * stride + span - padded)];
  });
}

export function outputSizes(sizes: readonly number[], window: Window, pads: SpatialPads): number[] {
  return sizes.map((size, i) => {
    const span = (window.kernel[i]! - 1) * window.dilations[i]! + 1;
    return Math.floor((size + pads[i]![0] + pads[i]![1] - span) / window.strides[i]!) + 1;
  });
}

export type NhwcPads = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit NHWC pads for tf.pad. */
export function nhwcPads(pads: SpatialPads): NhwcPads {
  return [[0, 0], [pads[0]![0], pads[0]![1]], [pads[1]![0], pads[1]![1]], [0, 0]];
}

/** tfjs's padding argument where it can express the pads ('valid' or the same number on every side), else undefined. */
export function tfPadding(pads: SpatialPads): 'valid' | number | undefined {
  const all = pads.flat();
  if (all.every((p) => p === all[0])) return all[0] === 0 ? 'valid' : all[0]!;
  return undefined;
}
