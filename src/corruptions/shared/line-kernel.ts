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
  return {
    dx: Int32Array.from(list, (t) => t.dx),
    dy: Int32Array.from(list, (t) => t.dy),
    weights: Float64Array.from(list, (t) => t.weight / total),
  };
}
