import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { RegistryEntry } from '../../../registry.js';
import type { RandomStream } from '../../../random/stream.js';
import type { ArchitectureSpec } from '../architecture.js';
import type { AugmentConfig } from '../augment.js';

export type MethodKind = 'ssl' | 'supervised';

/** Everything that decides a training run besides the seed and the data: recorded in checkpoints and cards. */
export interface Recipe {
  readonly method: string;
  readonly epochs: number;
  readonly batchSize: number;
  /** SGD with Nesterov momentum for every method, so the methods differ only in loss and views. */
  readonly optimizer: 'sgd-nesterov';
  readonly learningRate: number;
  readonly momentum: number;
  /** L2 on convolution and dense kernels (not on biases or batch norm). */
  readonly weightDecay: number;
  readonly warmupEpochs: number;
  readonly schedule: 'warmup-cosine';
  readonly augmentation: AugmentConfig;
  /** Method-specific numbers (temperature, loss weights, head sizes, EMA momentum). */
  readonly options: Readonly<Record<string, number>>;
}

/** The models of a run: the backbone plus whatever heads (and EMA targets) the method needs. */
export interface TrainingModels {
  readonly backbone: tfl.LayersModel;
  readonly heads: Readonly<Record<string, tfl.LayersModel>>;
}

/** One batch as the training loop hands it to a method: images NHWC in [0, 1] and class labels. */
export interface TrainingBatch {
  readonly images: tf.Tensor4D;
  readonly labels: tf.Tensor1D;
}

/** Where the run is, for schedules that move within it (BYOL's target momentum). */
export interface StepPosition {
  readonly step: number;
  readonly totalSteps: number;
}

/** The tensors a method prepared outside the gradient tape for one step (views, targets). */
export type StepTensors = Readonly<Record<string, tf.Tensor>>;

/**
 * A training method: its loss, its views of a batch, the heads it trains, and defaults.
 * The training loop (train-loop.ts) owns data order, optimiser, schedule and checkpoints,
 * so methods differ only where the papers differ.
 */
export interface Trainer extends RegistryEntry {
  readonly id: string;
  readonly kind: MethodKind;
  readonly title: string;
  readonly summary: string;
  /** Papers the recipe follows, for the model card. */
  readonly reference: string;
  readonly defaultRecipe: Recipe;
  /** Builds the heads (and targets) for a fresh run; weights drawn from `random`. */
  createHeads(spec: ArchitectureSpec, backbone: tfl.LayersModel, numClasses: number, recipe: Recipe, random: RandomStream): Record<string, tfl.LayersModel>;
  /** Heads whose weights the optimiser trains (others, like EMA targets, are updated by afterStep). */
  readonly trainedHeads: readonly string[];
  /** The views and targets for one step, computed outside the gradient tape. The loop disposes them. */
  prepare(models: TrainingModels, batch: TrainingBatch, random: RandomStream, recipe: Recipe): StepTensors;
  /** The loss to minimise, differentiable in the backbone and trained heads. Runs inside variableGrads. */
  loss(models: TrainingModels, tensors: StepTensors, recipe: Recipe): tf.Scalar;
  /** State updates after the optimiser step (BYOL's EMA target). */
  afterStep?(models: TrainingModels, position: StepPosition, recipe: Recipe): void;
  /** The head that is a class classifier, when the method trains one (it becomes the exported head). */
  readonly classifierHead?: string;
}
