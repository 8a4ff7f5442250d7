/**
 * ssl-robust/testing: fast-check arbitraries for property-testing image pipelines
 * (corruptions, attacks, your own preprocessing). Needs fast-check installed beside ssl-robust.
 */
import fc from 'fast-check';

export interface ImageBatch {
  /** NHWC float32 pixels in [0, 1]. */
  readonly images: Float32Array;
  readonly shape: readonly [n: number, height: number, width: number, channels: number];
}

export interface ImageBatchConstraints {
  readonly minBatch?: number;
  readonly maxBatch?: number;
  readonly minSize?: number;
  readonly maxSize?: number;
  /** Allowed channel counts; default 1 and 3. */
  readonly channels?: readonly number[];
  /** Square images only (height = width); default false. */
  readonly square?: boolean;
}

/** Image shapes [height, width, channels]. */
export function imageShape(constraints: ImageBatchConstraints = {}): fc.Arbitrary<readonly [number, number, number]> {
  const size = fc.integer({ min: constraints.minSize ?? 1, max: constraints.maxSize ?? 32 });
  const channels = fc.constantFrom(...(constraints.channels ?? [1, 3]));
  return constraints.square
    ? fc.tuple(size, channels).map(([s, c]) => [s, s, c] as const)
    : fc.tuple(size, size, channels);
}

/** Pixel values in [0, 1], including the exact bounds (where clipping bugs hide). */
export function pixel(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.float({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1) },
  ).map((v) => Math.fround(Object.is(v, -0) ? 0 : v));
}

/** Batches of images of any size and channel count, NHWC float32 in [0, 1]. */
export function imageBatch(constraints: ImageBatchConstraints = {}): fc.Arbitrary<ImageBatch> {
  const batchSize = fc.integer({ min: constraints.minBatch ?? 1, max: constraints.maxBatch ?? 4 });
  return fc.tuple(batchSize, imageShape(constraints)).chain(([n, [h, w, c]]) =>
    fc.array(pixel(), { minLength: n * h * w * c, maxLength: n * h * w * c }).map((values) => ({
      images: Float32Array.from(values),
      shape: [n, h, w, c] as const,
    })),
  );
}

/** One image (a batch of one). */
export function image(constraints: Omit<ImageBatchConstraints, 'minBatch' | 'maxBatch'> = {}): fc.Arbitrary<ImageBatch> {
  return imageBatch({ ...constraints, minBatch: 1, maxBatch: 1 });
}

/** Seeds as ssl-robust takes them (non-negative safe integers). */
export function seed(): fc.Arbitrary<number> {
  return fc.nat({ max: 2 ** 31 - 1 });
}

/** Corruption severities, 1 to 5. */
export function severity(): fc.Arbitrary<1 | 2 | 3 | 4 | 5> {
  return fc.constantFrom(1, 2, 3, 4, 5);
}
