import type { Image } from '../types.js';
import { borderIndex, type Border } from './border.js';

/**
 * Bilinear resampling (scipy's map_coordinates with order=1): output pixel p of every channel
 * is the input sampled at row ys[p], column xs[p], pixel centres at integer coordinates.
 * The output has ys.length pixels; outside the image the border decides.
 */
export function sampleBilinear(image: Image, ys: Float32Array | Float64Array, xs: Float32Array | Float64Array, border: Border): Float32Array {
  const { data, height, width, channels } = image;
  const out = new Float32Array(ys.length * channels);
  for (let p = 0; p < ys.length; p++) {
    const y = ys[p]!;
    const x = xs[p]!;
    const y0 = Math.floor(y);
    const x0 = Math.floor(x);
    const fy = y - y0;
    const fx = x - x0;
    const rows = [borderIndex(y0, height, border), borderIndex(y0 + 1, height, border)];
    const cols = [borderIndex(x0, width, border), borderIndex(x0 + 1, width, border)];
    const weights = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx];
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        const r = rows[k >> 1]!;
        const q = cols[k & 1]!;
        if (r >= 0 && q >= 0) sum += weights[k]! * data[(r * width + q) * channels + c]!;
      }
      out[p * channels + c] = sum;
    }
  }
  return out;
}

/**
 * A 2×3 affine map from output (row, column, 1) to input (row, column): the inverse map, as
 * scikit-image's warp and OpenCV's WARP_INVERSE_MAP take it.
 */
export type InverseAffine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

/** Warps an image: output (y, x) reads the input at (a·y + b·x + c, d·y + e·x + f). */
export function warpAffine(image: Image, map: InverseAffine, border: Border): Float32Array {
  const { height, width } = image;
  const [a, b, c, d, e, f] = map;
  const ys = new Float64Array(height * width);
  const xs = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      ys[y * width + x] = a * y + b * x + c;
      xs[y * width + x] = d * y + e * x + f;
    }
  }
  return sampleBilinear(image, ys, xs, border);
}

/**
 * Bilinear resize to outHeight × outWidth with corners aligned (scipy.ndimage.zoom's mapping:
 * input = output · (in − 1)/(out − 1)).
 */
export function resizeBilinear(image: Image, outHeight: number, outWidth: number): Float32Array {
  const sy = outHeight > 1 ? (image.height - 1) / (outHeight - 1) : 0;
  const sx = outWidth > 1 ? (image.width - 1) / (outWidth - 1) : 0;
  const ys = new Float64Array(outHeight * outWidth);
  const xs = new Float64Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      ys[y * outWidth + x] = y * sy;
      xs[y * outWidth + x] = x * sx;
    }
  }
  return sampleBilinear(image, ys, xs, 'nearest');
}
