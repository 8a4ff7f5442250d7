import { borderIndex } from '../shared/border.js';
import { scipyGaussianKernel } from '../shared/scipy-gaussian-kernel.js';
import type { Image } from '../types.js';

export interface CannyOptions {
  /** Standard deviation of the Gaussian smoothing, in pixels (scikit-image's default: 1). */
  readonly sigma: number;
  /** Hysteresis thresholds on the Sobel gradient magnitude (scikit-image's defaults for float images: 0.1 and 0.2). */
  readonly low: number;
  readonly high: number;
}

/**
 * Canny edges of one gray image (height × width, row-major), as scikit-image's `feature.canny`
 * computes them with its defaults (MNIST-C calls `feature.canny(x)`):
 *
 * 1. Gaussian smoothing (σ, truncated at 4σ) with a zero border, divided by the smoothed
 *    all-ones mask, so pixels near the border are averages of what lies inside;
 * 2. Sobel gradients (scipy.ndimage.sobel, reflect border) along rows and columns, and their
 *    magnitude;
 * 3. non-maximum suppression across the gradient direction, interpolating the magnitude
 *    between the two neighbours on each side; pixels on the image border are never edges;
 * 4. hysteresis: local maxima with magnitude ≥ low form 8-connected groups, and a group is kept
 *    when any of its pixels has magnitude ≥ high.
 *
 * Returns 1 on edge pixels and 0 elsewhere.
 */
export function canny(gray: Float32Array, height: number, width: number, { sigma, low, high }: CannyOptions): Uint8Array {
  const n = height * width;
  const edges = new Uint8Array(n);
  if (height < 3 || width < 3) return edges;
  const smoothed = smoothMasked(gray, height, width, sigma);

  // Sobel: isobel differentiates along rows (axis 0) and smooths along columns; jsobel the reverse.
  const isobel = new Float64Array(n);
  const jsobel = new Float64Array(n);
  const magnitude = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    const up = borderIndex(y - 1, height, 'reflect') * width;
    const mid = y * width;
    const down = borderIndex(y + 1, height, 'reflect') * width;
    for (let x = 0; x < width; x++) {
      const left = borderIndex(x - 1, width, 'reflect');
      const right = borderIndex(x + 1, width, 'reflect');
      const gi =
        smoothed[down + left]! + 2 * smoothed[down + x]! + smoothed[down + right]! -
        (smoothed[up + left]! + 2 * smoothed[up + x]! + smoothed[up + right]!);
      const gj =
        smoothed[up + right]! + 2 * smoothed[mid + right]! + smoothed[down + right]! -
        (smoothed[up + left]! + 2 * smoothed[mid + left]! + smoothed[down + left]!);
      const p = mid + x;
      isobel[p] = gi;
      jsobel[p] = gj;
      magnitude[p] = Math.hypot(gi, gj);
    }
  }

  // Non-maximum suppression (scikit-image's bilinear variant), interior pixels only.
  const candidate = new Uint8Array(n); // 1: local maximum ≥ low; 2: also ≥ high
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const p = y * width + x;
      const m = magnitude[p]!;
      if (!(m >= low) || m <= 0) continue;
      const gi = isobel[p]!;
      const gj = jsobel[p]!;
      const ai = Math.abs(gi);
      const aj = Math.abs(gj);
      const sameSign = (gi <= 0) === (gj <= 0);
      let w: number;
      let a1: number; // nearer neighbour on one side, then the diagonal one
      let a2: number;
      let b1: number; // the same on the other side
      let b2: number;
      if (sameSign) {
        if (ai >= aj) {
          w = aj / ai;
          a1 = p + width; a2 = p + width + 1; b1 = p - width; b2 = p - width - 1;
        } else {
          w = ai / aj;
          a1 = p + 1; a2 = p + width + 1; b1 = p - 1; b2 = p - width - 1;
        }
      } else if (ai <= aj) {
        w = ai / aj;
        a1 = p + 1; a2 = p - width + 1; b1 = p - 1; b2 = p + width - 1;
      } else {
        w = aj / ai;
        a1 = p - width; a2 = p - width + 1; b1 = p + width; b2 = p + width - 1;
      }
      if (magnitude[a2]! * w + magnitude[a1]! * (1 - w) > m) continue;
      if (magnitude[b2]! * w + magnitude[b1]! * (1 - w) > m) continue;
      candidate[p] = m >= high ? 2 : 1;
    }
  }

  // Hysteresis: flood the 8-connected groups of candidates from every strong one.
  const stack = new Int32Array(n);
  let top = 0;
  for (let p = 0; p < n; p++) {
    if (candidate[p] === 2) {
      edges[p] = 1;
      stack[top++] = p;
    }
  }
  while (top > 0) {
    const p = stack[--top]!;
    const y = Math.floor(p / width);
    const x = p - y * width;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if (xx < 0 || xx >= width) continue;
        const q = yy * width + xx;
        if (candidate[q] !== 0 && edges[q] === 0) {
          edges[q] = 1;
          stack[top++] = q;
        }
      }
    }
  }
  return edges;
}

/**
 * Separable Gaussian smoothing with a zero border, each pass divided by the kernel mass that fell
 * inside the image: for a separable kernel this equals scikit-image's division by the smoothed mask.
 */
function smoothMasked(gray: Float32Array, height: number, width: number, sigma: number): Float64Array {
  // float32 weights, as the edge thresholds were calibrated with: a symmetric step then ties exactly.
  const kernel = Float32Array.from(scipyGaussianKernel(sigma));
  const r = (kernel.length - 1) / 2;
  const rows = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let mass = 0;
      const from = Math.max(-r, -x);
      const to = Math.min(r, width - 1 - x);
      for (let k = from; k <= to; k++) {
        const g = kernel[k + r]!;
        sum += g * gray[y * width + x + k]!;
        mass += g;
      }
      rows[y * width + x] = sum / mass;
    }
  }
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    const from = Math.max(-r, -y);
    const to = Math.min(r, height - 1 - y);
    let mass = 0;
    for (let k = from; k <= to; k++) mass += kernel[k + r]!;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = from; k <= to; k++) sum += kernel[k + r]! * rows[(y + k) * width + x]!;
      out[y * width + x] = sum / mass;
    }
  }
  return out;
}

/**
 * The gray image canny works on: the channel itself for gray images, scikit-image's rgb2gray
 * luminance (0.2125 R + 0.7154 G + 0.0721 B) for RGB, the channel mean for other counts.
 */
export function luminance({ data, height, width, channels }: Image): Float32Array {
  if (channels === 1) return data;
  const out = new Float32Array(height * width);
  for (let p = 0; p < out.length; p++) {
    const o = p * channels;
    if (channels === 3) out[p] = 0.2125 * data[o]! + 0.7154 * data[o + 1]! + 0.0721 * data[o + 2]!;
    else {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += data[o + c]!;
      out[p] = sum / channels;
    }
  }
  return out;
}
