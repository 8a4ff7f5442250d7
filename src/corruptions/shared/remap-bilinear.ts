import type { Image } from '../types.js';
import { borderIndex, type Border } from './border.js';

/**
 * Bilinear remap, the same sampling as sampling.ts's sampleBilinear (scipy's map_coordinates
 * with order=1, pixel centres at integer coordinates, the border deciding outside the image)
 * without any allocation per pixel and with a fast path for the four neighbours inside the
 * image: several times faster at 224×224×3, for corruptions that remap every pixel (elastic,
 * affine warps). Output pixel p reads the input at (ys[p], xs[p]); a constant border reads
 * zeros. Coordinates must be finite.
 */
export function remapBilinear(image: Image, ys: Float64Array, xs: Float64Array, border: Border): Float32Array {
  const { data, height, width, channels } = image;
  const out = new Float32Array(ys.length * channels);
  const rowStride = width * channels;
  for (let p = 0; p < ys.length; p++) {
    const y = ys[p]!;
    const x = xs[p]!;
    const y0 = Math.floor(y);
    const x0 = Math.floor(x);
    const fy = y - y0;
    const fx = x - x0;
    let i00: number;
    let i01: number;
    let i10: number;
    let i11: number;
    let w00 = (1 - fy) * (1 - fx);
    let w01 = (1 - fy) * fx;
    let w10 = fy * (1 - fx);
    let w11 = fy * fx;
    if (y0 >= 0 && y0 < height - 1 && x0 >= 0 && x0 < width - 1) {
      i00 = y0 * rowStride + x0 * channels;
      i01 = i00 + channels;
      i10 = i00 + rowStride;
      i11 = i10 + channels;
    } else {
      const r0 = borderIndex(y0, height, border);
      const r1 = borderIndex(y0 + 1, height, border);
      const q0 = borderIndex(x0, width, border);
      const q1 = borderIndex(x0 + 1, width, border);
      // A constant border (index −1) contributes nothing: its weight is dropped, as zeros would be.
      if (r0 < 0 || q0 < 0) w00 = 0;
      if (r0 < 0 || q1 < 0) w01 = 0;
      if (r1 < 0 || q0 < 0) w10 = 0;
      if (r1 < 0 || q1 < 0) w11 = 0;
      i00 = Math.max(r0, 0) * rowStride + Math.max(q0, 0) * channels;
      i01 = Math.max(r0, 0) * rowStride + Math.max(q1, 0) * channels;
      i10 = Math.max(r1, 0) * rowStride + Math.max(q0, 0) * channels;
      i11 = Math.max(r1, 0) * rowStride + Math.max(q1, 0) * channels;
    }
    const o = p * channels;
    if (channels === 1) {
      out[o] = w00 * data[i00]! + w01 * data[i01]! + w10 * data[i10]! + w11 * data[i11]!;
    } else if (channels === 3) {
      out[o] = w00 * data[i00]! + w01 * data[i01]! + w10 * data[i10]! + w11 * data[i11]!;
      out[o + 1] = w00 * data[i00 + 1]! + w01 * data[i01 + 1]! + w10 * data[i10 + 1]! + w11 * data[i11 + 1]!;
      out[o + 2] = w00 * data[i00 + 2]! + w01 * data[i01 + 2]! + w10 * data[i10 + 2]! + w11 * data[i11 + 2]!;
    } else {
      for (let c = 0; c < channels; c++) {
        out[o + c] = w00 * data[i00 + c]! + w01 * data[i01 + c]! + w10 * data[i10 + c]! + w11 * data[i11 + c]!;
      }
    }
  }
  return out;
}
