/**
 * A 1-D Gaussian kernel exactly as scipy.ndimage.gaussian_filter1d (and so scikit-image's
 * filters.gaussian) builds it: radius int(truncate·σ + 0.5), i.e. truncate·σ rounded half up,
 * weights exp(−k²/2σ²) normalised to sum 1. σ ≤ 1e-15 is the identity, as scipy skips such axes.

 */
export function scipyGaussianKernel(sigma: number, truncate = 4): Float64Array {
  if (!(sigma > 1e-15)) return Float64Array.of(1);
  const radius = Math.trunc(truncate * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) sum += kernel[k + radius] = Math.exp((-0.5 * k * k) / (sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  return kernel;
}
