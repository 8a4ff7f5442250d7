import { clip01 } from '../shared/pixels.js';
import { defineCorruption, type Image } from '../types.js';
import type { RandomStream } from '../../random/stream.js';

import { nextPowerOfTwo, plasmaFractal } from './plasma-fractal.js';

/** (fog strength s, plasma wibble decay, map scale: the map's side over the next power of two ≥ the image side). */
export type FogParams = readonly [strength: number, decay: number, mapScale: number];

/**
 * The plasma map's side for an image: the next power of two ≥ the longer image side, times the
 * profile's map scale. The original ImageNet-C generator crops 224 from a 256 map and CIFAR-10-C
 * uses a 32 map for 32 px (both scale 1: the map is just big enough, as imagecorruptions'
 * next_pow2 also does); MNIST-C crops 28 px from a 256 map (scale 8: 28 → 32 → 256), which
 * keeps only a smooth patch of the fractal.
 */
export function fogMapSize(height: number, width: number, mapScale: number): number {
  return nextPowerOfTwo(Math.max(height, width)) * mapScale;
}

/** The plasma map fog adds, cropped to the image (the top-left corner, as the reference's [:H, :W]). */
export function fogLayer(height: number, width: number, params: FogParams, random: RandomStream): { layer: Float32Array; mapSize: number } {
  const [, decay, mapScale] = params;
  const mapSize = fogMapSize(height, width, mapScale);
  const map = plasmaFractal(mapSize, decay, random, new Float32Array(mapSize * mapSize));
  const layer = new Float32Array(height * width);
  for (let y = 0; y < height; y++) layer.set(map.subarray(y * mapSize, y * mapSize + width), y * width);
  return { layer, mapSize };
}

/** x ← (x + s·plasma)·max/(max + s), max being the image's largest value over all channels. */
export function addFog(image: Image, strength: number, layer: Float32Array): Float32Array {
  const { data, channels } = image;
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! > max) max = data[i]!;
  const scale = max / (max + strength);
  const out = new Float32Array(data.length);
  for (let p = 0, i = 0; p < layer.length; p++) {
    const fog = strength * layer[p]!;
    for (let c = 0; c < channels; c++, i++) out[i] = clip01((data[i]! + fog) * scale);
  }
  return out;
}

/**
 * Fog: a plasma fractal (diamond–square) added with strength s, then the image rescaled by
 * max/(max + s) so its brightest value stays about where it was. The same map is added to every
 * channel, so gray stays gray. An all-black image stays black (max = 0), as in the reference.
 */
export const fog = defineCorruption<FogParams>({
  id: 'fog',
  group: 'weather',
  summary: 'plasma-fractal fog; parameters: (strength s, wibble decay, map scale)',
  table: {
    imagenet224: [
      [1.5, 2, 1],
      [2, 2, 1],
      [2.5, 1.7, 1],
      [2.5, 1.5, 1],
      [3, 1.4, 1],
    ],
    cifar32: [
      [0.2, 3, 1],
      [0.5, 3, 1],
      [0.75, 2.5, 1],
      [1, 2, 1],
      [1.5, 1.75, 1],
    ],
    // s5 is MNIST-C's fog (3.0, 1.4) with its 256 map cropped to 28 px (map scale 8), the setting
    // MNIST-C found label-preserving. Below it a CIFAR-10-C-like ramp (strength .2–1.5, decay
    // 3 → 1.75): with a 256 map a 28-px crop is one smooth patch whose level varies a lot from
    // image to image, so each step raises s/(1 + s), the share of fog, by ≥ 18%.
    mnist28: [
      [0.25, 3, 8],
      [0.5, 2.5, 8],
      [0.9, 2, 8],
      [1.5, 1.7, 8],
      [3, 1.4, 8],
    ],
  },
  channels: 'any',
  preservesConstant: false,
  apply: (image, params, random) => {
    const { layer } = fogLayer(image.height, image.width, params, random);
    return { data: addFog(image, params[0], layer) };
  },
});
