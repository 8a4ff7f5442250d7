/**
 * ssl-robust's public API. Everything a user may import is re-exported here; the modules
 * behind it are internal and may change.
 */
export { UserInputError } from './errors.js';
export { RandomStream, type StreamKey } from './random/stream.js';

export {
  BACKEND_NAMES,
  autoChoice,
  parseBackendChoice,
  probeBackends,
  useBackend,
  type BackendAvailability,
  type BackendChoice,
  type BackendName,
} from './backend/index.js';

export { Dataset, type Batch, type DatasetInfo, type ImageShape, type ImageSource } from './data/dataset.js';
export { loadIdxFiles, loadIdxFolder } from './data/idx.js';
export { loadImageFolder, type ImageFolderOptions } from './data/image-folder.js';
export { loadNpyPair, type NpyOptions } from './data/npy.js';
export {
  BUNDLED_SUBSET_FOLDER,
  FASHION_MNIST_CLASSES,
  openDataset,
  type DataRequest,
  type OpenedDataset,
  type Split,
} from './data/open.js';

export type { Backbone, Classifier, LoadedClassifier, ModelInfo } from './models/contract.js';
export { folderSaveHandler, readModelFiles } from './models/files.js';
export { bundledModelNames, loadClassifier, type LoadOptions } from './models/load.js';

export {
  checkCompatible,
  evaluateClean,
  scorePredictions,
  type ClassAccuracy,
  type CleanEvaluation,
  type EvaluateOptions,
} from './runner/clean-eval.js';

export { Registry, type RegistryEntry } from './registry.js';
export { corruptions, corruptionsInGroup } from './corruptions/catalogue.js';
export {
  corruptBatch,
  parseProfile,
  parseSeverity,
  profileForSize,
  validateBatch,
  type CorruptedBatch,
  type CorruptOptions,
  type ImageBatchData,
} from './corruptions/apply.js';
export { selectCorruptions, selectSeverities } from './corruptions/select.js';
export {
  CORRUPTION_GROUPS,
  PROFILE_NAMES,
  SEVERITIES,
  defineCorruption,
  type AnyCorruption,
  type Corruption,
  type CorruptionGroup,
  type CorruptionOutput,
  type Image,
  type ProfileName,
  type SampledParameters,
  type Severity,
  type SeverityTable,
} from './corruptions/types.js';

export { runCli } from './cli/program.js';

export { attacks } from './attacks/catalogue.js';
export { fgsm, type FgsmParams } from './attacks/fgsm.js';
export { pgd, PGD_DEFAULT_STEPS, type PgdParams } from './attacks/pgd.js';
export { EPS_PRESETS, parseEps, parseEpsList, presetById, resolveBudget, type EpsPreset } from './attacks/presets.js';
export { evaluateRobustness, exampleStream, type EpsResult, type RobustnessEvaluation, type RobustnessOptions } from './attacks/evaluate.js';
export { ascentDirection, crossEntropy, perturbationNorms, project, projectL2, projectLinf, randomStart } from './attacks/ops.js';
export {
  NORMS,
  defineAttack,
  type AnyAttack,
  type Attack,
  type AttackBudget,
  type AttackExampleOutcome,
  type AttackInput,
  type AttackKind,
  type AttackOptionName,
  type AttackOptions,
  type AttackOutput,
  type ExampleRecord,
  type Norm,
  type SanityFlag,
} from './attacks/types.js';
