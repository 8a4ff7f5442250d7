import type { RandomStream } from '../../random/stream.js';
import type { RegistryEntry } from '../../registry.js';
import type { MeanInterval } from '../../runner/metrics.js';
import { ensure } from '../../errors.js';

/** Embeddings of n examples, row-major n × dim, with one label each. */
export interface FeatureSet {
  readonly features: Float32Array;
  readonly labels: Int32Array;
}

/** What a protocol sees: train features with the labels to learn from, test features with true labels. */
export interface ProbeData {
  readonly dim: number;
  readonly numClasses: number;
  readonly train: FeatureSet;
  readonly test: FeatureSet;
}

/**
 * The knobs a user may set. A protocol lists the ones it takes in `accepts`; any other one
 * given is refused, never silently ignored.
 */
export interface ProbeSettings {
  /** linear: L2 weight decays to sweep on a held-out part of the training set. */
  readonly weightDecays?: readonly number[];
  /** linear: the fraction of the training set held out for the sweep. */
  readonly heldOutFraction?: number;
  /** knn: neighbours that vote. */
  readonly k?: number;
  /** knn: temperature of the exp(similarity / T) vote weights. */
  readonly temperature?: number;
  /** prototype: classes per episode. */
  readonly ways?: number;
  /** prototype: labelled support examples per class and episode. */
  readonly shots?: number;
  /** prototype: query examples per class and episode. */
  readonly queries?: number;
  /** prototype: how many episodes. */
  readonly episodes?: number;
}

export type ProbeSettingName = keyof ProbeSettings;

/** Settings with every default filled in, for reports. */
export type ResolvedProbeSettings = Readonly<Record<string, number | readonly number[]>>;

/** One protocol's predictions on the examples it scored. */
export interface ProbeRun {
  readonly predictions: Int32Array;
  /** True labels of the same examples. */
  readonly labels: Int32Array;
  readonly settings: ResolvedProbeSettings;
  /** Episodic protocols: accuracy over episodes with its 95% confidence interval. */
  readonly episodes?: MeanInterval;
  /** What the protocol chose or measured on the way (e.g. the weight decay the sweep picked). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** An evaluation protocol on frozen features: one module each, registered in `probeProtocols`. */
export interface ProbeProtocol extends RegistryEntry {
  readonly description: string;
  readonly accepts: readonly ProbeSettingName[];
  /** Fills in defaults and checks values; refuses settings the protocol does not take. */
  resolve(settings: ProbeSettings): ResolvedProbeSettings;
  run(data: ProbeData, settings: ProbeSettings, random: RandomStream): Promise<ProbeRun>;
}

/** Refuses any setting the protocol does not take. */
export function refuseOtherSettings(protocol: string, accepts: readonly ProbeSettingName[], settings: ProbeSettings): void {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    ensure(accepts.includes(name as ProbeSettingName), `the ${protocol} protocol does not take the setting '${name}' (it takes: ${accepts.join(', ') || 'none'})`);
  }
}

export function ensurePositiveInteger(name: string, value: number): void {
  ensure(Number.isInteger(value) && value > 0, `${name} must be a positive integer, got ${value}`);
}

/** Checks that features and labels agree in size and labels are class indices. */
export function checkFeatureSet(name: string, set: FeatureSet, dim: number, numClasses: number): number {
  ensure(Number.isInteger(dim) && dim > 0, `feature size must be a positive integer, got ${dim}`);
  const count = set.labels.length;
  ensure(set.features.length === count * dim, `${name}: ${set.features.length} feature values for ${count} examples of size ${dim}`);
  for (const label of set.labels) {
    ensure(label >= 0 && label < numClasses, `${name}: label ${label} is not a class index in [0, ${numClasses - 1}]`);
  }
  return count;
}
