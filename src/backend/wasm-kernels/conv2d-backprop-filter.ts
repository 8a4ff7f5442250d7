/**
 * Conv2DBackpropFilter for the wasm backend.
 *
 *   dW[fh, fw, ci, co] = Σ_{b, oh, ow} xPad[b, oh·sh + fh, ow·sw + fw, ci] · dy[b, oh, ow, co]
 *
 * A GEMM with a tiny output (the filter) and a long reduction (every output pixel of the
 * batch). Both strategies below hand that GEMM to XNNPACK's SIMD micro-kernels through
 * the wasm backend's own kernels; which is faster depends on K = fh·fw·ci, the filter
 * rows (timings on 64×28×28 inputs, single-threaded):
 *
 * - Swapped convolution (K > 32): with batch and channels exchanged, the sum is itself a
 *   convolution: x' = x transposed to [ci, h, w, b] (ci images of b channels) convolved
 *   with dy' = dy transposed to [oh, ow, b, co] as the filter, stride 1, dilation
 *   (sh, sw), gives [ci, fh, fw, co]. Costs two transposes plus XNNPACK packing dy' as
 *   conv weights (~16 ms for a 64×28×28×32 dy, whatever the filter size).
 * - Patches × dy (K ≤ 32): build the patch matrix [K, pixels] in JS, chunk by chunk,
 *   and multiply by dy [pixels, co] with BatchMatMul (XNNPACK fully-connected, which
 *   packs dy about 3× faster). Building patches costs K floats per pixel, so it wins only
 *   for small K, e.g. a 3×3×1 first layer: 7 ms instead of 18 ms.
 */
import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Transpose,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  assertChannelsLast,
  assertDyShape,
  assertFloat32,
  disposeInfos,
  heapF32,
  makeFloat32Output,
  runWasmKernel,
  type BackendWasm,
} from './wasm-util.js';

/** Largest K = fh·fw·ci for which patches × dy beats the swapped convolution (measured). */
const PATCHES_MAX_K = 32;
/** Patch-matrix floats per chunk: bounds memory (K × all pixels can reach hundreds of MB). */
const PATCH_CHUNK_FLOATS = 1 << 20;

export function conv2DBackpropFilterWasm(args: {
  inputs: Conv2DBackpropFilterInputs;
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  assertChannelsLast(Conv2DBackpropFilter, dataFormat);
  assertFloat32(Conv2DBackpropFilter, ['x', x.dtype], ['dy', dy.dtype]);
  if (x.shape.length !== 4 || x.shape[3] !== filterShape[2]) {
    throw new Error(
      `wasm ${Conv2DBackpropFilter}: x must be rank 4 with ${filterShape[2]} channels, got shape [${x.shape.join(', ')}].`,
    );
  }

  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1 /* tfjs has no dilations for this kernel */,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  assertDyShape(Conv2DBackpropFilter, dy.shape, convInfo);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = convInfo;
  const filterShape4 = [filterHeight, filterWidth, inChannels, outChannels];

  if (batchSize * outHeight * outWidth * inHeight * inWidth * inChannels * outChannels === 0) {
    // Nothing is summed (or nothing to fill): the gradient is all zeros. XNNPACK rejects
    // zero-sized operators, so this must not reach it.
    return makeFloat32Output(backend, filterShape4, true);
  }
  return filterHeight * filterWidth * inChannels <= PATCHES_MAX_K
    ? viaPatches(backend, x, dy, convInfo)
    : viaSwappedConv(backend, x, dy, convInfo);
}

function viaSwappedConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, convInfo: backend_util.Conv2DInfo): TensorInfo {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const padTop = convInfo.padInfo.top;
  const padLeft = convInfo.padInfo.left;
  // Bottom/right padding that makes the swapped convolution exactly filterHeight ×
  // filterWidth tall/wide. It differs from padInfo.bottom when rows at the end are never
  // read (floor rounding) or read past the declared padding (ceil rounding). A negative
  // value means x has rows the forward op never read; XNNPACK cannot crop, so we pad 0
  // and drop the surplus output rows when copying out.
  const padBottom = filterHeight + (outHeight - 1) * strideHeight - inHeight - padTop;
  const padRight = filterWidth + (outWidth - 1) * strideWidth - inWidth - padLeft;
  const convPadBottom = Math.max(0, padBottom);
  const convPadRight = Math.max(0, padRight);
  const convOutHeight = filterHeight - padBottom + convPadBottom;
  const convOutWidth = filterWidth - padRight + convPadRight;

  const xT = runWasmKernel(backend, Transpose, { x }, { perm: [3, 1, 2, 0] });
  let conv: TensorInfo;
  try {
    const dyT = runWasmKernel(backend, Transpose, { x: dy }, { perm: [1, 2, 0, 3] });
    try {
      conv = runWasmKernel(
        backend,
        Conv2D,
        { x: xT, filter: dyT },
        {
          strides: [1, 1],
          dilations: [strideHeight, strideWidth],
          pad: [
            [0, 0],
            [padTop, convPadBottom],
            [padLeft, convPadRight],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
    } finally {
      // Freeing dyT also frees the XNNPACK operator the Conv2D kernel cached for it.
      disposeInfos(backend, dyT);
    }
  } finally {
    disposeInfos(backend, xT);
  }

  try {
    const out = makeFloat32Output(backend, [filterHeight, filterWidth, inChannels, outChannels], false);
    // [ci, fh, fw, co] → [fh, fw, ci, co], cropping surplus rows/cols. The filter is small,
    // so a plain loop costs far less than the convolution.
    const src = heapF32(backend, conv);
    const dst = heapF32(backend, out);
    let d = 0;
    for (let fh = 0; fh < filterHeight; fh++) {
      for (let fw = 0; fw < filterWidth; fw++) {
        for (let ci = 0; ci < inChannels; ci++) {
          let s = ((ci * convOutHeight + fh) * convOutWidth + fw) * outChannels;
          for (let k = 0; k < outChannels; k++) dst[d++] = src[s++]!;
        }
      }
    }
    return out;
  } finally {
    disposeInfos(backend, conv);
  }
}

function viaPatches(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, convInfo: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = convInfo;
  const k = filterHeight * filterWidth * inChannels;
  // Chunks are whole output rows (b, oh): then each dy chunk is one contiguous block.
  const rowsTotal = batchSize * outHeight;
  const rowsPerChunk = Math.max(1, Math.min(rowsTotal, Math.floor(PATCH_CHUNK_FLOATS / (k * outWidth))));
  // Float64 sums across chunks; within a chunk XNNPACK sums in float32.
  const acc = new Float64Array(k * outChannels);

  const patches = backend.makeOutput([k, rowsPerChunk * outWidth], 'float32');
  try {
    for (let r0 = 0; r0 < rowsTotal; r0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, rowsTotal - r0);
      const pixels = rows * outWidth;
      // BatchMatMul caches its XNNPACK operator (with dy packed) on the id of `b`: a
      // private copy of the chunk keeps that cache from outliving this call.
      const dyChunk = backend.makeOutput([pixels, outChannels], 'float32');
      let product: TensorInfo;
      try {
        const dyv = heapF32(backend, dy);
        heapF32(backend, dyChunk).set(dyv.subarray(r0 * outWidth * outChannels, (r0 + rows) * outWidth * outChannels));
        fillPatches(heapF32(backend, patches), heapF32(backend, x), convInfo, r0, rows);
        product = runWasmKernel(
          backend,
          BatchMatMul,
          {
            // Row p·pixels + m of `patches` is filter row p at chunk pixel m.
            a: { dataId: patches.dataId, shape: [1, k, pixels], dtype: 'float32' },
            b: { dataId: dyChunk.dataId, shape: [1, pixels, outChannels], dtype: 'float32' },
          },
          { transposeA: false, transposeB: false },
        );
      } finally {
        disposeInfos(backend, dyChunk);
      }
      const pv = heapF32(backend, product);
      for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + pv[i]!;
      disposeInfos(backend, product);
    }
  } finally {
    disposeInfos(backend, patches);
  }
  // Row (fh·fw_size + fw)·ci_size + ci of the product is exactly the [fh, fw, ci, co] layout.
  const out = makeFloat32Output(backend, [filterHeight, filterWidth, inChannels, outChannels], false);
  heapF32(backend, out).set(acc);
  return out;
}

/**
 * Writes the patch matrix for output rows r0 … r0 + rows − 1 (row index b·outHeight + oh):
 * entry [(fh·fw_size + fw)·ci_size + ci, pixel] = xPad[b, oh·sh + fh, ow·sw + fw, ci].
 * Zeros are written explicitly (no fill of the whole buffer) since it is reused.
 */
function fillPatches(pv: Float32Array, xv: Float32Array, convInfo: backend_util.Conv2DInfo, r0: number, rows: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = convInfo;
  const padTop = convInfo.padInfo.top;
  const padLeft = convInfo.padInfo.left;
  const pixels = rows * outWidth;
  const xStep = strideWidth * inChannels;
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      // Output columns whose input column for this tap lies inside x.
      const colOff = fw - padLeft;
      const owMin = Math.min(outWidth, Math.max(0, Math.ceil(-colOff / strideWidth)));
      const owEnd = Math.max(owMin, Math.min(outWidth, Math.floor((inWidth - 1 - colOff) / strideWidth) + 1));
      const tapRow = (fh * filterWidth + fw) * inChannels;
      for (let r = 0; r < rows; r++) {
        const b = Math.floor((r0 + r) / outHeight);
        const oh = r0 + r - b * outHeight;
        const ih = oh * strideHeight + fh - padTop;
        const m0 = r * outWidth;
        if (ih < 0 || ih >= inHeight) {
          for (let ci = 0; ci < inChannels; ci++) {
            const p0 = (tapRow + ci) * pixels + m0;
            pv.fill(0, p0, p0 + outWidth);
          }
          continue;
        }
        const xRow = (b * inHeight + ih) * inWidth;
        for (let ci = 0; ci < inChannels; ci++) {
          const p0 = (tapRow + ci) * pixels + m0;
          for (let ow = 0; ow < owMin; ow++) pv[p0 + ow] = 0;
          let xi = (xRow + owMin * strideWidth + colOff) * inChannels + ci;
          for (let ow = owMin; ow < owEnd; ow++) {
            pv[p0 + ow] = xv[xi]!;
            xi += xStep;
          }
          for (let ow = owEnd; ow < outWidth; ow++) pv[p0 + ow] = 0;
        }
      }
    }
  }
}

export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
