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
export { nativeKernelStatus, retainFreedMemory, type MemoryRetention, type NativeKernelStatus } from './backend/native/index.js';

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

export { attacks, ensemble } from './attacks/catalogue.js';
export { fgsm, type FgsmParams } from './attacks/fgsm.js';
export { pgd, runPgd, PGD_DEFAULT_STEPS, type PgdParams, type PgdRun } from './attacks/pgd.js';
export { apgdCe, apgdDlr, apgdT, APGD_DEFAULT_STEPS, APGD_DEFAULT_TARGET_CLASSES, type ApgdParams, type ApgdTargetedParams } from './attacks/apgd.js';
export { defineEnsemble, type EnsembleMember, type EnsembleParams } from './attacks/ensemble.js';
export { runStages, type Stage } from './attacks/stages.js';
export {
  evaluateMinimalEps,
  medianRadius,
  resolveMinEps,
  MIN_EPS_DEFAULT_BISECTIONS,
  MIN_EPS_DEFAULT_STEPS,
  type MinEpsEvaluation,
  type MinEpsOptions,
  type MinEpsParams,
  type RadiusRecord,
} from './attacks/min-eps.js';
export { crossEntropy, dlrLoss, targetedDlrLoss } from './attacks/losses.js';
export { REATTACK_CHECKS, sanityChecks, selectChecks, type CheckSelection } from './attacks/sanity/catalogue.js';
export { defineCheck, type SanityCheck, type SanityContext, type SanitySample } from './attacks/sanity/types.js';
export { EPS_PRESETS, parseEps, parseEpsList, presetById, resolveBudget, type EpsPreset } from './attacks/presets.js';
export { evaluateRobustness, exampleStream, type EpsResult, type RobustnessEvaluation, type RobustnessOptions } from './attacks/evaluate.js';
export { autoBatchSize, resolveBatchSize, type AutoBatch, type AutoBatchOptions, type BatchSizeChoice } from './attacks/batch-size.js';
export { chooseTargets, parseTargetRule, type TargetRule } from './attacks/targets.js';
export { ascentDirection, lossGradient, perturbationNorms, project, projectL2, projectLinf, projectedStep, randomStart, type Radius } from './attacks/ops.js';
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

export { imbalanceProfiles, labelNoise } from './labels/catalogue.js';
export {
  NOISE_SAMPLINGS,
  defineImbalance,
  defineLabelNoise,
  type AnyImbalanceProfile,
  type AnyLabelNoiseModel,
  type FeatureMatrix,
  type ImbalanceParams,
  type ImbalanceProfile,
  type LabelNoiseModel,
  type NoiseInput,
  type NoiseParams,
  type NoiseSampling,
  type NoisyLabels,
  type TransitionMatrix,
} from './labels/types.js';
export { BUILT_IN_CLASS_MAPS, parseClassMapJson, resolveBuiltInMap, type ClassFlip, type ResolvedClassMap } from './labels/noise/class-maps.js';
export { type AsymmetricParams } from './labels/noise/asymmetric.js';
export { type InstanceDependentParams } from './labels/noise/instance-dependent.js';
export { type StepParams } from './labels/imbalance/step.js';
export { imbalancedSubset, type ImbalanceRequest, type ImbalancedSubset } from './labels/imbalance/subset.js';
export { GROUP_RULES, classGroups, type ClassGroups, type GroupRule } from './labels/imbalance/groups.js';
export { sampleEpisodes, type Episode, type FewShotEpisodes, type FewShotParams } from './labels/few-shot.js';
export { noiseSpecContext, parseClassOrder, parseFewShotSpec, parseImbalanceSpec, parseNoiseSpec, type ParsedImbalance, type ParsedNoise } from './labels/spec.js';
export { makeSplit, type SplitRequest } from './labels/make-split.js';
export { readFeaturesNpy } from './labels/features-file.js';
export {
  SPLIT_SCHEMA_VERSION,
  applySplit,
  episodeDatasets,
  fingerprintOf,
  readSplitFile,
  writeSplitFile,
  type DatasetFingerprint,
  type SplitFile,
} from './labels/split-file.js';

export {
  accuracy,
  balancedAccuracy,
  classCounts,
  degradation,
  groupAccuracy,
  meanConfidenceInterval,
  perClassAccuracy,
  type Degradation,
  type GroupAccuracy,
  type MeanInterval,
  type ShotGroups,
} from './runner/metrics.js';
export { probeProtocols } from './models/probes/catalogue.js';
export { knnProbe } from './models/probes/knn.js';
export { linearProbe, fitLinearProbe, predictLinearProbe, foldedProbeWeights, type FittedLinearProbe, fitLogisticRegression, predictLogistic, featureStatistics, standardise, type LogisticModel } from './models/probes/linear.js';
export { prototypeProbe } from './models/probes/prototype.js';
export { datasetEmbeddings, extractEmbeddings, imagesFingerprint, type DatasetEmbeddings, type EmbeddingRequest } from './models/probes/embeddings.js';
export { defaultEmbeddingCacheFolder, embeddingCacheKey } from './models/probes/cache.js';
export { evaluateProbe, type ProbeEmbeddings, type ProbeEvaluation } from './models/probes/evaluate.js';
export { partitionSplit, stratifiedPartition, wholeSplit, type ProbeSplit } from './models/probes/split.js';
export type { FeatureSet, ProbeData, ProbeProtocol, ProbeRun, ProbeSettings } from './models/probes/types.js';

export { audit, runAudit, assembleResults, datasetHash, type AuditOptions, type AuditOutcome, type AuditProgress } from './runner/audit/run.js';
export { mergeAudits, type MergeOutcome } from './runner/audit/merge.js';
export { gate, parseRule, type Comparison, type GateReport, type GateRule } from './runner/audit/gate.js';
export {
  DEFAULT_OUT,
  configSchema,
  parseModelFlag,
  readConfigFile,
  readModelCard,
  resolveAuditConfig,
  validateAuditRequest,
  type AuditRequest,
  type BackboneRequest,
} from './runner/audit/config.js';
export {
  RESULTS_SCHEMA_FILE,
  RESULTS_SCHEMA_VERSION,
  readResultsFile,
  resultsSchemaErrors,
  type AuditResults,
  type FamilyVerdict,
  type GateOutcome,
  type Manifest,
  type ResultRecord,
  type VerdictOutcome,
} from './runner/audit/results.js';
export { auditFamilies } from './runner/audit/families/index.js';
export { cellId, parseShard, planCells, shardCells, type Shard } from './runner/audit/plan.js';
export type {
  AuditFamily,
  BackboneCells,
  BackboneKind,
  BackboneSpec,
  CellContext,
  CellOutcome,
  CellSpec,
  FamilyFlag,
  FamilySettings,
  FinishedCell,
  ResolvedAuditConfig,
  SummaryContext,
} from './runner/audit/types.js';
export { markdownReport } from './report/markdown.js';
export { htmlReport } from './report/html.js';
export { junitReport } from './report/junit.js';

export {
  runSquare,
  square,
  SQUARE_DEFAULT_P_INIT,
  SQUARE_DEFAULT_QUERIES,
  type SquareExampleOutcome,
  type SquareOutput,
  type SquareParams,
} from './attacks/square.js';

export { buildBackbone, composeClassifier, EMBEDDING_LAYER, RESNET_FMNIST, type ArchitectureSpec, type StageSpec } from './models/zoo/architecture.js';
export { applyAugmentation, augment, CONTRASTIVE_AUGMENTATION, drawAugmentParams, LIGHT_AUGMENTATION, NO_AUGMENTATION, rotate90, type AugmentConfig, type AugmentParams } from './models/zoo/augment.js';
export { trainers, type MethodKind, type Recipe, type Trainer, type TrainingModels } from './models/zoo/trainers/index.js';
export { TrainingRun, type RunSetup } from './models/zoo/train-loop.js';
export { readCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointMeta, type EpochRecord } from './models/zoo/checkpoint.js';
export { exportLayersModel, type ExportOptions } from './models/zoo/export.js';
export { finishRun, QUALITY_TARGETS } from './models/zoo/finish.js';
export { readCard, renderCardMarkdown, writeCard, type ModelCard } from './models/zoo/card.js';
export { loadZooClassifier, resolveZooEntry, shippedEntries, type ZooEntry } from './models/zoo/catalogue.js';

// The audit's label families (label noise, class imbalance, few-shot) and the notes on cells they could not run.
export { labelNoiseFamily, parseNoiseEntry, type NoiseGridEntry } from './runner/audit/families/label-noise.js';
export { imbalanceFamily, parseImbalanceEntry, type ImbalanceGridEntry } from './runner/audit/families/imbalance.js';
export { fewShotFamily } from './runner/audit/families/few-shot.js';
export { notesOf, type AuditNote } from './runner/audit/results.js';

// ONNX import: PyTorch exports as differentiable TF.js graphs (loadClassifier takes .onnx files too).
export { loadOnnxClassifier, type OnnxLoadOptions } from './models/onnx/classifier.js';
export { inspectOnnx, renderOnnxSummary, type OnnxSummary, type OnnxValueSummary } from './models/onnx/inspect.js';
export { onnxOps } from './models/onnx/ops/index.js';
export type { OpConverter } from './models/onnx/ops/types.js';
export { readSidecar, sidecarPath, type OnnxSidecar } from './models/onnx/sidecar.js';
