/**
 * Tile on the addon. tfjs-backend-wasm 4.22's Tile is a per-element index loop that took
 * ~370 ms to tile a [1, 1, 1, 64] vector to 64×26×26×64 (the batch-norm gradient does exactly
 * that), two thirds of an FGSM step on the bundled CNN; block copies take about a millisecond.
 * float32 and int32 only; other dtypes go to the wasm kernel.
 */
import { Tile, type KernelFunc, type NamedTensorInfoMap, type TensorInfo, type TileAttrs } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import type { BackendWasm, Fallback, NativeKernelDefinition } from './shared.js';

function nativeTile(addon: NativeAddon, backend: BackendWasm, x: TensorInfo, reps: readonly number[]): TensorInfo | undefined {
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || reps.length !== x.shape.length || x.shape.length > 8) return undefined;
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after the allocation: it may have grown (and so replaced) the heap.
  const view = (info: TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array | Int32Array;
  try {
    addon.tile(view(x), Int32Array.from(x.shape), Int32Array.from(reps), view(out));
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

export const tileNative: NativeKernelDefinition = {
  kernelName: Tile,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as TileAttrs;
      return nativeTile(addon, args.backend as BackendWasm, inputs['x']!, attrs.reps) ?? fallback(args);
    },
};
