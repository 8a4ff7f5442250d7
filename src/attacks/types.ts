import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../models/contract.js';
import type { RandomStream } from '../random/stream.js';
import type { RegistryEntry } from '../registry.js';

/** The threat models: L∞ (max pixel change) and L2 (Euclidean length of the perturbation). */
export const NORMS = ['linf', 'l2'] as const;
export type Norm = (typeof NORMS)[number];

/** White-box attacks take gradients through the model; black-box ones only read its scores. */
export type AttackKind = 'white-box' | 'black-box';

/** What every attack's parameters hold: the budget, always explicit (no silent default ε). */
export interface AttackBudget {
  /** Radius of the perturbation ball, in pixel units of images in [0, 1]. */
  readonly eps: number;
  readonly norm: Norm;
}

/**
 * The knobs a user may set from the CLI or the API, before an attack fills in its defaults.
 * An attack lists the ones it takes in `accepts`; any other one given is refused, never ignored.
 */
export interface AttackOptions {
  readonly norm?: Norm;
  readonly steps?: number;
  readonly restarts?: number;
  /** Absolute step size; PGD's default is 2.5·ε/steps. */
  readonly stepSize?: number;
  readonly randomStart?: boolean;
  /** Black-box query budget per image (Square's default 5,000). */
  readonly queries?: number;
  /** Targeted attacks that pick their own targets (APGD-T): how many of the top wrong classes. */
  readonly targetClasses?: number;
}

export type AttackOptionName = keyof AttackOptions;

/**
 * One batch to attack. `random` holds one stream per image, derived by the caller from
 * (seed, attack, ε, dataset index), so an image's result does not depend on its batch.
 */
export interface AttackInput {
  /** NHWC float32 in [0, 1]. The caller owns it; the attack never disposes it. */
  readonly images: tf.Tensor4D;
  /** True class of each image. */
  readonly labels: Int32Array;
  /** Targeted mode: the class each image should be pushed to (success = predicted target). */
  readonly targets?: Int32Array;
  readonly random: readonly RandomStream[];
}

/** What an attack measured for one image of the batch, on the adversarial image it returns. */
export interface AttackExampleOutcome {
  /** Untargeted: predicted class ≠ label. Targeted: predicted class = target. */
  readonly success: boolean;
  /** The adversarial image's predicted class. */
  readonly predicted: number;
  /** Measured norm (in the attack's norm) of adversarial − clean. */
  readonly norm: number;
  /** Cross-entropy of the adversarial image against its true label (untargeted) or its target (targeted). */
  readonly loss: number;
  /** Which attack (or ensemble member) broke it, when that is not the attack itself. */
  readonly brokenBy?: string;
}

export interface AttackOutput {
  /** Same shape as the input, in [0, 1], within ε of it. The caller owns and disposes it. */
  readonly adversarial: tf.Tensor4D;
  readonly perExample: readonly AttackExampleOutcome[];
  /** Gradient evaluations (white-box) or forward passes (black-box) spent, per image. */
  readonly costPerImage: number;
}

/**
 * One attack: a registry entry that turns user options into its full parameter set (defaults
 * filled, nothing left implicit) and runs on a batch. Later attacks (APGD, Square, ensembles)
 * implement the same shape.
 */
export interface Attack<P extends AttackBudget = AttackBudget> extends RegistryEntry {
  readonly summary: string;
  readonly kind: AttackKind;
  readonly norms: readonly Norm[];
  /** The AttackOptions this attack takes; others are refused. */
  readonly accepts: readonly AttackOptionName[];
  /** Whether it supports `targets` (targeted mode). */
  readonly targeted: boolean;
  /** The full parameters for ε and the user's options: validates and fills every default. */
  resolve(eps: number, options: AttackOptions): P;
  run(classifier: Classifier, input: AttackInput, params: P): Promise<AttackOutput>;
}

/** An attack of any parameter type, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAttack = Attack<any>;

/** Declares an attack with its parameter type checked against its resolve and run. */
export function defineAttack<P extends AttackBudget>(attack: Attack<P>): Attack<P> {
  return attack;
}

/** The per-example record of a robustness evaluation: one per image and ε. */
export interface ExampleRecord {
  /** Position in the evaluated dataset. */
  readonly index: number;
  readonly label: number;
  readonly eps: number;
  readonly cleanCorrect: boolean;
  readonly adversarialCorrect: boolean;
  /** The adversarial (or clean, when not attacked) prediction. */
  readonly predicted: number;
  /** 'clean' when it was already misclassified, the attack's id when an attack broke it, null when it held. */
  readonly brokenBy: string | null;
  /** Measured perturbation norm; 0 when not attacked. */
  readonly norm: number;
  /** Final loss against the true label (against the target in targeted mode); the clean loss when not attacked. */
  readonly loss: number;
  /** Targeted mode: the class the attack pushed towards (null when the image had none to reach). */
  readonly target?: number | null;
  /** Targeted mode: whether the adversarial prediction is the target. */
  readonly targetReached?: boolean;
}

/**
 * A finding of a sanity check (gradient masking, randomness, softmax outputs, …). The checks
 * themselves come later; results carry the list and the names of the checks that ran.
 */
export interface SanityFlag {
  readonly check: string;
  readonly severity: 'warning' | 'error';
  readonly message: string;
}
