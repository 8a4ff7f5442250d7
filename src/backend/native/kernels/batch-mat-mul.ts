/**
 * BatchMatMul and _FusedMatMul on OpenBLAS's sgemm, with tfjs's broadcasting of the batch
 * axes. _FusedMatMul adds a per-column (or scalar) bias and applies the activation in the
 * addon; prelu and other bias shapes go to the wasm kernel.
 */
import {
  BatchMatMul,
  _FusedMatMul,
  type BatchMatMulAttrs,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
  type _FusedMatMulAttrs,
} from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { activationCode, allFloat32, channelBiasLength, heapF32, sizeOf, withOutput, type BackendWasm, type Fallback, type NativeKernelDefinition } from './shared.js';

/** The product's sizes and, per output batch, where its two operand matrices start. */
export interface MatMulPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly outShape: number[];
  readonly aOffsets: Int32Array;
  readonly bOffsets: Int32Array;
}

/**
 * Plans a batched product of a [...batchA, rows, cols] and b [...batchB, rows, cols] the way
 * tfjs's cpu and wasm kernels compute it: the output has the broadcast batch shape, and output
 * batch i reads a's flattened batch i mod |batchA| and b's i mod |batchB|. (That equals NumPy
 * broadcasting when one operand has a single batch or both have the same; other shapes, where
 * tfjs's kernels disagree with their own output shape, are left to the wasm kernel.)
 * Undefined when the shapes do not fit.
 */
export function planMatMul(aShape: readonly number[], bShape: readonly number[], transposeA: boolean, transposeB: boolean): MatMulPlan | undefined {
  if (aShape.length < 2 || bShape.length < 2) return undefined;
  const [aRows, aCols] = aShape.slice(-2) as [number, number];
  const [bRows, bCols] = bShape.slice(-2) as [number, number];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) return undefined;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const padded = (batch: number[]) => [...new Array<number>(rank - batch.length).fill(1), ...batch];
  const [aDims, bDims] = [padded(aBatch), padded(bBatch)];
  const outBatch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const [da, db] = [aDims[i]!, bDims[i]!];
    if (da !== db && da !== 1 && db !== 1) return undefined;
    outBatch.push(da === 1 ? db : da);
  }
  const [batchesA, batchesB] = [sizeOf(aBatch), sizeOf(bBatch)];
  const batches = Math.max(batchesA, batchesB);
  if (sizeOf(outBatch) !== batches) return undefined;
  const aOffsets = new Int32Array(batches);
  const bOffsets = new Int32Array(batches);
  for (let i = 0; i < batches; i++) {
    aOffsets[i] = (i % batchesA) * m * k;
    bOffsets[i] = (i % batchesB) * k * n;
  }
  return { m, n, k, outShape: [...outBatch, m, n], aOffsets, bOffsets };
}

interface Epilogue {
  readonly bias?: TensorInfo;
  readonly activation: number;
  readonly alpha: number;
}

function nativeMatMul(addon: NativeAddon, backend: BackendWasm, a: TensorInfo, b: TensorInfo, attrs: BatchMatMulAttrs, epilogue?: Epilogue): TensorInfo | undefined {
  if (!allFloat32(a, b)) return undefined;
  const plan = planMatMul(a.shape, b.shape, attrs.transposeA, attrs.transposeB);
  if (plan === undefined || plan.m * plan.n * plan.aOffsets.length === 0) return undefined;
  let biasValues: Float32Array | null = null;
  if (epilogue?.bias !== undefined) {
    if (!allFloat32(epilogue.bias) || channelBiasLength(epilogue.bias, plan.n) === undefined) return undefined;
    biasValues = heapF32(backend, epilogue.bias).slice();
  }
  return withOutput(backend, plan.outShape, (out) => {
    addon.gemm(
      heapF32(backend, a),
      heapF32(backend, b),
      heapF32(backend, out),
      plan.aOffsets,
      plan.bOffsets,
      plan.m,
      plan.n,
      plan.k,
      attrs.transposeA,
      attrs.transposeB,
      biasValues,
      epilogue?.activation ?? 0,
      epilogue?.alpha ?? 0,
    );
    return undefined;
  });
}

export const batchMatMulNative: NativeKernelDefinition = {
  kernelName: BatchMatMul,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as BatchMatMulAttrs;
      return nativeMatMul(addon, args.backend as BackendWasm, inputs['a']!, inputs['b']!, attrs) ?? fallback(args);
    },
};

export const fusedMatMulNative: NativeKernelDefinition = {
  kernelName: _FusedMatMul,
  make: (addon: NativeAddon, fallback: Fallback): KernelFunc =>
    (args) => {
      const inputs = args.inputs as NamedTensorInfoMap;
      const attrs = args.attrs as unknown as _FusedMatMulAttrs;
      const activation = activationCode(attrs.activation);
      if (activation === undefined || inputs['preluActivationWeights'] != null) return fallback(args);
      const bias = inputs['bias'] ?? undefined;
      const epilogue = { ...(bias ? { bias } : {}), activation, alpha: attrs.leakyreluAlpha ?? 0.2 };
      return nativeMatMul(addon, args.backend as BackendWasm, inputs['a']!, inputs['b']!, attrs, epilogue) ?? fallback(args);
    },
};
