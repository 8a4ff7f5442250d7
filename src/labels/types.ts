import type { RandomStream } from '../random/stream.js';
import type { RegistryEntry } from '../registry.js';

/**
 * A K×K row-stochastic matrix: entry [i][j] is P(noisy label = j | clean label = i).
 * Plain nested arrays so that it serialises to JSON as it is.
 */
export type TransitionMatrix = readonly (readonly number[])[];

/**
 * How labels are drawn from a transition matrix:
 * - `per-example`: one multinomial draw per example from its clean class's row (Patrini et al.
 *   2017's `multiclass_noisify`, used by Co-teaching); the realised rate scatters binomially.
 * - `exact`: each class's examples are split between targets in exactly the proportions of its
 *   row (largest-remainder rounding), and which examples go where is a seeded shuffle.
 */
export const NOISE_SAMPLINGS = ['per-example', 'exact'] as const;
export type NoiseSampling = (typeof NOISE_SAMPLINGS)[number];

/** What every noise model's parameters hold. */
export interface NoiseParams {
  /** The noise rate ε, in [0, 1). */
  readonly rate: number;
  /** Defaults to per-example. */
  readonly sampling?: NoiseSampling;
}

/** A features matrix, n rows of d values, row-major: what instance-dependent noise needs. */
export interface FeatureMatrix {
  readonly data: Float32Array;
  readonly dim: number;
}

/** The labels to corrupt. Nothing here is ever modified. */
export interface NoiseInput {
  readonly labels: Int32Array;
  readonly numClasses: number;
  /** One row per label, for models whose flips depend on the example (instance-dependent). */
  readonly features?: FeatureMatrix;
}

/** The outcome of a noise model: both label vectors and what the noise actually did. */
export interface NoisyLabels {
  readonly model: string;
  /** A copy of the clean labels, kept next to the noisy ones. */
  readonly clean: Int32Array;
  readonly noisy: Int32Array;
  /** The model's transition matrix (for instance-dependent noise: each class's mean over its examples). */
  readonly expectedTransition: TransitionMatrix;
  /** Row-normalised counts of (clean, noisy) pairs; a class with no examples gets an all-zero row. */
  readonly realisedTransition: TransitionMatrix;
  /** Counts of (clean, noisy) pairs. */
  readonly transitionCounts: readonly (readonly number[])[];
  /** Realised fraction of examples whose label changed: mean(noisy ≠ clean). */
  readonly noiseRate: number;
  /** The expected fraction under the model, given these clean labels. */
  readonly expectedNoiseRate: number;
  /** Things a reviewer should know (e.g. a flip rate at which the clean class is no longer the majority). */
  readonly warnings: readonly string[];
}

/** What a noise model's spec parser may need: the dataset's classes and a way to read a class-map file. */
export interface NoiseSpecContext {
  readonly classNames: readonly string[];
  readonly readTextFile: (path: string) => string;
}

/**
 * A label-noise model: a registry entry that parses its spec arguments ('0.4', or
 * 'fashion-mnist', '0.3') into parameters and applies them to a label vector.
 */
export interface LabelNoiseModel<P extends NoiseParams = NoiseParams> extends RegistryEntry {
  readonly summary: string;
  /** The spec form, e.g. `symmetric:<rate>`. */
  readonly usage: string;
  /** Whether apply needs `features`. */
  readonly needsFeatures: boolean;
  /** The samplings it supports. */
  readonly samplings: readonly NoiseSampling[];
  parse(args: readonly string[], context: NoiseSpecContext): P;
  /** The noisy labels and their statistics; the input is left as it was. */
  apply(input: NoiseInput, params: P, random: RandomStream): NoisyLabels;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLabelNoiseModel = LabelNoiseModel<any>;

export function defineLabelNoise<P extends NoiseParams>(model: LabelNoiseModel<P>): LabelNoiseModel<P> {
  return model;
}

/** An imbalance profile's parameters all carry the imbalance ratio ρ = n_max / n_min ≥ 1. */
export interface ImbalanceParams {
  readonly ratio: number;
}

/**
 * A class-imbalance profile: how many examples the class at each rank keeps, given the head
 * class's count. Ranks are positions in the class order (rank 0 is the head).
 */
export interface ImbalanceProfile<P extends ImbalanceParams = ImbalanceParams> extends RegistryEntry {
  readonly summary: string;
  readonly usage: string;
  parse(args: readonly string[]): P;
  /** Counts by rank, head first, as the formula gives them (a 0 is refused by the caller, which knows the dataset). */
  counts(maxPerClass: number, numClasses: number, params: P): number[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyImbalanceProfile = ImbalanceProfile<any>;

export function defineImbalance<P extends ImbalanceParams>(profile: ImbalanceProfile<P>): ImbalanceProfile<P> {
  return profile;
}
