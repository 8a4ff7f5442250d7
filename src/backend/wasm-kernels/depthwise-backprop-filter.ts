/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend.
 *
 *   dW[fh, fw, c, q] = Σ_{b, oh, ow} x[b, oh·sh + fh·dh − padTop, ow·sw + fw·dw − padLeft, c]
 *                                  · dy[b, oh, ow, c·M + q]
 *
 * Unlike the dense case there is no channel contraction, so the work is only
 * B·OH·OW·FH·FW·C·M multiply-adds and no GEMM shape fits it. The XNNPACK route (a
 * depthwise conv of x over B·C channels whose kernel is the whole dy map) falls off
 * XNNPACK's fast paths, which exist only for 1, 3, 4, 9 and 25 taps: on 64×14×14×64 that
 * conv alone took 16 ms, this whole loop 13 ms. The loop reads x and dy straight from the
 * wasm heap, walks both contiguously along the channel axis, and accumulates in float64,
 * so precision matches the cpu backend's float64 dot products.
 */
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import {
  assertDyShape,
  assertFloat32,
  heapF32,
  makeFloat32Output,
  type BackendWasm,
} from './wasm-util.js';

export function depthwiseConv2dNativeBackpropFilterWasm(args: {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs;
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs;
  const name = DepthwiseConv2dNativeBackpropFilter;
  assertFloat32(name, ['x', x.dtype], ['dy', dy.dtype]);
  if (x.shape.length !== 4 || x.shape[3] !== filterShape[2]) {
    throw new Error(
      `wasm ${name}: x must be rank 4 with ${filterShape[2]} channels, got shape [${x.shape.join(', ')}].`,
    );
  }

  const convInfo = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
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
  const padTop = convInfo.padInfo.top;
  const padLeft = convInfo.padInfo.left;
  const chMul = filterShape[3];

  const out = makeFloat32Output(backend, [filterHeight, filterWidth, inChannels, chMul], false);
  const xv = heapF32(backend, x);
  const dyv = heapF32(backend, dy);
  const dwv = heapF32(backend, out);
  // One filter tap at a time: its C·M sums stay in a small float64 buffer (hot in cache),
  // and for each (b, oh) the valid ow range is walked with x and dy both advancing
  // contiguously along channels.
  const acc = new Float64Array(outChannels);
  const xStep = strideWidth * inChannels;
  for (let fh = 0; fh < filterHeight; fh++) {
    // Output rows whose input row for this tap lies inside x; the rest read padding (zero).
    const rowOff = fh * dilationHeight - padTop;
    const ohMin = Math.max(0, Math.ceil(-rowOff / strideHeight));
    const ohEnd = Math.min(outHeight, Math.floor((inHeight - 1 - rowOff) / strideHeight) + 1);
    for (let fw = 0; fw < filterWidth; fw++) {
      const colOff = fw * dilationWidth - padLeft;
      const owMin = Math.max(0, Math.ceil(-colOff / strideWidth));
      const owEnd = Math.min(outWidth, Math.floor((inWidth - 1 - colOff) / strideWidth) + 1);
      acc.fill(0);
      for (let b = 0; b < batchSize; b++) {
        for (let oh = ohMin; oh < ohEnd; oh++) {
          let xo = ((b * inHeight + oh * strideHeight + rowOff) * inWidth + owMin * strideWidth + colOff) * inChannels;
          let yo = ((b * outHeight + oh) * outWidth + owMin) * outChannels;
          if (chMul === 1) {
            for (let ow = owMin; ow < owEnd; ow++) {
              // Unrolled by 4: independent multiply-adds per iteration measured ~25% faster.
              let c = 0;
              for (; c + 4 <= inChannels; c += 4) {
                const a0 = acc[c]! + xv[xo + c]! * dyv[yo + c]!;
                const a1 = acc[c + 1]! + xv[xo + c + 1]! * dyv[yo + c + 1]!;
                const a2 = acc[c + 2]! + xv[xo + c + 2]! * dyv[yo + c + 2]!;
                const a3 = acc[c + 3]! + xv[xo + c + 3]! * dyv[yo + c + 3]!;
                acc[c] = a0;
                acc[c + 1] = a1;
                acc[c + 2] = a2;
                acc[c + 3] = a3;
              }
              for (; c < inChannels; c++) acc[c] = acc[c]! + xv[xo + c]! * dyv[yo + c]!;
              xo += xStep;
              yo += outChannels;
            }
          } else {
            for (let ow = owMin; ow < owEnd; ow++) {
              for (let c = 0; c < inChannels; c++) {
                const xc = xv[xo + c]!;
                const o = c * chMul;
                for (let q = 0; q < chMul; q++) acc[o + q] = acc[o + q]! + xc * dyv[yo + o + q]!;
              }
              xo += xStep;
              yo += outChannels;
            }
          }
        }
      }
      // Tap (fh, fw) holds [c, q] at c·M + q: exactly the filter's layout.
      dwv.set(acc, (fh * filterWidth + fw) * outChannels);
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropFilterWasmConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as unknown as KernelFunc,
};
