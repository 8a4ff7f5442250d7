/**
 * Conv2D and FusedConv2D (bias and activation fused into oneDNN's primitive) on the addon.
 * NCHW, non-float32 data, prelu and biases of other shapes go to the wasm kernel.
 */
import {
  backend_util,
  Conv2D,
  FusedConv2D,
  type Conv2DAttrs,
  type FusedConv2DAttrs,
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

interface ConvRequest {
  readonly x: TensorInfo;
  readonly filter: TensorInfo;
  readonly attrs: Conv2DAttrs;
  readonly bias?: TensorInfo;
  readonly activation?: number;
  readonly leakyreluAlpha?: number;
}

/** The forward convolution, or undefined where the native kernel does not apply. */
function nativeConv2D(addon: NativeAddon, backend: BackendWasm, req: ConvRequest): TensorInfo | undefined {
  const { x, filter, attrs } = req;
  if (!isChannelsLast(attrs.dataFormat) || !allFloat32(x, filter) || x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  if (x.shape[3] !== filter.shape[2]) return undefined;  // the wasm kernel reports the mismatch
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs.strides,
    attrs.dilations ?? 1, // absent when a caller relies on the default, as the cpu kernel allows
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (!convIsNonEmpty(info)) return undefined;
  let biasValues: Float32Array | null = null;
  if (req.bias !== undefined) {
    if (!allFloat32(req.bias)) return undefined;
    const length = channelBiasLength(req.bias, info.outChannels);
    if (length === undefined) return undefined;
    const stored = heapF32(backend, req.bias);
    // Copied off the heap: a single value is spread to every channel, and makeOutput below may move the heap.
    biasValues = length === 1 ? new Float32Array(info.outChannels).fill(stored[0]!) : stored.slice();
  }
  const geometry = convGeometry(info, 1);
  return withOutput(backend, [...info.outShape], (out) =>
    addon.conv(0, geometry, heapF32(backend, x), heapF32(backend, filter), heapF32(backend, out), biasValues, req.activation ?? 0, req.leakyreluAlpha ?? 0),
  );
}

export const conv2DNative: NativeKernelDefinition = {
  kernelName: Conv2D,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const backend = args.backend as BackendWasm;
      const attrs = args.attrs as unknown as Conv2DAttrs;
      return nativeConv2D(addon, backend, { x: inputs['x']!, filter: inputs['filter']!, attrs }) ?? fallback(args);
    },
};

export const fusedConv2DNative: NativeKernelDefinition = {
  kernelName: FusedConv2D,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const backend = args.backend as BackendWasm;
      const attrs = args.attrs as unknown as FusedConv2DAttrs;
      const activation = activationCode(attrs.activation);
      if (activation === undefined || inputs['preluActivationWeights'] != null) return fallback(args);
      const bias = inputs['bias'] ?? undefined;
      const out = nativeConv2D(addon, backend, {
        x: inputs['x']!,
        filter: inputs['filter']!,
        attrs,
        ...(bias ? { bias } : {}),
        activation,
        leakyreluAlpha: attrs.leakyreluAlpha ?? 0.2,
      });
      return out ?? fallback(args);
    },
};
