import { defineCorruption } from '../types.js';
import { resizeBox } from './box-resize.js';

/** The side of the reduced image: ⌊side·factor⌋ as Python's int() gives it, at least 1 px. */
export function pixelatedSize(side: number, factor: number): number {
  return Math.max(1, Math.floor(side * factor));
}

/**
 * Pixelate: shrink to ⌊H·c⌋ × ⌊W·c⌋ (at least 1 px each) with a BOX filter, then enlarge back to
 * H × W with BOX, both as Pillow computes them (box-resize.ts). The original ImageNet-C generator
 * enlarges with BOX; imagecorruptions uses NEAREST, which places block edges slightly differently.
 * Pillow's BOX enlargement copies one reduced pixel per output pixel, so the result is made of
 * constant blocks ⌊H/h⌋ or ⌈H/h⌉ pixels high (likewise wide). Each axis uses its own size, so
 * non-square images work (the reference hard-codes 224 or 32 for both). The reference runs on
 * uint8 PIL images; here the float pixels are resampled without rounding to 8 bits.
 */
export const pixelate = defineCorruption<number>({
  id: 'pixelate',
  group: 'digital',
  summary: 'BOX downscale by a factor then BOX upscale back; parameter: size factor',
  table: {
    imagenet224: [0.6, 0.5, 0.4, 0.3, 0.25],
    cifar32: [0.95, 0.9, 0.85, 0.75, 0.65],
    // 28 → 24, 21, 18, 15, 12 px, between CIFAR's (0.95–0.65) and Tiny-ImageNet-C's (0.9–0.5)
    // ramps: at 12 px every garment keeps its outline (checked on a preview of Fashion-MNIST);
    // ImageNet's 0.3–0.25 (8, 7 px) leave sneakers and sandals unreadable, CIFAR's barely shows at
    // 28 px, and its s1, s2 (26, 25 px) are equally far from clean; 3-px steps grow monotonically.
    mnist28: [0.86, 0.75, 0.65, 0.54, 0.43],
  },
  channels: 'any',
  preservesConstant: true,
  apply: (image, factor) => {
    const height = pixelatedSize(image.height, factor);
    const width = pixelatedSize(image.width, factor);
    const reduced = { data: resizeBox(image, height, width), height, width, channels: image.channels };
    // Box averages of values in [0, 1] stay in [0, 1]; no clipping is needed.
    return { data: resizeBox(reduced, image.height, image.width) };
  },
});
