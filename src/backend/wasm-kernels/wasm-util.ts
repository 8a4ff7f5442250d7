/**
 * Helpers shared by the wasm gradient kernels in this folder.
 *
 * The kernels run inside the tfjs engine (engine.runKernel), so they work on raw
 * `TensorInfo`s owned by the wasm backend rather than on `Tensor`s. Nested work is done
 * by calling the wasm backend's own registered kernel functions directly: that skips
 * the engine (no tape, no tensor tracking) and leaves us in charge of freeing every
 * intermediate with `backend.disposeData`.
 */
import {
  backend_util,
  getKernel,
  type DataType,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

/** Runs the wasm backend's kernel `name` on `inputs`; the caller owns (and must dispose) the result. */
export function runWasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = getKernel(name, 'wasm');
  if (config === undefined) {
    throw new Error(`wasm gradient kernels need the wasm backend's '${name}' kernel, which is not registered.`);
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  const info = Array.isArray(out) ? out[0] : out;
  if (info === undefined) throw new Error(`wasm kernel '${name}' returned no output.`);
  return info;
}

/** Releases backend memory of intermediates (each one was handed to us with refCount 1). */
export function disposeInfos(backend: BackendWasm, ...infos: readonly TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Allocates a float32 output on the wasm heap; malloc does not zero memory, so `zero` clears it. */
export function makeFloat32Output(backend: BackendWasm, shape: number[], zero: boolean): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  if (zero) heapF32(backend, out).fill(0);
  return out;
}

/**
 * A Float32Array view of a tensor in the wasm heap. Any allocation can grow (and so
 * detach) the heap buffer, so take views only after the last allocation of a step.
 */
export function heapF32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function assertFloat32(kernelName: string, ...pairs: ReadonlyArray<readonly [string, DataType]>): void {
  for (const [name, dtype] of pairs) {
    if (dtype !== 'float32') {
      throw new Error(`wasm ${kernelName}: ${name} must be float32, got ${dtype}.`);
    }
  }
}

/** The conv kernels here read NHWC data; NCHW would need a different index layout. */
export function assertChannelsLast(kernelName: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(
      `wasm ${kernelName} supports only dataFormat 'NHWC', got '${dataFormat}'. ` +
        'Transpose NCHW data to NHWC first.',
    );
  }
}

/**
 * Checks that dy has the spatial shape the forward op would have produced; a mismatch
 * (e.g. forward and backward computed with different dimRoundingMode) has no
 * well-defined gradient, so we refuse it instead of reading out of range.
 */
export function assertDyShape(kernelName: string, dyShape: readonly number[], convInfo: backend_util.Conv2DInfo): void {
  const [b, h, w, c] = convInfo.outShape;
  if (dyShape.length !== 4 || dyShape[0] !== b || dyShape[1] !== h || dyShape[2] !== w || dyShape[3] !== c) {
    throw new Error(
      `wasm ${kernelName}: dy has shape [${dyShape.join(', ')}] but the convolution output ` +
        `shape is [${convInfo.outShape.join(', ')}].`,
    );
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
