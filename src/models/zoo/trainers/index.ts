import { Registry } from '../../../registry.js';
import { byolTrainer } from './byol.js';
import { rotnetTrainer } from './rotnet.js';
import { simclrTrainer } from './simclr.js';
import { supervisedRotationTrainer } from './supervised-rotation.js';
import { supervisedTrainer } from './supervised.js';
import type { Trainer } from './types.js';

/** The zoo's training methods, by id. SwAV and DeepCluster-v2 are not implemented yet. */
export const trainers: Registry<Trainer> = new Registry<Trainer>('training method', [
  supervisedTrainer,
  supervisedRotationTrainer,
  simclrTrainer,
  byolTrainer,
  rotnetTrainer,
]);

export type { MethodKind, Recipe, StepPosition, StepTensors, Trainer, TrainingBatch, TrainingModels } from './types.js';
