import type { Image } from '../types.js';
import { borderIndex, type Border } from './border.js';

/** A normalised 1-D Gaussian of radius ⌈truncate·σ⌉ (scikit-image and scipy truncate at 4σ). */
export function gaussianKernel(sigma: number, truncate = 4): Float32Array {
  const radius = Math.max(0, Math.ceil(truncate * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  if (sigma <= 0) {
    kernel[radius] = 1;
    return kernel;
  }
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}

/**
 * Correlates every channel with kernelX along rows, then kernelY along columns (both odd
 * length, centred). Separable filtering costs O(k) per pixel instead of O(k²).
 */
export function convolveSeparable(image: Image, kernelX: Float32Array, kernelY: Float32Array, border: Border): Float32Array {
  const { data, height, width, channels } = image;
  const rx = (kernelX.length - 1) / 2;
  const ry = (kernelY.length - 1) / 2;
  const rows = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -rx; k <= rx; k++) {
          const xx = borderIndex(x + k, width, border);
          if (xx >= 0) sum += kernelX[k + rx]! * data[(y * width + xx) * channels + c]!;
        }
        rows[(y * width + x) * channels + c] = sum;
      }
    }
  }
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -ry; k <= ry; k++) {
          const yy = borderIndex(y + k, height, border);
          if (yy >= 0) sum += kernelY[k + ry]! * rows[(yy * width + x) * channels + c]!;
        }
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return out;
}

/** Gaussian blur of every channel; scikit-image's filters.gaussian uses the nearest border. */
export function gaussianBlur(image: Image, sigma: number, border: Border = 'nearest'): Float32Array {
  const kernel = gaussianKernel(sigma);
  return convolveSeparable(image, kernel, kernel, border);
}

/**
 * Correlates every channel with a 2-D kernel (row-major, kernelHeight × kernelWidth, centred
 * at ⌊size/2⌋), as OpenCV's filter2D does; its default border is mirror (BORDER_REFLECT_101).
 */
export function convolve2d(image: Image, kernel: Float32Array, kernelHeight: number, kernelWidth: number, border: Border = 'mirror'): Float32Array {
  const { data, height, width, channels } = image;
  const cy = Math.floor(kernelHeight / 2);
  const cx = Math.floor(kernelWidth / 2);
  // Only the kernel's non-zero taps cost anything: disks and lines are mostly zeros.
  const taps: [dy: number, dx: number, weight: number][] = [];
  for (let ky = 0; ky < kernelHeight; ky++) {
    for (let kx = 0; kx < kernelWidth; kx++) {
      const weight = kernel[ky * kernelWidth + kx]!;
      if (weight !== 0) taps.push([ky - cy, kx - cx, weight]);
    }
  }
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      for (const [dy, dx, weight] of taps) {
        const yy = borderIndex(y + dy, height, border);
        const xx = borderIndex(x + dx, width, border);
        if (yy < 0 || xx < 0) continue;
        const i = (yy * width + xx) * channels;
        for (let c = 0; c < channels; c++) out[o + c]! += weight * data[i + c]!;
      }
    }
  }
  return out;
}
