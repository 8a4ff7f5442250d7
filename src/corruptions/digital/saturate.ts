import { clip01 } from '../shared/pixels.js';
import { defineCorruption } from '../types.js';
import { hsvToRgb, rgbToHsv } from './hsv.js';

/** (a, b): HSV saturation S ← clip(S·a + b). */
export type SaturateParams = readonly [scale: number, shift: number];

/**
 * Saturate (ImageNet-C hold-out): RGB → HSV, S ← clip(S·a + b, 0, 1), HSV → RGB, per pixel
 * (a full round trip, as the reference does through scikit-image). Severities 1–2 desaturate,
 * 3–5 oversaturate. Where b > 0, gray pixels of a colour image get saturation b at hue 0 (red),
 * as in the reference. Gray images are refused (channels: 'rgb'): there S is undefined and the
 * reference would only add a red tint.
 */
export const saturate = defineCorruption<SaturateParams>({
  id: 'saturate',
  group: 'holdout',
  summary: 'HSV saturation scaled and shifted, S ← clip(S·a + b); parameters: (a, b)',
  table: {
    imagenet224: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [20, 0.2]],
    cifar32: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
    // Only RGB images of ≤28 px reach this row (gray ones are refused): CIFAR's ramp, the nearest
    // scale; saturation is per pixel, so the size hardly matters, and CIFAR's milder s3–s5 keep hues.
    mnist28: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
  },
  channels: 'rgb',
  preservesConstant: true,
  apply: ({ data, channels }, [scale, shift]) => {
    if (channels !== 3) throw new Error(`saturate acts on colour and does not apply to ${channels}-channel images`);
    const out = new Float32Array(data.length);
    const hsv = new Float64Array(3);
    const rgb = new Float64Array(3);
    for (let p = 0; p < data.length; p += 3) {
      rgbToHsv(data[p]!, data[p + 1]!, data[p + 2]!, hsv);
      hsvToRgb(hsv[0]!, clip01(hsv[1]! * scale + shift), hsv[2]!, rgb);
      out[p] = clip01(rgb[0]!);
      out[p + 1] = clip01(rgb[1]!);
      out[p + 2] = clip01(rgb[2]!);
    }
    return { data: out };
  },
});
