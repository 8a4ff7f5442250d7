import { defineCorruption } from '../types.js';
import { frostTexture } from './frost-texture.js';

/** (image weight a, frost weight b). */
export type FrostParams = readonly [imageWeight: number, frostWeight: number];

/**
 * Frost: clip(a·x + b·frost), frost being a window cropped at random from a frost sheet. The
 * reference crops one of five bundled photographs (frost1–5; frost6 is never drawn); ours are
 * generated from the stream (see frost-texture.ts), so no third-party images ship. The texture
 * is bluish white on RGB and its luma on gray images, which it brightens without tinting.
 */
export const frost = defineCorruption<FrostParams>({
  id: 'frost',
  group: 'weather',
  summary: 'procedural frost texture blended over the image; parameters: (image weight a, frost weight b)',
  table: {
    imagenet224: [
      [1, 0.4],
      [0.8, 0.6],
      [0.7, 0.7],
      [0.65, 0.7],
      [0.6, 0.75],
    ],
    cifar32: [
      [1, 0.2],
      [1, 0.3],
      [0.9, 0.4],
      [0.85, 0.4],
      [0.75, 0.45],
    ],
    // MNIST-C dropped frost. A CIFAR-10-C-like ramp that keeps the garment's own contrast at
    // ≥ 0.85 and raises the frost weight by 0.1 a step: CIFAR's s3→s4 lowers only a, which makes
    // a 28-px garment darker but not more frosted (and moves it less far from clean).
    mnist28: [
      [1, 0.2],
      [1, 0.3],
      [0.95, 0.4],
      [0.9, 0.5],
      [0.85, 0.6],
    ],
  },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, [a, b], random) => {
    const { intensity, tint, cropTop, cropLeft } = frostTexture(height, width, channels, random);
    const out = new Float32Array(data.length);
    for (let p = 0, i = 0; p < intensity.length; p++) {
      const frostValue = b * intensity[p]!;
      for (let c = 0; c < channels; c++, i++) {
        const v = a * data[i]! + frostValue * tint[c]!;
        out[i] = v > 1 ? 1 : v < 0 ? 0 : v;
      }
    }
    return { data: out, sampled: { cropTop, cropLeft } };
  },
});
