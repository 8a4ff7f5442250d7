import type { RandomStream } from '../../random/stream.js';
import { fillNormalInBlocks } from '../shared/normal-blocks.js';
import { lineKernel } from '../shared/line-kernel.js';
import { simdEngine } from '../../engine/simd.js';
import { BlurJob } from '../blur/operations.js';
import { defineCorruption } from '../types.js';
import { grayOf, zoomCropToSize } from './layers.js';

/** (flake mean μ, σ, zoom, threshold, motion-blur radius, motion-blur σ, blend b). */
export type SnowParams = readonly [mean: number, std: number, zoom: number, threshold: number, blurRadius: number, blurSigma: number, blend: number];

/**
 * The flake layer before its motion blur: N(μ, σ) noise, clipped_zoom'ed by `zoom`, zeroed below
 * the threshold and clipped to [0, 1] (the reference clips it when it turns it into an 8-bit image
 * for ImageMagick; we keep it as floats), plus the streak angle θ ~ U(−135°, −45°), drawn after
 * the noise as in the reference.
 *
 * Only the centre ⌈H/zoom⌉ × ⌈W/zoom⌉ of the noise is drawn (ziggurat normals from the stream):
 * clipped_zoom keeps nothing else, so the layer has the reference's distribution with fewer draws. The reference crops a square
 * (it uses H for both sides); here each side uses its own length, so any H × W works.
 */
export function snowFlakeLayer(height: number, width: number, params: SnowParams, random: RandomStream, out?: Float32Array): { layer: Float32Array; angle: number } {
  const [mean, std, zoom, threshold] = params;
  const ch = Math.min(height, Math.ceil(height / zoom));
  const cw = Math.min(width, Math.ceil(width / zoom));
  const crop = fillNormalInBlocks(random, new Float32Array(ch * cw));
  for (let i = 0; i < crop.length; i++) crop[i] = mean + std * crop[i]!;
  const layer = zoomCropToSize(crop, ch, cw, zoom, height, width, out);
  for (let i = 0; i < layer.length; i++) {
    const v = layer[i]!;
    layer[i] = v < threshold ? 0 : v > 1 ? 1 : v;
  }
  const angle = -135 + 90 * random.float();
  return { layer, angle };
}

/**
 * Snow, following the original ImageNet-C generator: a flake layer (see snowFlakeLayer) is
 * motion-blurred with ImageMagick's kernel (shared/line-kernel) at θ ~ U(−135°, −45°), on the blur
 * engine as motion_blur is (float32 sums, four pixels an instruction); the image
 * is whitened, x ← b·x + (1 − b)·max(x, 1.5·gray + 0.5) with OpenCV's RGB→gray (Rec. 601) luma
 * (gray images use themselves, as MNIST-C does), and the streaks and their 180° rotation are added
 * to every channel before clipping.
 *
 * Differences from the reference, all below 8-bit precision or about sizes it never saw: the
 * layer stays float instead of making a round trip through 8-bit PNGs; the blur reads the nearest
 * edge pixel outside the image (ImageMagick's default), so streaks keep their mass at borders;
 * non-square images zoom each side by its own length.
 */
export const snow = defineCorruption<SnowParams>({
  id: 'snow',
  group: 'weather',
  summary: 'motion-blurred snow flakes over a whitened image; parameters: (flake μ, σ, zoom, threshold, blur radius, blur σ, blend)',
  table: {
    imagenet224: [
      [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
      [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
      [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
      [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
      [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
    ],
    cifar32: [
      [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
      [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
      [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
      [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
      [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
    ],
    // MNIST-C has no calibrated snow (it dropped it), and ImageNet-C's 10–12 px streaks at zoom
    // up to 4.5 cover a 28-px garment. CIFAR-10-C's 32-px ramp instead, with the streak radius and
    // σ scaled by 28/32 (flake density, zoom, threshold and blend are relative and kept).
    mnist28: [
      [0.1, 0.2, 1, 0.6, 7, 2.625, 0.95],
      [0.1, 0.2, 1, 0.5, 8.75, 3.5, 0.9],
      [0.15, 0.3, 1.75, 0.55, 8.75, 3.5, 0.9],
      [0.25, 0.3, 2.25, 0.6, 10.5, 5.25, 0.85],
      [0.3, 0.3, 1.25, 0.65, 12.25, 10.5, 0.8],
    ],
  },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, params, random) => {
    const [, , , , radius, sigma, blend] = params;
    const pixels = height * width;
    const { layer, angle } = snowFlakeLayer(height, width, params, random, new Float32Array(pixels));
    const gray = grayOf(data, channels, new Float32Array(pixels));
    // The streaks stay in the SIMD engine's memory, read before its next operation.
    const job = new BlurJob({ data: layer, height, width, channels: 1 }, simdEngine());
    const streaks = job.view(job.sparse('input', lineKernel(radius, sigma, angle), 'nearest'));
    const out = new Float32Array(data.length);
    const keep = 1 - blend;
    for (let p = 0, i = 0; p < pixels; p++) {
      const whitened = 1.5 * gray[p]! + 0.5;
      const flakes = streaks[p]! + streaks[pixels - 1 - p]!;
      for (let c = 0; c < channels; c++, i++) {
        const x = data[i]!;
        const v = blend * x + keep * (x > whitened ? x : whitened) + flakes;
        out[i] = v > 1 ? 1 : v < 0 ? 0 : v;
      }
    }
    return { data: out, sampled: { angle } };
  },
});
