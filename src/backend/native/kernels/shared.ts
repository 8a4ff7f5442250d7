/**
 * What the native kernels share: heap views, the geometry record the addon reads, and the
 * activation codes. A native kernel runs inside the tfjs engine on the wasm backend's raw
 * TensorInfos: it allocates its output with `backend.makeOutput` and only then takes views
 * of the heap (any allocation may grow, and so replace, the heap's buffer); the addon call
 * is synchronous, so the views stay valid for its duration.
 */
import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ACTIVATION_CODES, type NativeAddon } from '../addon.js';

export type { BackendWasm };

/** The wasm kernel a native one replaces, called for whatever the native one does not handle. */
export type Fallback = KernelFunc;

/** A native kernel: given the addon and the kernel it replaces, the function to register. */
export interface NativeKernelDefinition {
  readonly kernelName: string;
  make(addon: NativeAddon, fallback: Fallback): KernelFunc;
}

/** A kernel the addon adds to the wasm backend under a name of ssl-robust's own: nothing to fall back to. */
export interface AddedNativeKernel {
  readonly kernelName: string;
  make(addon: NativeAddon): KernelFunc;
}

export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function allFloat32(...infos: readonly TensorInfo[]): boolean {
  return infos.every((info) => info.dtype === 'float32');
}

export function isChannelsLast(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * The addon's ConvGeometry (native/src/conv.h), in its field order. `yAlloc` is the stored
 * height and width of y / dy when larger than the output (Conv2DBackpropInput's dy may be).
 */
export function convGeometry(info: backend_util.Conv2DInfo, groups: number, yAlloc?: readonly [number, number]): Int32Array {
  return Int32Array.of(
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
    groups,
    yAlloc?.[0] ?? info.outHeight,
    yAlloc?.[1] ?? info.outWidth,
  );
}

/** Every extent of the convolution is non-zero (the addon, like XNNPACK, takes no empty operators). */
export function convIsNonEmpty(info: backend_util.Conv2DInfo): boolean {
  return (
    info.batchSize * info.inHeight * info.inWidth * info.inChannels * info.outHeight * info.outWidth * info.outChannels *
      info.filterHeight * info.filterWidth > 0 &&
    info.padInfo.top >= 0 &&
    info.padInfo.left >= 0
  );
}

/** The addon's code for a tfjs fused activation, or undefined for one it lacks (prelu). */
export function activationCode(activation: string | undefined): number | undefined {
  const name = activation ?? 'linear';
  return Object.hasOwn(ACTIVATION_CODES, name) ? ACTIVATION_CODES[name as keyof typeof ACTIVATION_CODES] : undefined;
}

/**
 * A bias the native kernels can add: one value per output channel (the last axis) or a
 * single value, every other axis 1. Returns its length, or undefined for another shape.
 */
export function channelBiasLength(bias: TensorInfo, channels: number): number | undefined {
  const last = bias.shape[bias.shape.length - 1] ?? 1;
  const leadingOnes = bias.shape.slice(0, -1).every((d) => d === 1);
  return leadingOnes && (last === channels || last === 1) ? last : undefined;
}

/** Runs `native` on a freshly allocated float32 output; on a refusal frees it and returns undefined. */
export function withOutput(backend: BackendWasm, shape: number[], native: (out: TensorInfo) => string | undefined): TensorInfo | undefined {
  const out = backend.makeOutput(shape, 'float32');
  let refusal: string | undefined;
  try {
    refusal = native(out);
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  if (refusal === undefined) return out;
  backend.disposeData(out.dataId);
  return undefined;
}
