/**
 * Depthwise convolutions on the addon, as oneDNN grouped convolutions with one group per
 * input channel (tfjs's [fh, fw, inC, multiplier] filter is read in place):
 * DepthwiseConv2dNative, FusedDepthwiseConv2D and the two gradients.
 */
import {
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedDepthwiseConv2D,
  type DepthwiseConv2dNativeAttrs,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type FusedDepthwiseConv2DAttrs,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import {
  activationCode,
  allFloat32,
  channelBiasLength,
  convGeometry,
  convIsNonEmpty,
  heapF32,
  isChannelsLast,
  withOutput,
  type BackendWasm,
  type Fallback,
  type NativeKernelDefinition,
} from './shared.js';

type Shape4 = [number, number, number, number];
type Geometry = Pick<DepthwiseConv2dNativeAttrs, 'strides' | 'dilations' | 'pad' | 'dimRoundingMode'>;

function depthwiseInfo(xShape: Shape4, filterShape: Shape4, g: Geometry): backend_util.Conv2DInfo | undefined {
  if (xShape[3] !== filterShape[2]) return undefined;
  // Some callers (e.g. tfjs's own gradients) pass no dilations: 1, as the cpu kernel assumes.
  const info = backend_util.computeConv2DInfo(xShape, filterShape, g.strides, g.dilations ?? 1, g.pad, g.dimRoundingMode, true, 'channelsLast');
  return convIsNonEmpty(info) ? info : undefined;
}

function nativeDepthwise(
  addon: NativeAddon,
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: DepthwiseConv2dNativeAttrs,
  fused?: { bias?: TensorInfo; activation: number; alpha: number },
): TensorInfo | undefined {
  if (!isChannelsLast(attrs.dataFormat) || !allFloat32(x, filter) || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const info = depthwiseInfo(x.shape as Shape4, filter.shape as Shape4, attrs);
  if (info === undefined) return undefined;
  let biasValues: Float32Array | null = null;
  if (fused?.bias !== undefined) {
    const length = allFloat32(fused.bias) ? channelBiasLength(fused.bias, info.outChannels) : undefined;
    if (length === undefined) return undefined;
    const stored = heapF32(backend, fused.bias);
    biasValues = length === 1 ? new Float32Array(info.outChannels).fill(stored[0]!) : stored.slice();
  }
  const geometry = convGeometry(info, info.inChannels);
  return withOutput(backend, [...info.outShape], (out) =>
    addon.conv(0, geometry, heapF32(backend, x), heapF32(backend, filter), heapF32(backend, out), biasValues, fused?.activation ?? 0, fused?.alpha ?? 0),
  );
}

export const depthwiseConv2dNativeNative: NativeKernelDefinition = {
  kernelName: DepthwiseConv2dNative,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as DepthwiseConv2dNativeAttrs;
      return nativeDepthwise(addon, args.backend as BackendWasm, inputs['x']!, inputs['filter']!, attrs) ?? fallback(args);
    },
};

export const fusedDepthwiseConv2DNative: NativeKernelDefinition = {
  kernelName: FusedDepthwiseConv2D,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as FusedDepthwiseConv2DAttrs;
      const activation = activationCode(attrs.activation);
      if (activation === undefined || inputs['preluActivationWeights'] != null) return fallback(args);
      const bias = inputs['bias'] ?? undefined;
      const fused = { ...(bias ? { bias } : {}), activation, alpha: attrs.leakyreluAlpha ?? 0.2 };
      return nativeDepthwise(addon, args.backend as BackendWasm, inputs['x']!, inputs['filter']!, attrs, fused) ?? fallback(args);
    },
};

export const depthwiseBackpropInputNative: NativeKernelDefinition = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const backend = args.backend as BackendWasm;
      const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
      const dy = inputs['dy']!;
      const filter = inputs['filter']!;
      if (!allFloat32(dy, filter) || attrs.inputShape.length !== 4 || filter.shape.length !== 4) return fallback(args);
      const info = depthwiseInfo(attrs.inputShape, filter.shape as Shape4, attrs);
      if (info === undefined || dy.shape.length !== 4 || !dy.shape.every((d, i) => d === info.outShape[i])) return fallback(args);
      const geometry = convGeometry(info, info.inChannels);
      const dx = withOutput(backend, [...attrs.inputShape], (out) =>
        addon.conv(1, geometry, heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, out), null, 0, 0),
      );
      return dx ?? fallback(args);
    },
};

export const depthwiseBackpropFilterNative: NativeKernelDefinition = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const backend = args.backend as BackendWasm;
      const attrs = args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
      const x = inputs['x']!;
      const dy = inputs['dy']!;
      if (!allFloat32(x, dy) || x.shape.length !== 4) return fallback(args);
      const info = depthwiseInfo(x.shape as Shape4, attrs.filterShape, attrs);
      if (info === undefined || dy.shape.length !== 4 || !dy.shape.every((d, i) => d === info.outShape[i])) return fallback(args);
      const geometry = convGeometry(info, info.inChannels);
      const dw = withOutput(backend, [...attrs.filterShape], (out) =>
        addon.conv(2, geometry, heapF32(backend, x), heapF32(backend, dy), heapF32(backend, out), null, 0, 0),
      );
      return dw ?? fallback(args);
    },
};
