import * as tf from '@tensorflow/tfjs-core';
import { embeddingSize } from '../architecture.js';
import { allRotations, augment, LIGHT_AUGMENTATION } from '../augment.js';
import { forwardTraining } from '../forward.js';
import { mlpHead } from '../heads.js';
import { crossEntropy } from '../losses.js';
import type { Trainer } from './types.js';

/**
 * RotNet (Gidaris et al. 2018): predict which of four rotations an image was given; all four
 * copies of each image in the same batch, as the paper found best. No labels are used. The
 * rotation head is a small MLP so that the embedding is not all rotation-specific.
 */
export const rotnetTrainer: Trainer = {
  id: 'rotnet',
  kind: 'ssl',
  title: 'RotNet',
  summary: '4-way rotation prediction (0/90/180/270°, all four copies of each image), no labels',
  reference: 'Gidaris, Singh, Komodakis, Unsupervised Representation Learning by Predicting Image Rotations, ICLR 2018',
  defaultRecipe: {
    method: 'rotnet', epochs: 30, batchSize: 128, optimizer: 'sgd-nesterov', learningRate: 0.1, momentum: 0.9,
    weightDecay: 5e-4, warmupEpochs: 1, schedule: 'warmup-cosine', augmentation: LIGHT_AUGMENTATION, options: { headHidden: 256 },
  },
  createHeads: (spec, _backbone, _numClasses, recipe, random) => ({
    rotation: mlpHead(random, 'rotation', embeddingSize(spec), recipe.options['headHidden'] ?? 256, 4),
  }),
  trainedHeads: ['rotation'],
  prepare: (_models, batch, random, recipe) => {
    const view = augment(batch.images, random.derive('view'), recipe.augmentation);
    const rotated = allRotations(view);
    view.dispose();
    return { images: rotated.images, rotations: tf.tensor1d(rotated.labels, 'int32') };
  },
  loss: ({ backbone, heads }, { images, rotations }) => tf.tidy(() => {
    const embedding = forwardTraining(backbone, images!, { updateStatistics: true });
    return crossEntropy(forwardTraining(heads['rotation']!, embedding, { updateStatistics: true }) as tf.Tensor2D, rotations as tf.Tensor1D);
  }),
};
