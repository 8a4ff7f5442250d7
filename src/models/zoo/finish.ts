import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../../data/dataset.js';
import { evaluateClean } from '../../runner/clean-eval.js';
import { RandomStream } from '../../random/stream.js';
import { loadClassifier } from '../load.js';
import { CLASSIFIER_LAYER, composeClassifier, embeddingSize, parameterCount } from './architecture.js';
import { INTENDED_USE, LIMITATIONS, writeCard, type ModelCard } from './card.js';
import type { Backbone } from '../contract.js';
import { extractEmbeddings } from '../probes/embeddings.js';
import { KNN_DEFAULTS, knnProbe } from '../probes/knn.js';
import { fitLinearProbe, foldedProbeWeights, predictLinearProbe } from '../probes/linear.js';
import type { ProbeData, ProbeSettings } from '../probes/types.js';
import { accuracy } from '../../runner/metrics.js';
import { denseHead } from './heads.js';
import { exportLayersModel } from './export.js';
import type { TrainingRun } from './train-loop.js';

/** Issue 6's quality goals: supervised ≥ 91% top-1; SSL ≥ 85% linear probe. */
export const QUALITY_TARGETS = { supervised: 0.91, ssl: 0.85 } as const;

export interface FinishOptions {
  readonly name: string;
  readonly folder: string;
  readonly trainData: Dataset;
  readonly evalData: Dataset;
  readonly float16?: boolean;
  /** Weight decays the linear probe sweeps (default: the probe protocol's grid). */
  readonly probeWeightDecays?: readonly number[];
  readonly onNote?: (text: string) => void;
}

/**
 * Turns a finished run into a zoo entry: kNN and linear-probe accuracy of the frozen backbone,
 * the classifier (trained head, or the probe for SSL methods) written as a TF.js LayersModel,
 * its accuracy measured by loading those very files back, and the model card.
 */
export async function finishRun(run: TrainingRun, options: FinishOptions): Promise<ModelCard> {
  const { backbone } = run.models;
  const note = options.onNote ?? (() => undefined);
  const dimension = embeddingSize(run.architecture);
  const numClasses = run.setup.numClasses;
  // The same protocols as `ssl-robust probe`, so zoo cards and audits report comparable numbers.
  const frozen: Backbone = {
    name: options.name,
    inputShape: run.architecture.inputShape,
    embeddingSize: dimension,
    embed: (images) => backbone.apply(images, { training: false }) as tf.Tensor2D,
  };
  note('extracting features');
  const data: ProbeData = {
    dim: dimension,
    numClasses,
    train: { features: await extractEmbeddings(frozen, options.trainData, { batchSize: 500 }), labels: options.trainData.labels },
    test: { features: await extractEmbeddings(frozen, options.evalData, { batchSize: 500 }), labels: options.evalData.labels },
  };
  const random = RandomStream.fromSeed(run.setup.seed).derive('probe');
  note('weighted kNN');
  const knnRun = await knnProbe.run(data, {}, random);
  const knn = accuracy(knnRun.predictions, knnRun.labels);
  note('linear probe');
  const probeSettings: ProbeSettings = options.probeWeightDecays ? { weightDecays: options.probeWeightDecays } : {};
  const probe = fitLinearProbe(data, probeSettings, random);
  const linearProbe = accuracy(predictLinearProbe(probe, data.test.features), data.test.labels);

  const trainedHead = run.trainer.classifierHead;
  const head = trainedHead ? run.models.heads[trainedHead]! : denseHead(CLASSIFIER_LAYER, dimension, foldedProbeWeights(probe));
  const classifier = composeClassifier(run.architecture, backbone, head, options.name);
  const written = await exportLayersModel(classifier, options.folder, {
    ...(options.float16 ? { float16: true } : {}),
    metadata: { zoo: { name: options.name, method: run.trainer.id, kind: run.trainer.kind } },
  });
  const parameters = parameterCount(backbone);
  classifier.dispose();
  // The probe layer was never called on a tensor, so Layer.dispose refuses it; free its weights directly.
  if (!trainedHead) for (const weight of head.weights) weight.dispose();

  note('scoring the written classifier');
  const shipped = await loadClassifier(options.folder);
  let classifierTop1: number;
  try {
    classifierTop1 = (await evaluateClean(shipped, options.evalData)).accuracy;
  } finally {
    shipped.dispose();
  }
  const supervised = run.trainer.kind === 'supervised';
  const reached = supervised ? classifierTop1 : linearProbe;
  const target = supervised ? QUALITY_TARGETS.supervised : QUALITY_TARGETS.ssl;
  const card: ModelCard = {
    name: options.name,
    method: run.trainer.id,
    methodTitle: run.trainer.title,
    kind: run.trainer.kind,
    reference: run.trainer.reference,
    architecture: { id: run.architecture.id, parameters, embeddingSize: dimension, inputShape: [...run.architecture.inputShape] },
    recipe: run.setup.recipe,
    seed: run.setup.seed,
    epochs: run.epochsDone,
    trainingSeconds: run.history.reduce((sum, r) => sum + r.seconds, 0),
    backend: run.setup.backend,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`,
    trainingData: { ...run.setup.data, labelsUsed: supervised },
    evaluationData: { name: options.evalData.info.name, split: options.evalData.info.split, size: options.evalData.size },
    metrics: { linearProbe, linearProbeWeightDecay: probe.weightDecay, knn, knnSettings: { ...KNN_DEFAULTS }, classifierTop1, classifierHead: trainedHead ? 'trained' : 'linear-probe' },
    goal: { metric: supervised ? 'top1' : 'linearProbe', target, reached, met: reached >= target },
    history: run.history,
    files: { modelJson: 'model.json', sha256: written.sha256, weightBytes: written.bytes, float16: options.float16 === true },
    intendedUse: INTENDED_USE,
    limitations: LIMITATIONS,
    created: new Date().toISOString(),
  };
  await writeCard(options.folder, card);
  return card;
}
