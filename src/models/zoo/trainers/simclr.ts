import * as tf from '@tensorflow/tfjs-core';
import { embeddingSize } from '../architecture.js';
import { augment, CONTRASTIVE_AUGMENTATION } from '../augment.js';
import { forwardTraining } from '../forward.js';
import { mlpHead } from '../heads.js';
import { ntXent } from '../losses.js';
import type { Trainer } from './types.js';

/** SimCLR (Chen et al. 2020): NT-Xent between two augmented views through an MLP projector; T = 0.5 for small data. */
export const simclrTrainer: Trainer = {
  id: 'simclr',
  kind: 'ssl',
  title: 'SimCLR',
  summary: 'NT-Xent contrastive loss between two augmented views, MLP projector 512 → 128, temperature 0.5',
  reference: 'Chen, Kornblith, Norouzi, Hinton, A Simple Framework for Contrastive Learning of Visual Representations, ICML 2020',
  defaultRecipe: {
    method: 'simclr', epochs: 100, batchSize: 256, optimizer: 'sgd-nesterov', learningRate: 0.3, momentum: 0.9,
    weightDecay: 1e-4, warmupEpochs: 5, schedule: 'warmup-cosine', augmentation: CONTRASTIVE_AUGMENTATION,
    options: { temperature: 0.5, projectorHidden: 512, projectorOut: 128 },
  },
  createHeads: (spec, _backbone, _numClasses, recipe, random) => ({
    projector: mlpHead(random, 'projector', embeddingSize(spec), recipe.options['projectorHidden'] ?? 512, recipe.options['projectorOut'] ?? 128),
  }),
  trainedHeads: ['projector'],
  prepare: (_models, batch, random, recipe) => ({
    viewA: augment(batch.images, random.derive('view', 0), recipe.augmentation),
    viewB: augment(batch.images, random.derive('view', 1), recipe.augmentation),
  }),
  loss: ({ backbone, heads }, { viewA, viewB }, recipe) => tf.tidy(() => {
    const n = viewA!.shape[0]!;
    // Both views in one pass: batch norm sees the 2N images together, as in SimCLR's code.
    const embedding = forwardTraining(backbone, tf.concat([viewA!, viewB!], 0), { updateStatistics: true });
    const z = forwardTraining(heads['projector']!, embedding, { updateStatistics: true }) as tf.Tensor2D;
    return ntXent(tf.slice(z, [0, 0], [n, -1]), tf.slice(z, [n, 0], [n, -1]), recipe.options['temperature'] ?? 0.5);
  }),
};
