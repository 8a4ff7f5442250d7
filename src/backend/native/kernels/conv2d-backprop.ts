/**
 * The two gradients of Conv2D on the addon: Conv2DBackpropInput (dx, what attacks need) and
 * Conv2DBackpropFilter (dW, what training needs). Geometry as the cpu backend computes it
 * (computeConv2DInfo, no dilations: the ops have none). NCHW and non-float32 data go to the
 * wasm kernels, and so do malformed shapes, so that those report them as before.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import {
  allFloat32,
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

function nativeBackpropInput(addon: NativeAddon, backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, attrs: Conv2DBackpropInputAttrs): TensorInfo | undefined {
  const { inputShape } = attrs;
  if (!isChannelsLast(attrs.dataFormat) || !allFloat32(dy, filter)) return undefined;
  if (inputShape.length !== 4 || dy.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  if (filter.shape[2] !== inputShape[3] || filter.shape[3] !== dy.shape[3]) return undefined;
  const info = backend_util.computeConv2DInfo(inputShape as Shape4, filter.shape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const [dyBatch, dyHeight, dyWidth] = dy.shape as Shape4;
  // Like cpu, a larger dy is read only where the convolution's output lies; a smaller one is refused by the wasm kernel.
  if (dyBatch < info.batchSize || dyHeight < info.outHeight || dyWidth < info.outWidth || !convIsNonEmpty(info)) return undefined;
  const geometry = convGeometry(info, 1, [dyHeight, dyWidth]);
  return withOutput(backend, [...inputShape], (dx) =>
    addon.conv(1, geometry, heapF32(backend, dy), heapF32(backend, filter), heapF32(backend, dx), null, 0, 0),
  );
}

function nativeBackpropFilter(addon: NativeAddon, backend: BackendWasm, x: TensorInfo, dy: TensorInfo, attrs: Conv2DBackpropFilterAttrs): TensorInfo | undefined {
  const { filterShape } = attrs;
  if (!isChannelsLast(attrs.dataFormat) || !allFloat32(x, dy) || x.shape.length !== 4 || x.shape[3] !== filterShape[2]) return undefined;
  const info = backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const sameShape = dy.shape.length === 4 && dy.shape.every((d, i) => d === info.outShape[i]);
  if (!sameShape || !convIsNonEmpty(info)) return undefined;
  const geometry = convGeometry(info, 1);
  return withOutput(backend, [...filterShape], (dw) =>
    addon.conv(2, geometry, heapF32(backend, x), heapF32(backend, dy), heapF32(backend, dw), null, 0, 0),
  );
}

export const conv2DBackpropInputNative: NativeKernelDefinition = {
  kernelName: Conv2DBackpropInput,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
      return nativeBackpropInput(addon, args.backend as BackendWasm, inputs['dy']!, inputs['filter']!, attrs) ?? fallback(args);
    },
};

export const conv2DBackpropFilterNative: NativeKernelDefinition = {
  kernelName: Conv2DBackpropFilter,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
      return nativeBackpropFilter(addon, args.backend as BackendWasm, inputs['x']!, inputs['dy']!, attrs) ?? fallback(args);
    },
};
