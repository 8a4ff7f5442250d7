/**
 * Training-mode batch normalisation on the addon (see ../../batch-norm-training-kernels.ts): the
 * batch statistics, the normalisation and the gradient in two passes each, on every core, where
 * tfjs ops take about ten single-threaded ones. float32 only; these kernels have no wasm original
 * to fall back to, so they refuse other dtypes with an error (callers check the dtype first).
 */
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchNormTraining, BatchNormTrainingGrad, type BatchNormTrainingAttrs } from '../../batch-norm-training-kernels.js';
import { allFloat32, heapF32, sizeOf, type AddedNativeKernel, type BackendWasm } from './shared.js';

function rowsAndChannels(x: TensorInfo): [number, number] {
  const channels = x.shape[x.shape.length - 1] ?? 1;
  return [sizeOf(x.shape) / channels, channels];
}

function requireFloat32(kernel: string, ...infos: readonly TensorInfo[]): void {
  if (!allFloat32(...infos)) throw new TypeError(`${kernel}: float32 tensors only`);
}

export const batchNormTrainingNative: AddedNativeKernel = {
  kernelName: BatchNormTraining,
  make: (addon) => (args) => {
    const { x, scale, offset } = args.inputs as NamedTensorInfoMap;
    const { epsilon } = args.attrs as unknown as BatchNormTrainingAttrs;
    requireFloat32(BatchNormTraining, x!, scale!, offset!);
    const backend = args.backend as BackendWasm;
    const [rows, channels] = rowsAndChannels(x!);
    const y = backend.makeOutput([...x!.shape], 'float32');
    const moments = [0, 1, 2].map(() => backend.makeOutput([channels], 'float32'));
    // Views after every allocation: any of them may have grown, and so replaced, the heap.
    const [mean, variance, invStd] = moments.map((m) => heapF32(backend, m)) as [Float32Array, Float32Array, Float32Array];
    addon.batchNormTraining(heapF32(backend, x!), rows, channels, heapF32(backend, scale!), heapF32(backend, offset!), epsilon,
      heapF32(backend, y), mean, variance, invStd);
    return [y, ...moments];
  },
};

export const batchNormTrainingGradNative: AddedNativeKernel = {
  kernelName: BatchNormTrainingGrad,
  make: (addon) => (args) => {
    const { dy, x, mean, invStd, scale } = args.inputs as NamedTensorInfoMap;
    requireFloat32(BatchNormTrainingGrad, dy!, x!, mean!, invStd!, scale!);
    const backend = args.backend as BackendWasm;
    const [rows, channels] = rowsAndChannels(x!);
    const dx = backend.makeOutput([...x!.shape], 'float32');
    const dScale = backend.makeOutput([channels], 'float32');
    const dOffset = backend.makeOutput([channels], 'float32');
    const view = (info: TensorInfo) => heapF32(backend, info);
    addon.batchNormTrainingGrad(view(dy!), view(x!), view(mean!), view(invStd!), view(scale!), rows, channels, view(dx), view(dScale), view(dOffset));
    return [dx, dScale, dOffset];
  },
};
