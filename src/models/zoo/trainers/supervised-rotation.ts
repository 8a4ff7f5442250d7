import * as tf from '@tensorflow/tfjs-core';
import { embeddingSize } from '../architecture.js';
import { allRotations, augment, LIGHT_AUGMENTATION } from '../augment.js';
import { forwardTraining } from '../forward.js';
import { linearHead } from '../heads.js';
import { crossEntropy } from '../losses.js';
import type { Trainer } from './types.js';

/**
 * Supervised training with rotation prediction as an auxiliary task (Hendrycks et al. 2019):
 * every image in all four rotations; class cross-entropy on the upright copies plus
 * `rotationWeight` (0.5) × 4-way rotation cross-entropy on all copies.
 */
export const supervisedRotationTrainer: Trainer = {
  id: 'supervised-rotation',
  kind: 'supervised',
  title: 'Supervised + rotation',
  summary: 'cross-entropy + 0.5 × 4-way rotation-prediction loss on all four rotations of each image',
  reference: 'Hendrycks, Mazeika, Kadavath, Song, Using Self-Supervised Learning Can Improve Model Robustness and Uncertainty, NeurIPS 2019',
  defaultRecipe: {
    ...{ epochs: 30, batchSize: 128, optimizer: 'sgd-nesterov', learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, warmupEpochs: 1, schedule: 'warmup-cosine' } as const,
    method: 'supervised-rotation', augmentation: LIGHT_AUGMENTATION, options: { rotationWeight: 0.5 },
  },
  createHeads: (spec, _backbone, numClasses, _recipe, random) => ({
    classifier: linearHead(random, 'classifier', embeddingSize(spec), numClasses),
    rotation: linearHead(random, 'rotation', embeddingSize(spec), 4),
  }),
  trainedHeads: ['classifier', 'rotation'],
  classifierHead: 'classifier',
  prepare: (_models, batch, random, recipe) => {
    const view = augment(batch.images, random.derive('view'), recipe.augmentation);
    const rotated = allRotations(view);
    view.dispose();
    return { images: rotated.images, labels: batch.labels, rotations: tf.tensor1d(rotated.labels, 'int32') };
  },
  loss: ({ backbone, heads }, { images, labels, rotations }, recipe) => tf.tidy(() => {
    const n = labels!.shape[0]!;
    const embedding = forwardTraining(backbone, images!, { updateStatistics: true }) as tf.Tensor2D;
    const upright = tf.slice(embedding, [0, 0], [n, -1]);
    const classLoss = crossEntropy(forwardTraining(heads['classifier']!, upright, { updateStatistics: true }) as tf.Tensor2D, labels as tf.Tensor1D);
    const rotationLoss = crossEntropy(forwardTraining(heads['rotation']!, embedding, { updateStatistics: true }) as tf.Tensor2D, rotations as tf.Tensor1D);
    return tf.add(classLoss, tf.mul(rotationLoss, recipe.options['rotationWeight'] ?? 0.5));
  }),
};
