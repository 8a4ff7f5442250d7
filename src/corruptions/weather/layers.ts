/**
 * Single-channel helpers for the weather corruptions' layers (snow flakes, spatter liquid,
 * frost crystals): row-major H×W float arrays, written for speed rather than generality.
 */

import { simdEngine } from '../../engine/simd.js';
import { BlurJob } from '../blur/operations.js';
import { roundHalfEven } from '../shared/pixels.js';
import { scipyGaussianKernel } from '../shared/scipy-gaussian-kernel.js';

/**
 * Rec. 601 luma weights, as OpenCV's COLOR_RGB2GRAY (which the original snow uses). The weather
 * family uses them everywhere it needs the gray value of a colour, e.g. spatter's water and mud
 * and frost's tint on gray images, so that gray images are never tinted.
 */
export const LUMA = [0.299, 0.587, 0.114] as const;

export function luma(r: number, g: number, b: number): number {
  return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
}

/**
 * A colour as the image's channels see it: itself for RGB, its luma on every channel of gray
 * (or any other channel count): colour-only aspects do not tint gray images.
 */
export function colourForChannels(rgb: readonly [number, number, number], channels: number): Float64Array {
  if (channels === 3) return Float64Array.from(rgb);
  return new Float64Array(channels).fill(luma(rgb[0], rgb[1], rgb[2]));
}

/**
 * The gray value of every pixel: Rec. 601 luma for RGB, the value itself for one channel, the
 * channel mean otherwise.
 */
export function grayOf(data: Float32Array, channels: number, out?: Float32Array): Float32Array {
  const pixels = data.length / channels;
  const gray = out ?? new Float32Array(pixels);
  if (channels === 1) {
    gray.set(data);
  } else if (channels === 3) {
    for (let p = 0; p < pixels; p++) gray[p] = luma(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
  } else {
    for (let p = 0; p < pixels; p++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += data[p * channels + c]!;
      gray[p] = sum / channels;
    }
  }
  return gray;
}

/**
 * scipy.ndimage.gaussian_filter on one layer (as scikit-image's filters.gaussian calls it): a
 * separable Gaussian of radius ⌊truncate·σ + ½⌋, the border read as the nearest pixel. The same
 * operation as gaussian blur's, so it runs on the blur family's SIMD kernels.
 */
export function gaussianBlurLayer(layer: Float32Array, height: number, width: number, sigma: number, truncate = 4): Float32Array {
  const kernel = scipyGaussianKernel(sigma, truncate);
  if (kernel.length === 1) return layer.slice();
  const job = new BlurJob({ data: layer, height, width, channels: 1 }, simdEngine());
  return job.read(job.separable('input', kernel, kernel, 'nearest'));
}

/**
 * The reference's clipped_zoom on a layer already cropped to its centre: the ch × cw crop is
 * zoomed by `zoom` with scipy.ndimage.zoom(order=1) (output round(ch·zoom) × round(cw·zoom),
 * corners aligned: input = output·(in − 1)/(out − 1)), and the centre height × width is kept.
 * Only the kept pixels are computed, into `out` when given.
 */
export function zoomCropToSize(crop: Float32Array, ch: number, cw: number, zoom: number, height: number, width: number, out?: Float32Array): Float32Array {
  const outH = Math.max(1, roundHalfEven(ch * zoom));
  const outW = Math.max(1, roundHalfEven(cw * zoom));
  const trimTop = Math.floor((outH - height) / 2);
  const trimLeft = Math.floor((outW - width) / 2);
  const sy = outH > 1 ? (ch - 1) / (outH - 1) : 0;
  const sx = outW > 1 ? (cw - 1) / (outW - 1) : 0;
  const x0 = new Int32Array(width);
  const x1 = new Int32Array(width);
  const fx = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const u = Math.min(cw - 1, Math.max(0, (x + trimLeft) * sx));
    x0[x] = Math.floor(u);
    x1[x] = Math.min(cw - 1, x0[x]! + 1);
    fx[x] = u - x0[x]!;
  }
  const target = out ?? new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const v = Math.min(ch - 1, Math.max(0, (y + trimTop) * sy));
    const y0 = Math.floor(v);
    const y1 = Math.min(ch - 1, y0 + 1);
    const fy = v - y0;
    const r0 = y0 * cw;
    const r1 = y1 * cw;
    for (let x = 0; x < width; x++) {
      const a = crop[r0 + x0[x]!]!;
      const b = crop[r0 + x1[x]!]!;
      const c = crop[r1 + x0[x]!]!;
      const d = crop[r1 + x1[x]!]!;
      const f = fx[x]!;
      target[y * width + x] = (1 - fy) * ((1 - f) * a + f * b) + fy * ((1 - f) * c + f * d);
    }
  }
  return target;
}
