import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../../data/dataset.js';
import { evaluateClean } from '../../runner/clean-eval.js';
import { RandomStream } from '../../random/stream.js';
import { loadClassifier } from '../load.js';
import { composeClassifier, embeddingSize, parameterCount } from './architecture.js';
import { INTENDED_USE, LIMITATIONS, writeCard, type ModelCard } from './card.js';
import { extractFeatures, fitLinearProbe, KNN_DEFAULTS, knnAccuracy, probeAccuracy, probeLayer, PROBE_DEFAULTS, type LabelledFeatures } from './evaluate.js';
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
  readonly probeEpochs?: number;
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
  const embed = (images: tf.Tensor4D) => backbone.apply(images, { training: false }) as tf.Tensor2D;
  const dimension = embeddingSize(run.architecture);
  const numClasses = run.setup.numClasses;
  note('extracting features');
  const train: LabelledFeatures = { features: await extractFeatures(embed, options.trainData), labels: options.trainData.labels, dimension };
  const test: LabelledFeatures = { features: await extractFeatures(embed, options.evalData), labels: options.evalData.labels, dimension };
  note('weighted kNN');
  const knn = await knnAccuracy(train, test, { ...KNN_DEFAULTS, numClasses });
  note('linear probe');
  const probe = await fitLinearProbe(train, { ...PROBE_DEFAULTS, epochs: options.probeEpochs ?? PROBE_DEFAULTS.epochs, numClasses }, RandomStream.fromSeed(run.setup.seed).derive('probe'));
  const linearProbe = await probeAccuracy(probe, test);

  const trainedHead = run.trainer.classifierHead;
  const head = trainedHead ? run.models.heads[trainedHead]! : probeLayer(probe);
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
    metrics: { linearProbe, knn, knnSettings: { ...KNN_DEFAULTS }, classifierTop1, classifierHead: trainedHead ? 'trained' : 'linear-probe' },
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
