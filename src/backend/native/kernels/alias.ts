/**
 * Identity, and Cast to the dtype a tensor already has, as aliases of their input's data (a
 * reference count, as tfjs's Reshape and the cpu backend's Identity do) instead of copies.
 * tfjs clones every tensor a gradient saves for the backward pass (engine.clone → Identity), and
 * tfjs-backend-wasm 4.22 copies the whole buffer for each: in an attack step on a residual network
 * that is a copy of every activation, single-threaded. Tensors are immutable in tfjs (a Variable's
 * assign swaps its data, never writes into it), so sharing is safe. No addon call: these run
 * with the native kernels so that the fast path needs no change to the wasm backend's own set.
 */
import { Cast, Identity, type CastAttrs, type KernelFunc, type NamedTensorInfoMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm, Fallback, NativeKernelDefinition } from './shared.js';

function alias(backend: BackendWasm, x: TensorInfo): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityNative: NativeKernelDefinition = {
  kernelName: Identity,
  make: (_addon, fallback: Fallback): KernelFunc =>
    (args) => {
      const x = (args.inputs as NamedTensorInfoMap)['x']!;
      // Strings live outside the heap; the wasm kernel handles them.
      return x.dtype === 'string' ? fallback(args) : alias(args.backend as BackendWasm, x);
    },
};

export const castNative: NativeKernelDefinition = {
  kernelName: Cast,
  make: (_addon, fallback: Fallback): KernelFunc =>
    (args) => {
      const x = (args.inputs as NamedTensorInfoMap)['x']!;
      const { dtype } = args.attrs as unknown as CastAttrs;
      return x.dtype === dtype && dtype !== 'string' ? alias(args.backend as BackendWasm, x) : fallback(args);
    },
};
