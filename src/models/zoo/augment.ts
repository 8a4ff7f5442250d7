import * as tf from '@tensorflow/tfjs-core';
import type { RandomStream } from '../../random/stream.js';

/**
 * The augmentation family for 28×28 gray images, shared by every trainer (each picks its
 * strengths). Colour jitter reduces to brightness and contrast on one channel; there are no
 * vertical flips (they turn shoes and bags into other-looking objects), and blur is a
 * 3×3 kernel because a larger one erases most of a 28-pixel garment.
 */
export interface AugmentConfig {
  /** Random resized crop: range of the crop's area as a fraction of the image (1, 1 turns it off). */
  readonly cropScale: readonly [min: number, max: number];
  /** Range of the crop's aspect ratio (width / height), drawn log-uniformly. */
  readonly cropRatio: readonly [min: number, max: number];
  /** Probability of a horizontal flip. */
  readonly flipProbability: number;
  /** Probability that brightness and contrast are jittered at all (SimCLR's p = 0.8). */
  readonly jitterProbability: number;
  /** Brightness factor drawn from [1 − b, 1 + b] (multiplies the image). */
  readonly brightness: number;
  /** Contrast factor drawn from [1 − c, 1 + c] (scales the distance from the image's mean). */
  readonly contrast: number;
  /** Probability of blurring: a blend of the image with its 3×3 Gaussian blur (σ = 1). */
  readonly blurProbability: number;
  /** Probability of adding Gaussian pixel noise. */
  readonly noiseProbability: number;
  /** The noise's standard deviation is drawn from [0, noiseStd]. */
  readonly noiseStd: number;
}

/** No augmentation at all: every draw is the identity. */
export const NO_AUGMENTATION: AugmentConfig = {
  cropScale: [1, 1], cropRatio: [1, 1], flipProbability: 0, jitterProbability: 0, brightness: 0, contrast: 0,
  blurProbability: 0, noiseProbability: 0, noiseStd: 0,
};

/** Supervised training's usual light recipe: mild crops and flips. */
export const LIGHT_AUGMENTATION: AugmentConfig = {
  ...NO_AUGMENTATION, cropScale: [0.7, 1], cropRatio: [3 / 4, 4 / 3], flipProbability: 0.5,
};

/**
 * Contrastive views: SimCLR's crop range narrowed to 0.3–1 for 28-pixel images (the reference
 * notes' Fashion-MNIST advice), jitter p 0.8 at strength 0.4, blur p 0.5, light noise.
 */
export const CONTRASTIVE_AUGMENTATION: AugmentConfig = {
  cropScale: [0.3, 1], cropRatio: [3 / 4, 4 / 3], flipProbability: 0.5, jitterProbability: 0.8,
  brightness: 0.4, contrast: 0.4, blurProbability: 0.5, noiseProbability: 0.2, noiseStd: 0.05,
};

/** Per-image parameters of one augmented batch, drawn on the host from a seeded stream. */
export interface AugmentParams {
  readonly count: number;
  /** Crop boxes [y1, x1, y2, x2] in normalised coordinates; x1 > x2 means flipped. */
  readonly boxes: Float32Array;
  readonly brightness: Float32Array;
  readonly contrast: Float32Array;
  /** Weight of the blurred image in the blend (0 = not blurred). */
  readonly blur: Float32Array;
  /** Per-pixel noise, already scaled by each image's standard deviation. */
  readonly noise: Float32Array;
}

function uniform(random: RandomStream, [min, max]: readonly [number, number]): number {
  return min + (max - min) * random.float();
}

/** A random resized crop box as torchvision draws it: ten tries, else the whole image. */
function cropBox(random: RandomStream, config: AugmentConfig): [number, number, number, number] {
  const logRatio: [number, number] = [Math.log(config.cropRatio[0]), Math.log(config.cropRatio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = uniform(random, config.cropScale);
    const ratio = Math.exp(uniform(random, logRatio));
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w <= 1 && h <= 1) {
      const y = (1 - h) * random.float();
      const x = (1 - w) * random.float();
      return [y, x, y + h, x + w];
    }
  }
  return [0, 0, 1, 1];
}

/** Draws every image's augmentation parameters. Pure in (stream state, count, size, config). */
export function drawAugmentParams(random: RandomStream, count: number, pixelsPerImage: number, config: AugmentConfig): AugmentParams {
  const boxes = new Float32Array(4 * count);
  const brightness = new Float32Array(count).fill(1);
  const contrast = new Float32Array(count).fill(1);
  const blur = new Float32Array(count);
  const noise = new Float32Array(count * pixelsPerImage);
  const noiseStd = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const [y1, x1, y2, x2] = cropBox(random, config);
    const flip = random.float() < config.flipProbability;
    boxes.set(flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2], 4 * i);
    if (random.float() < config.jitterProbability) {
      brightness[i] = uniform(random, [1 - config.brightness, 1 + config.brightness]);
      contrast[i] = uniform(random, [1 - config.contrast, 1 + config.contrast]);
    }
    if (random.float() < config.blurProbability) blur[i] = uniform(random, [0.5, 1]);
    if (random.float() < config.noiseProbability) noiseStd[i] = uniform(random, [0, config.noiseStd]);
  }
  if (noiseStd.some((s) => s > 0)) {
    random.fillNormal(noise);
    for (let i = 0; i < count; i++) {
      const s = noiseStd[i]!;
      for (let j = i * pixelsPerImage; j < (i + 1) * pixelsPerImage; j++) noise[j]! *= s;
    }
  }
  return { count, boxes, brightness, contrast, blur, noise };
}

/** σ = 1 Gaussian over a 3×3 window, normalised: the blur kernel. */
const BLUR_3X3 = (() => {
  const g = [Math.exp(-0.5), 1, Math.exp(-0.5)];
  const total = (g[0]! + g[1]! + g[2]!) ** 2;
  return g.flatMap((a) => g.map((b) => (a * b) / total));
})();

/**
 * Applies drawn parameters to a batch of NHWC images in [0, 1]; the result stays in [0, 1] and
 * keeps the shape. Crop and flip are one bilinear crop-and-resize; then brightness, contrast
 * (around each image's mean), blur blend and noise. The caller owns the result.
 */
export function applyAugmentation(images: tf.Tensor4D, params: AugmentParams): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  if (n !== params.count) throw new Error(`augmentation drawn for ${params.count} images, got ${n}`);
  return tf.tidy(() => {
    const boxIndices = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i), 'int32');
    let x: tf.Tensor4D = tf.image.cropAndResize(images, tf.tensor2d(params.boxes, [n, 4]), boxIndices, [height, width], 'bilinear');
    const perImage = (values: Float32Array) => tf.tensor4d(values, [n, 1, 1, 1]);
    x = tf.mul(x, perImage(params.brightness));
    // c·x + (1 − c)·mean rather than (x − mean)·c + mean: the same, but exact when c = 1.
    const contrast = perImage(params.contrast);
    x = tf.add(tf.mul(x, contrast), tf.mul(tf.mean(x, [1, 2, 3], true), tf.sub(1, contrast)));
    if (params.blur.some((b) => b > 0)) {
      const kernel = tf.tile(tf.tensor4d(BLUR_3X3, [3, 3, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
      const blurred = tf.depthwiseConv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], 0), kernel, 1, 'valid');
      const weight = perImage(params.blur);
      x = tf.add(tf.mul(x, tf.sub(1, weight)), tf.mul(blurred, weight));
    }
    if (params.noise.some((v) => v !== 0)) x = tf.add(x, tf.tensor4d(params.noise, [n, height, width, channels]));
    return tf.clipByValue(x, 0, 1);
  });
}

/** Draws and applies in one call. */
export function augment(images: tf.Tensor4D, random: RandomStream, config: AugmentConfig): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  return applyAugmentation(images, drawAugmentParams(random, n, h * w * c, config));
}

/** Rotates every image by k·90° counter-clockwise (k = 0…3), exactly (no resampling). */
export function rotate90(images: tf.Tensor4D, k: number): tf.Tensor4D {
  return tf.tidy(() => {
    switch (((k % 4) + 4) % 4) {
      case 0: return tf.clone(images);
      case 1: return tf.reverse(tf.transpose(images, [0, 2, 1, 3]), 1);
      case 2: return tf.reverse(images, [1, 2]);
      default: return tf.reverse(tf.transpose(images, [0, 2, 1, 3]), 2);
    }
  });
}

/** The batch in all four rotations, stacked [0°; 90°; 180°; 270°], and each copy's rotation label. */
export function allRotations(images: tf.Tensor4D): { images: tf.Tensor4D; labels: Int32Array } {
  const n = images.shape[0];
  const stacked = tf.tidy(() => tf.concat([0, 1, 2, 3].map((k) => rotate90(images, k)), 0));
  const labels = Int32Array.from({ length: 4 * n }, (_, i) => Math.floor(i / n));
  return { images: stacked, labels };
}
