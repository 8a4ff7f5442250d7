import * as tf from '@tensorflow/tfjs-core';
import { embeddingSize } from '../architecture.js';
import { augment, LIGHT_AUGMENTATION } from '../augment.js';
import { forwardTraining } from '../forward.js';
import { linearHead } from '../heads.js';
import { crossEntropy } from '../losses.js';
import type { Trainer } from './types.js';

/** Plain supervised training: cross-entropy on one lightly augmented view. */
export const supervisedTrainer: Trainer = {
  id: 'supervised',
  kind: 'supervised',
  title: 'Supervised',
  summary: 'cross-entropy on class labels (crop and flip augmentation)',
  reference: 'He et al., Deep Residual Learning, CVPR 2016 (architecture family); standard supervised recipe',
  defaultRecipe: {
    method: 'supervised', epochs: 30, batchSize: 128, optimizer: 'sgd-nesterov', learningRate: 0.1, momentum: 0.9,
    weightDecay: 5e-4, warmupEpochs: 1, schedule: 'warmup-cosine', augmentation: LIGHT_AUGMENTATION, options: {},
  },
  createHeads: (spec, _backbone, numClasses, _recipe, random) => ({ classifier: linearHead(random, 'classifier', embeddingSize(spec), numClasses) }),
  trainedHeads: ['classifier'],
  classifierHead: 'classifier',
  prepare: (_models, batch, random, recipe) => ({ images: augment(batch.images, random.derive('view'), recipe.augmentation), labels: batch.labels }),
  loss: ({ backbone, heads }, { images, labels }) => tf.tidy(() => {
    const embedding = forwardTraining(backbone, images!, { updateStatistics: true });
    return crossEntropy(forwardTraining(heads['classifier']!, embedding, { updateStatistics: true }) as tf.Tensor2D, labels as tf.Tensor1D);
  }),
};
