import type { RandomStream } from '../random/stream.js';
import type { RegistryEntry } from '../registry.js';

export const SEVERITIES = [1, 2, 3, 4, 5] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severity tables per image scale: the constants differ by image size in every reference. */
export const PROFILE_NAMES = ['imagenet224', 'cifar32', 'mnist28'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export const CORRUPTION_GROUPS = ['noise', 'blur', 'weather', 'digital', 'holdout', 'mnist-c'] as const;
export type CorruptionGroup = (typeof CORRUPTION_GROUPS)[number];

/** One image, HWC float32 in [0, 1]. */
export interface Image {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Parameters for severities 1 to 5, in order. */
export type SeverityTable<P> = readonly [P, P, P, P, P];

/** Parameters sampled while corrupting one image (angles, offsets, …), recorded for reports. */
export type SampledParameters = Readonly<Record<string, number>>;

/**
 * One corruption: a registry entry with its severity tables as data and a pure function
 * from one image, its parameters and a random stream to the corrupted image.
 */
export interface Corruption<P = unknown> extends RegistryEntry {
  readonly group: CorruptionGroup;
  readonly summary: string;
  /** The five parameter sets of each profile. */
  readonly table: Readonly<Record<ProfileName, SeverityTable<P>>>;
  /** 'rgb' corruptions act on colour (hue, saturation, tinted layers) and refuse gray images. */
  readonly channels: 'any' | 'rgb';
  /** Whether a constant image comes out constant (a property the tests check). */
  readonly preservesConstant: boolean;
  /**
   * Corrupts one image. Every random draw comes from `random`; the result is a new array of the
   * same size with values in [0, 1]. Sampled parameters, if any, are returned alongside.
   */
  apply(image: Image, params: P, random: RandomStream): CorruptionOutput | Promise<CorruptionOutput>;
}

export interface CorruptionOutput {
  readonly data: Float32Array;
  readonly sampled?: SampledParameters;
}

/** A corruption of any parameter type, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCorruption = Corruption<any>;

/** Declares a corruption with its parameter type checked against its tables and function. */
export function defineCorruption<P>(corruption: Corruption<P>): Corruption<P> {
  return corruption;
}
