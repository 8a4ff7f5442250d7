import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../models/contract.js';
import type { RandomStream } from '../../random/stream.js';
import type { Registry, RegistryEntry } from '../../registry.js';
import type { EpsResult } from '../evaluate.js';
import type { AnyAttack, AttackBudget, ExampleRecord, SanityFlag } from '../types.js';

/** A few images the checks probe the model and re-run attacks on, with their dataset positions. */
export interface SanitySample {
  /** NHWC in [0, 1]; owned by the caller. */
  readonly images: tf.Tensor4D;
  readonly labels: Int32Array;
  readonly indices: Int32Array;
  /** One stream per image for any random draw a check makes. */
  readonly random: readonly RandomStream[];
}

/** What a check sees of an evaluation that has just finished. */
export interface SanityContext {
  readonly classifier: Classifier;
  readonly attack: AnyAttack;
  /** Resolved parameters per ε, in the order of `results`. */
  readonly params: readonly AttackBudget[];
  readonly results: readonly EpsResult[];
  readonly perExample: readonly ExampleRecord[];
  readonly sample: SanitySample;
  /** Where checks find the attacks they compare against (fgsm, pgd, square). */
  readonly attacks: Registry<AnyAttack>;
}

/**
 * One sanity check, after Carlini et al. (2019) and AutoAttack's checks: it looks at the model
 * or the results for a known sign of a broken evaluation and returns its findings (none when
 * all is well), or `null` when it does not apply (e.g. no second ε to compare).
 */
export interface SanityCheck extends RegistryEntry {
  readonly summary: string;
  run(context: SanityContext): Promise<readonly SanityFlag[] | null>;
}

export function defineCheck(check: SanityCheck): SanityCheck {
  return check;
}

export function flag(check: string, severity: SanityFlag['severity'], message: string): SanityFlag {
  return { check, severity, message };
}
