import { ensure } from '../errors.js';
import { RandomStream } from '../random/stream.js';
import { simdEngine } from '../engine/simd.js';
import type { Registry } from '../registry.js';
import { PROFILE_NAMES, SEVERITIES, type AnyCorruption, type ProfileName, type SampledParameters, type Severity } from './types.js';

/** A batch of images, NHWC float32 in [0, 1]. */
export interface ImageBatchData {
  readonly images: Float32Array;
  readonly shape: readonly [n: number, height: number, width: number, channels: number];
}

export interface CorruptOptions {
  readonly seed: number;
  /** Severity table to use; by default picked from the image size (profileForSize). */
  readonly profile?: ProfileName;
  /**
   * The dataset index of each image in the batch (default 0..n-1). Each image's random stream
   * is derived from (seed, corruption, severity, index), so its result does not depend on the
   * batch it came in or on its position there.
   */
  readonly imageIndices?: readonly number[];
}

export interface CorruptedBatch extends ImageBatchData {
  readonly profile: ProfileName;
  /** Parameters drawn for each image, where the corruption samples any. */
  readonly sampled: readonly (SampledParameters | undefined)[];
}

/** The profile whose constants were made for images of about this size. */
export function profileForSize(height: number, width: number): ProfileName {
  const side = Math.min(height, width);
  if (side <= 28) return 'mnist28';
  if (side <= 96) return 'cifar32';
  return 'imagenet224';
}

export function parseSeverity(value: unknown): Severity {
  ensure(
    typeof value === 'number' && (SEVERITIES as readonly number[]).includes(value),
    `severity must be an integer from 1 to 5, got ${String(value)}`,
  );
  return value as Severity;
}

export function parseProfile(value: string): ProfileName {
  ensure((PROFILE_NAMES as readonly string[]).includes(value), `unknown profile '${value}' (known: ${PROFILE_NAMES.join(', ')})`);
  return value as ProfileName;
}

/** Checks a batch is well-formed NHWC in [0, 1] without NaN: corruptions assume it. */
export function validateBatch(batch: ImageBatchData): void {
  const [n, h, w, c] = batch.shape;
  ensure(
    [n, h, w, c].every((d) => Number.isInteger(d) && d > 0),
    `images must have a positive NHWC shape, got [${batch.shape.join(', ')}]`,
  );
  ensure(batch.images.length === n * h * w * c, `images hold ${batch.images.length} values but the shape [${batch.shape.join(', ')}] needs ${n * h * w * c}`);
  const images = batch.images;
  if (!allInUnitRange(images)) {
    for (let i = 0; i < images.length; i++) {
      const v = images[i]!;
      // Written as a negation so that NaN fails too.
      if (!(v >= 0 && v <= 1)) ensure(false, `pixel ${i} is ${v}: images must be float32 in [0, 1] without NaN`);
    }
  }
}

/**
 * Whether every value is in [+0, 1], without a branch per value (false also for −0, which the
 * exact test then lets through, and for NaN and anything outside [0, 1]): the float32
 * bit patterns of +0 … 1 are exactly the int32s 0 … 0x3F800000, so a value is out of range iff b
 * or 0x3F800000 − b has its sign bit set (neither can overflow for b ≥ 0). OR-ing those over the
 * image leaves the sign bit set iff some value is out of range.
 *
 * Large images are checked with the blur family's SIMD engine, four values an instruction, after
 * copying them into its memory: about a quarter of the time of the JavaScript loop (which runs
 * every corruption call; at 224×224×3 the loop took about 0.1 ms of each call). The copy goes
 * into the engine's scratch memory, which every operation on the engine starts by resetting:
 * nothing there outlives a synchronous step, and validation is one.
 */
function allInUnitRange(values: Float32Array): boolean {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const whole = bits.length - (bits.length % 4);
  const engine = values.length >= SIMD_CHECK_FROM ? simdEngine() : undefined;
  let flags: number;
  if (engine?.kind === 'wasm-simd') {
    const { arena, kernels } = engine;
    arena.reset();
    const address = arena.alloc(whole);
    arena.f32.set(values.subarray(0, whole), address >>> 2);
    flags = kernels.outsideUnitRange(address, whole) === 0 ? 0 : -1;
  } else {
    flags = outOfRangeBits(bits, whole);
  }
  for (let i = whole; i < bits.length; i++) flags |= bits[i]! | (UNIT_BITS - bits[i]!);
  return flags >= 0;
}

/** Below this many values the copy into the engine's memory does not pay (and a 28-px batch of one image stays in JavaScript). */
const SIMD_CHECK_FROM = 4096;

/** The float32 bits of 1. */
const UNIT_BITS = 0x3f800000;

/**
 * The OR of b | (1's bits − b) over bits[0 … end), end a multiple of 4, four values a step (so the
 * four ORs run side by side). The loop is all the function does: V8 compiles a long loop while
 * it runs, and code after it that had not run by then lacks type feedback, so the compiled loop
 * would be dropped there on every call.
 */
function outOfRangeBits(bits: Int32Array, end: number): number {
  let flags = 0;
  for (let i = 0; i < end; i += 4) {
    const w = bits[i]!;
    const x = bits[i + 1]!;
    const y = bits[i + 2]!;
    const z = bits[i + 3]!;
    flags |= w | (UNIT_BITS - w) | x | (UNIT_BITS - x) | y | (UNIT_BITS - y) | z | (UNIT_BITS - z);
  }
  return flags;
}

/** Applies one corruption at one severity to every image of a batch. */
export async function corruptBatch(
  registry: Registry<AnyCorruption>,
  batch: ImageBatchData,
  corruptionId: string,
  severity: number,
  options: CorruptOptions,
): Promise<CorruptedBatch> {
  const corruption = registry.get(corruptionId);
  const level = parseSeverity(severity);
  validateBatch(batch);
  const [n, height, width, channels] = batch.shape;
  ensure(
    corruption.channels === 'any' || channels === 3,
    `${corruption.id} acts on colour and does not apply to ${channels}-channel images`,
  );
  const indices = options.imageIndices ?? Array.from({ length: n }, (_, i) => i);
  ensure(indices.length === n, `${indices.length} image indices for ${n} images`);
  const profile = options.profile ?? profileForSize(height, width);
  const params = corruption.table[profile][level - 1];
  const root = RandomStream.fromSeed(options.seed);
  const size = height * width * channels;
  // Allocated on the second image: a single image's result is returned as it is (a new array).
  let out: Float32Array | undefined;
  const sampled: (SampledParameters | undefined)[] = [];
  for (let i = 0; i < n; i++) {
    const image = { data: batch.images.subarray(i * size, (i + 1) * size), height, width, channels };
    const result = await corruption.apply(image, params, root.derive('corruption', corruption.id, level, indices[i]!));
    if (result.data.length !== size) throw new Error(`${corruption.id} returned ${result.data.length} values for an image of ${size}`);
    sampled.push(result.sampled);
    if (n === 1 && ownsWholeBuffer(result.data, batch.images)) return { images: result.data, shape: batch.shape, profile, sampled };
    out ??= new Float32Array(batch.images.length);
    out.set(result.data, i * size);
  }
  return { images: out!, shape: batch.shape, profile, sampled };
}

/** Whether `data` is an array of its own: no view into the input or into a larger buffer. */
function ownsWholeBuffer(data: Float32Array, input: Float32Array): boolean {
  return data.buffer !== input.buffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
}
