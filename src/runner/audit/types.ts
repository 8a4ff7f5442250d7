import type { Dataset } from '../../data/dataset.js';
import type { Classifier } from '../../models/contract.js';
import type { RegistryEntry } from '../../registry.js';

/** Whether a backbone learnt its features with labels or without. */
export type BackboneKind = 'ssl' | 'supervised';
export const BACKBONE_KINDS: readonly BackboneKind[] = ['ssl', 'supervised'];

/** One backbone under audit, as the resolved config names it. */
export interface BackboneSpec {
  /** Short id used in records and reports, e.g. "fmnist-cnn". */
  readonly id: string;
  /** A bundled model name or a path to model.json (or its folder). */
  readonly path: string;
  readonly kind: BackboneKind;
  /** Training method, e.g. "simclr" or "cross-entropy"; from the model card or "unknown". */
  readonly method: string;
}

/** Per-family settings: each family reads and validates its own section. */
export type FamilySettings = Readonly<Record<string, unknown>>;

/** Everything that decides an audit's numbers, with every default filled in. */
export interface ResolvedAuditConfig {
  readonly backbones: readonly BackboneSpec[];
  readonly data: { readonly spec: string; readonly split: 'train' | 'test'; readonly limit: number | null };
  /** Family ids to run, in registry order. */
  readonly families: readonly string[];
  /** The settings of each family (all registered families, run or not). */
  readonly grids: Readonly<Record<string, FamilySettings>>;
  /** How label families fit a classifier on a backbone's features. */
  readonly protocol: 'linear' | 'knn';
  /** The backbone mCE is normalised by; null picks the first supervised one. */
  readonly reference: string | null;
  readonly seed: number;
  readonly backend: string;
  readonly batchSize: number;
  /** Bootstrap resamples for the SSL-vs-supervised intervals. */
  readonly bootstrap: number;
  readonly gate: readonly string[];
  readonly quick: boolean;
}

/** One unit of work: one backbone under one test at one level. Its id is stable across runs. */
export interface CellSpec {
  readonly backbone: string;
  readonly family: string;
  /** The test within the family: a corruption id, "pgd/linf", … ("clean" for the clean cell). */
  readonly name: string;
  /** Severity, ε, noise rate, …; null where the test has no level. */
  readonly level: number | null;
  /** Family-specific settings the cell needs (JSON-serialisable). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** What a cell measured. Per-item vectors feed bootstrap intervals and worst-case ensembles. */
export interface CellOutcome {
  /** Scalar results, e.g. { accuracy: 0.87 }. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Items the cell scored (test images, or episodes for few-shot), in a fixed order. */
  readonly itemCount: number;
  /** Whether each item came out right (the basis of every interval). */
  readonly correct: Uint8Array;
  /** Extra per-item numbers (e.g. a robustness radius; Infinity when never broken). */
  readonly values?: Readonly<Record<string, readonly number[]>>;
}

/** A cell and its outcome, as the journal keeps it. */
export interface FinishedCell extends CellSpec, CellOutcome {
  readonly id: string;
  readonly seconds: number;
}

/** What a family's cell runner gets. */
export interface CellContext {
  readonly classifier: Classifier;
  readonly backbone: BackboneSpec;
  /** The evaluated test set (already limited). */
  readonly dataset: Dataset;
  readonly config: ResolvedAuditConfig;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Work shared between consecutive cells of the same test on different backbones (e.g. the
   * corrupted images): returns the value computed for this key by the previous cell, or computes
   * it. One entry, scoped to the run; the plan puts a test's backbones next to each other.
   */
  readonly shared: <T>(key: string, compute: () => Promise<T>) => Promise<T>;
  /** The environment (e.g. for the embedding cache folder); process.env when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Everything finished for one backbone, for summaries that combine families (e.g. drops vs clean). */
export interface BackboneCells {
  readonly backbone: BackboneSpec;
  readonly cells: readonly FinishedCell[];
}

/** What summaries of one family may look at beyond its own backbone. */
export interface SummaryContext {
  readonly config: ResolvedAuditConfig;
  /** The reference backbone's cells (for normalised metrics), when there is one. */
  readonly reference: BackboneCells | null;
  /** Image height of the dataset: picks conventions such as mCE vs unnormalised mean error. */
  readonly imageSize: number;
}

/** A command-line flag a family contributes to `ssl-robust audit`, mapped onto its settings. */
export interface FamilyFlag {
  /** Commander flag syntax, e.g. "--severities <list>". */
  readonly flags: string;
  readonly description: string;
  /** The key of the family's settings the value sets. */
  readonly key: string;
  /** Turns the flag's text into the settings value (throws UserInputError on bad input). */
  readonly parse: (text: string) => unknown;
}

/**
 * A family of robustness tests (clean, corruption, attack, label-noise, imbalance, few-shot).
 * A new family is one module implementing this and one line in families/index.ts: the planner,
 * journal, shards, merge, summaries, verdict, reports and gate pick it up from here.
 */
export interface AuditFamily extends RegistryEntry {
  /** Also the `family` field of its records. */
  readonly id: string;
  readonly title: string;
  /** Settings used when neither flags nor a config file give any (quick: the ~1-minute grid). */
  defaults(quick: boolean): FamilySettings;
  /** JSON Schema of the family's settings section in a config file (properties of an object). */
  readonly settingsSchema: Readonly<Record<string, unknown>>;
  /** Flags of `ssl-robust audit` that set this family's settings. */
  readonly flags: readonly FamilyFlag[];
  /** Checks settings beyond the schema (known ids, ranges): throws UserInputError with one line. */
  validate(settings: FamilySettings): void;
  /** The cells for one backbone, in a stable order. */
  plan(settings: FamilySettings, backbone: BackboneSpec, config: ResolvedAuditConfig): CellSpec[];
  run(cell: CellSpec, context: CellContext): Promise<CellOutcome>;
  /**
   * Summary metrics of one backbone, keyed "<family>.<what>" (e.g. "corruption.mce"): the names
   * gate rules use. Values are null where undefined (e.g. no reference backbone).
   */
  summarise(mine: BackboneCells, context: SummaryContext): Readonly<Record<string, number | null>>;
  /**
   * Per-item degradation (lower = more robust; e.g. clean correct minus mean correct under the
   * family's conditions) for the SSL-vs-supervised verdict; absent when the family has no verdict.
   * Every backbone's vector must cover the same items in the same order.
   */
  degradation?(mine: BackboneCells): Float64Array | null;
  /** What the degradation measures, for reports ("accuracy lost to corruptions"). */
  readonly degradationLabel?: string;
  /**
   * Why some of a backbone's cells hold no result (e.g. a label family on a model without an
   * embedding), one sentence each; reports and results.json show them next to the numbers.
   */
  notes?(mine: BackboneCells): string[];
}
