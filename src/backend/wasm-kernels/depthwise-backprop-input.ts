/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend.
 *
 *   dx[b, ih, iw, c] = Σ_{fh, fw, q} dy[b, oh, ow, c·M + q] · W[fh, fw, c, q]
 *                      over oh·sh + fh·dh − padTop = ih, ow·sw + fw·dw − padLeft = iw
 *
 * A transposed convolution is a forward convolution of dy with the filter rotated 180°.
 * With stride s > 1, the input rows split into s phases by (ih + padTop) mod s, and each
 * phase only meets the filter taps with fh·dh ≡ phase (mod s), all reading dy at unit
 * stride. So each of the sh·sw phases is a plain stride-1 depthwise convolution of dy
 * itself with a small rotated sub-filter; XNNPACK's SIMD depthwise kernel (behind the
 * wasm DepthwiseConv2dNative kernel) runs those, and a JS loop interleaves the phases into
 * dx, also summing the M multiplier channels of each input channel. This does only the
 * useful multiply-adds; spreading dy with zeros instead would waste (s² − 1)/s² of them.
 * With stride 1 and ordinary padding the single phase already is dx (M = 1), or dx after
 * the wasm Sum kernel folds the M channels.
 */
import {
  backend_util,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropInput,
  Sum,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  assertDyShape,
  assertFloat32,
  disposeInfos,
  heapF32,
  makeFloat32Output,
  runWasmKernel,
  sizeOf,
  type BackendWasm,
} from './wasm-util.js';
import { axisPhases, scatterPhase, type Phase } from './phases.js';

export function depthwiseConv2dNativeBackpropInputWasm(args: {
  inputs: DepthwiseConv2dNativeBackpropInputInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs;
  const name = DepthwiseConv2dNativeBackpropInput;
  assertFloat32(name, ['dy', dy.dtype], ['filter', filter.dtype]);
  if (filter.shape.length !== 4 || filter.shape[2] !== inputShape[3]) {
    throw new Error(
      `wasm ${name}: filter must be rank 4 with ${inputShape[3]} input channels, got shape [${filter.shape.join(', ')}].`,
    );
  }

  const convInfo = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    true /* depthwise */,
  );
  assertDyShape(name, dy.shape, convInfo);
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
  } = convInfo;
  const chMul = filter.shape[3]!;
  const dxShape = [batchSize, inHeight, inWidth, inChannels];
  if (sizeOf(dxShape) === 0 || sizeOf(dy.shape) === 0) return makeFloat32Output(backend, dxShape, true);

  const rows = axisPhases(inHeight, outHeight, filterHeight, strideHeight, dilationHeight, convInfo.padInfo.top);
  const cols = axisPhases(inWidth, outWidth, filterWidth, strideWidth, dilationWidth, convInfo.padInfo.left);

  // Stride 1 with padding no wider than the filter: the single phase's output is dx itself.
  const [row0, col0] = [rows[0], cols[0]];
  if (strideHeight === 1 && strideWidth === 1 && row0 !== undefined && col0 !== undefined && row0.exact && col0.exact) {
    const conv = phaseConv(backend, dy, filter, row0, col0, outChannels);
    if (chMul === 1) return conv;
    try {
      // Same buffer viewed as [b, h, w, c, q]; summing q gives dx.
      const grouped: TensorInfo = { dataId: conv.dataId, shape: [...dxShape, chMul], dtype: 'float32' };
      const dx = runWasmKernel(backend, Sum, { x: grouped }, { axis: [4], keepDims: false });
      dx.shape = dxShape;
      return dx;
    } finally {
      disposeInfos(backend, conv);
    }
  }

  // Positions in phases that meet no filter tap (stride larger than the filter) stay 0.
  const dx = makeFloat32Output(backend, dxShape, true);
  try {
    for (const r of rows) {
      for (const c of cols) {
        const conv = phaseConv(backend, dy, filter, r, c, outChannels);
        try {
          scatterPhase(heapF32(backend, conv), conv.shape[1]!, conv.shape[2]!, heapF32(backend, dx), [batchSize, inHeight, inWidth, inChannels], r, c, strideHeight, strideWidth, chMul);
        } finally {
          disposeInfos(backend, conv);
        }
      }
    }
    return dx;
  } catch (e) {
    disposeInfos(backend, dx);
    throw e;
  }
}


/**
 * Filter sizes XNNPACK (as built into tfjs-backend-wasm 4.22) has SIMD depthwise kernels
 * for: 1, 3, 4, 9 and 25 taps. Other sizes take a generic path that measured ~10× slower
 * (e.g. 2 taps: 4.7 ms vs 0.3 ms for 3 taps on 64×14×14×64), so sub-filters are padded
 * with zero taps up to the nearest of these.
 */
const FAST_KERNELS: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [1, 3],
  [3, 1],
  [2, 2],
  [1, 4],
  [4, 1],
  [3, 3],
  [5, 5],
];

/** The smallest fast kernel covering th × tw taps, or th × tw itself when none does. */
function fastKernel(th: number, tw: number): readonly [number, number] {
  let best: readonly [number, number] = [th, tw];
  let bestTaps = Infinity;
  for (const k of FAST_KERNELS) {
    if (k[0] >= th && k[1] >= tw && k[0] * k[1] < bestTaps) {
      best = k;
      bestTaps = k[0] * k[1];
    }
  }
  return best;
}

/** The stride-1 depthwise correlation of dy with one phase pair's rotated sub-filter. */
function phaseConv(
  backend: BackendWasm,
  dy: TensorInfo,
  filter: TensorInfo,
  rows: Phase,
  cols: Phase,
  channels: number,
): TensorInfo {
  const th = rows.taps.length;
  const tw = cols.taps.length;
  // Zero taps go after the real ones; the extra dy rows/cols they read need extra padding
  // after, which keeps the output size unchanged.
  const [kh, kw] = fastKernel(th, tw);
  const filterWidth = filter.shape[1]!;
  const sub = makeFloat32Output(backend, [kh, kw, channels, 1], kh * kw !== th * tw);
  try {
    // sub[jh, jw, c·M + q] = W[taps reversed]: each tap's C·M block is already laid out as
    // c·M + q, which is the multiplier-1 filter layout over C·M channels.
    const wv = heapF32(backend, filter);
    const sv = heapF32(backend, sub);
    for (let jh = 0; jh < th; jh++) {
      for (let jw = 0; jw < tw; jw++) {
        const from = (rows.taps[th - 1 - jh]! * filterWidth + cols.taps[tw - 1 - jw]!) * channels;
        sv.set(wv.subarray(from, from + channels), (jh * kw + jw) * channels);
      }
    }
    return runWasmKernel(
      backend,
      DepthwiseConv2dNative,
      { x: dy, filter: sub },
      {
        strides: [1, 1],
        dilations: [rows.dilation, cols.dilation],
        pad: [
          [0, 0],
          [rows.padBefore, rows.padAfter + (kh - th) * rows.dilation],
          [cols.padBefore, cols.padAfter + (kw - tw) * cols.dilation],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
  } finally {
    // Freeing `sub` also frees the XNNPACK operator cached for it.
    disposeInfos(backend, sub);
  }
}

export const depthwiseConv2dNativeBackpropInputWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInputWasm as unknown as KernelFunc,
};
