import type { Image } from '../types.js';

/**
 * Pillow's Image.resize(size, Image.BOX), the resampler ImageNet-C's pixelate uses both ways,
 * ported from Pillow's Resample.c (precompute_coeffs) for float pixels, as Pillow's 'F' mode
 * computes it (double sums, horizontal pass first, then vertical):
 * - the filter is box(t) = 1 for −0.5 < t ≤ 0.5, stretched by the scale when shrinking;
 * - output pixel i is centred at (i + 0.5)·in/out in input coordinates, and averages, with equal
 *   weights, the input pixels whose centres fall in its box: when shrinking by s, the inputs
 *   with centres in (i·s, (i + 1)·s]; when enlarging, exactly one input, ⌊(i + 0.5)·in/out⌋
 *   (so Pillow's BOX upscale is a nearest-neighbour upscale).
 */
export function resizeBox(image: Image, outHeight: number, outWidth: number): Float32Array {
  const { data, height, width, channels } = image;
  const cols = boxCoefficients(width, outWidth);
  const rows = boxCoefficients(height, outHeight);
  // Horizontal pass: height × outWidth. A single tap has weight 1 exactly (a copy, as in Pillow).
  const mid = new Float32Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const start = row + cols.bounds[2 * x]! * channels;
      const count = cols.bounds[2 * x + 1]!;
      const o = (y * outWidth + x) * channels;
      if (count === 1) {
        for (let c = 0; c < channels; c++) mid[o + c] = data[start + c]!;
        continue;
      }
      const weights = x * cols.size;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < count; k++) sum += data[start + k * channels + c]! * cols.weights[weights + k]!;
        mid[o + c] = sum;
      }
    }
  }
  // Vertical pass: outHeight × outWidth.
  const out = new Float32Array(outHeight * outWidth * channels);
  const rowLength = outWidth * channels;
  for (let y = 0; y < outHeight; y++) {
    const start = rows.bounds[2 * y]! * rowLength;
    const count = rows.bounds[2 * y + 1]!;
    const o = y * rowLength;
    if (count === 1) {
      out.set(mid.subarray(start, start + rowLength), o);
      continue;
    }
    const weights = y * rows.size;
    for (let i = 0; i < rowLength; i++) {
      let sum = 0;
      for (let k = 0; k < count; k++) sum += mid[start + k * rowLength + i]! * rows.weights[weights + k]!;
      out[o + i] = sum;
    }
  }
  return out;
}

interface Coefficients {
  /** Per output pixel: first input index and number of inputs. */
  readonly bounds: Int32Array;
  /** Per output pixel, `size` normalised weights (the first `count` used). */
  readonly weights: Float64Array;
  readonly size: number;
}

/** Pillow's precompute_coeffs for the BOX filter (support 0.5) over [0, inSize). */
function boxCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const ss = 1 / filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(2 * outSize);
  const weights = new Float64Array(outSize * size);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates towards zero; both values are ≥ −0.5 here, so trunc is right.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = (x + xmin - center + 0.5) * ss;
      const w = t > -0.5 && t <= 0.5 ? 1 : 0;
      weights[xx * size + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < xmax; x++) weights[xx * size + x]! /= total;
    bounds[2 * xx] = xmin;
    bounds[2 * xx + 1] = xmax;
  }
  return { bounds, weights, size };
}
