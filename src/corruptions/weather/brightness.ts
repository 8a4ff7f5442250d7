import { clip01 } from '../shared/pixels.js';
import { defineCorruption } from '../types.js';

/**
 * Brightness: V ← clip(V + c) in HSV, hue and saturation kept. With H and S fixed, every RGB
 * channel scales by V'/V, so no full HSV round trip is needed; gray images get x + c.
 */
export const brightness = defineCorruption<number>({
  id: 'brightness',
  group: 'weather',
  summary: 'brightness raised in HSV value; parameter: ΔV',
  table: {
    imagenet224: [0.1, 0.2, 0.3, 0.4, 0.5],
    cifar32: [0.05, 0.1, 0.15, 0.2, 0.3],
    // MNIST-C uses ImageNet-C's s5 (+0.5).
    mnist28: [0.1, 0.2, 0.3, 0.4, 0.5],
  },
  channels: 'any',
  preservesConstant: true,
  apply: ({ data, channels }, delta) => ({ data: channels === 3 ? brightenRgb(data, delta) : brighten(data, channels, delta) }),
});

/** brighten for RGB, unrolled: the inner loops over channels cost more than the arithmetic. */
function brightenRgb(data: Float32Array, delta: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0; p < data.length; p += 3) {
    const r = data[p]!;
    const g = data[p + 1]!;
    const b = data[p + 2]!;
    const value = r > g ? (r > b ? r : b) : g > b ? g : b;
    const brighter = clip01(value + delta);
    if (value > 0) {
      out[p] = clip01((r * brighter) / value);
      out[p + 1] = clip01((g * brighter) / value);
      out[p + 2] = clip01((b * brighter) / value);
    } else {
      out[p] = brighter;
      out[p + 1] = brighter;
      out[p + 2] = brighter;
    }
  }
  return out;
}

/** V ← clip(V + delta) for any channel count: every channel scales by V'/V. */
function brighten(data: Float32Array, channels: number, delta: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0; p < data.length; p += channels) {
    let value = 0;
    for (let c = 0; c < channels; c++) value = Math.max(value, data[p + c]!);
    const brighter = clip01(value + delta);
    for (let c = 0; c < channels; c++) out[p + c] = value > 0 ? clip01((data[p + c]! * brighter) / value) : brighter;
  }
  return out;
}
