import type { Image } from '../types.js';

/**
 * A motion-blur line kernel as ImageMagick's MotionBlurImage builds it (the original ImageNet-C
 * generator calls it through Wand for motion_blur and snow): 2⌈r⌉ + 1 taps along one side of
 * the pixel, tap i at (round(i·cos θ), round(i·sin θ)) with weight exp(−i²/2σ²), normalised.
 * x grows to the right and y downwards, as in ImageMagick; rounding is ImageMagick's
 * ceil(v − ½). Taps that round to the same offset are merged, so offsets are distinct.
 */
export interface LineKernel {
  /** Column offset of each tap. */
  readonly dx: Int32Array;
  /** Row offset of each tap. */
  readonly dy: Int32Array;
  /** Weights, summing to 1. */
  readonly weights: Float64Array;
  /** The largest |dx| or |dy|: how far from a pixel the kernel reads. */
  readonly reach: number;
}

/**
 * The line kernel of radius r (width 2⌈r⌉ + 1, ImageMagick's GetOptimalKernelWidth1D for r > 0),
 * Gaussian σ and angle θ in degrees. r = 0 or σ = 0 gives the identity (one tap of weight 1).
 */
export function lineKernel(radius: number, sigma: number, angleDegrees: number): LineKernel {
  if (!(Number.isFinite(radius) && radius >= 0)) throw new RangeError(`line kernel radius must be a finite number ≥ 0, got ${radius}`);
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new RangeError(`line kernel σ must be a finite number ≥ 0, got ${sigma}`);
  if (!Number.isFinite(angleDegrees)) throw new RangeError(`line kernel angle must be finite, got ${angleDegrees}`);
  const width = sigma > 0 ? 2 * Math.ceil(radius) + 1 : 1;
  const theta = (angleDegrees * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const taps = new Map<string, { dx: number; dy: number; weight: number }>();
  let total = 0;
  for (let i = 0; i < width; i++) {
    const weight = Math.exp(-(i * i) / (2 * sigma * sigma));
    // ImageMagick: offset = ceil(i·cos θ − ½) (its point/hypot form is the same up to rounding).
    const dx = Math.ceil(i * cos - 0.5) || 0;
    const dy = Math.ceil(i * sin - 0.5) || 0;
    const key = `${dx},${dy}`;
    const tap = taps.get(key);
    if (tap) tap.weight += weight;
    else taps.set(key, { dx, dy, weight });
    total += weight;
  }
  const list = [...taps.values()];
  let reach = 0;
  for (const t of list) reach = Math.max(reach, Math.abs(t.dx), Math.abs(t.dy));
  return {
    dx: Int32Array.from(list, (t) => t.dx),
    dy: Int32Array.from(list, (t) => t.dy),
    weights: Float64Array.from(list, (t) => t.weight / total),
    reach,
  };
}

/**
 * Applies a line kernel to every channel: out(y, x) = Σ wᵢ·in(y + dyᵢ, x + dxᵢ), reading outside
 * the image at the nearest edge pixel (ImageMagick's default 'edge' virtual pixels), so no kernel
 * mass is lost at the borders and a constant image stays constant.
 *
 * Sparse inputs (most pixels exactly 0, like snow's flake layer) are scattered from their
 * non-zero pixels only; dense ones are gathered row by row. Both compute the same sums. Writes
 * into `out` when given (it must not be the input).
 */
export function applyLineKernel(image: Image, kernel: LineKernel, out?: Float32Array): Float32Array {
  const { data, height, width, channels } = image;
  let nonZeroPixels = 0;
  for (let p = 0; p < data.length; p += channels) {
    for (let c = 0; c < channels; c++) {
      if (data[p + c] !== 0) {
        nonZeroPixels++;
        break;
      }
    }
  }
  const target = out ? out.fill(0) : new Float32Array(data.length);
  return nonZeroPixels * 4 < height * width ? scatter(image, kernel, target) : gather(image, kernel, target);
}

function gather({ data, height, width, channels }: Image, { dx, dy, weights }: LineKernel, out: Float32Array): Float32Array {
  const rowLength = width * channels;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    const ox = dx[i]!;
    // Columns whose source x + ox falls inside the image; the rest read the edge column.
    const inStart = Math.min(width, Math.max(0, -ox));
    const inEnd = Math.max(inStart, Math.min(width, width - ox));
    for (let y = 0; y < height; y++) {
      const sy = Math.min(height - 1, Math.max(0, y + dy[i]!));
      const src = sy * rowLength;
      const dst = y * rowLength;
      for (let c = 0; c < channels; c++) {
        const left = data[src + c]!;
        const right = data[src + (width - 1) * channels + c]!;
        for (let x = 0; x < inStart; x++) out[dst + x * channels + c]! += w * left;
        for (let x = inEnd; x < width; x++) out[dst + x * channels + c]! += w * right;
      }
      const start = dst + inStart * channels;
      const end = dst + inEnd * channels;
      const shift = src - dst + ox * channels;
      for (let k = start; k < end; k++) out[k]! += w * data[k + shift]!;
    }
  }
  return out;
}

function scatter({ data, height, width, channels }: Image, { dx, dy, weights, reach }: LineKernel, out: Float32Array): Float32Array {
  const taps = weights.length;
  // Every position of the image extended by `reach` on each side, the extension being copies of
  // the nearest edge pixel, sends wᵢ·value to the output pixel q − offsetᵢ that reads it.
  for (let qy = -reach; qy < height + reach; qy++) {
    const sy = qy < 0 ? 0 : qy >= height ? height - 1 : qy;
    for (let qx = -reach; qx < width + reach; qx++) {
      const sx = qx < 0 ? 0 : qx >= width ? width - 1 : qx;
      const s = (sy * width + sx) * channels;
      let any = false;
      for (let c = 0; c < channels; c++) if (data[s + c] !== 0) any = true;
      if (!any) continue;
      for (let i = 0; i < taps; i++) {
        const py = qy - dy[i]!;
        const px = qx - dx[i]!;
        if (py < 0 || py >= height || px < 0 || px >= width) continue;
        const o = (py * width + px) * channels;
        const w = weights[i]!;
        for (let c = 0; c < channels; c++) out[o + c]! += w * data[s + c]!;
      }
    }
  }
  return out;
}
