/**
 * MaxPoolGrad for the wasm backend, replacing tfjs-backend-wasm 4.22's own, which routes the
 * gradient to the wrong inputs for many shapes (e.g. 2×2 pooling over 4×4×4 or 26×26×64;
 * measured against the cpu backend, test/backend/wasm-kernels.test.ts). Each output's dy goes
 * to the first maximum of its window in row-major order, as on the cpu backend.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { assertFloat32, heapF32, makeFloat32Output, type BackendWasm } from './wasm-util.js';

export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  assertFloat32(MaxPoolGrad, ['dy', dy.dtype], ['input', input.dtype]);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  const dx = makeFloat32Output(backend, [...input.shape], true);
  // Views are taken after the last allocation: growing the heap would detach them.
  const x = heapF32(backend, input);
  const dyValues = heapF32(backend, dy);
  const dxValues = heapF32(backend, dx);
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);

  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const hStart = oh * strideHeight - padTop;
      for (let ow = 0; ow < outWidth; ow++) {
        const wStart = ow * strideWidth - padLeft;
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let fh = 0; fh < effectiveFilterHeight; fh += dilationHeight) {
          const h = hStart + fh;
          if (h < 0 || h >= inHeight) continue;
          for (let fw = 0; fw < effectiveFilterWidth; fw += dilationWidth) {
            const w = wStart + fw;
            if (w < 0 || w >= inWidth) continue;
            const base = ((b * inHeight + h) * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[base + c]!;
              if (value > best[c]!) {
                best[c] = value;
                bestAt[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          const at = bestAt[c]!;
          if (at >= 0) dxValues[at]! += dyValues[dyBase + c]!;
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradWasmConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
