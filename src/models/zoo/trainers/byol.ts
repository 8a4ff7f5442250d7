import * as tf from '@tensorflow/tfjs-core';
import { buildBackbone, embeddingSize } from '../architecture.js';
import { augment, CONTRASTIVE_AUGMENTATION } from '../augment.js';
import { forwardTraining, layerVariables } from '../forward.js';
import { mlpHead } from '../heads.js';
import { byolRegression } from '../losses.js';
import { emaMomentum } from '../schedule.js';
import type { TrainingModels, Trainer } from './types.js';

/** Online → target pairs whose weights the target tracks by exponential moving average. */
const TARGET_OF = { backbone: 'target_backbone', projector: 'target_projector' } as const;

function online(models: TrainingModels, key: keyof typeof TARGET_OF) {
  return key === 'backbone' ? models.backbone : models.heads[key]!;
}

/**
 * BYOL (Grill et al. 2020): the online network (backbone, projector, predictor) regresses the
 * target network's projection of the other view; the target is an EMA of the online weights,
 * its momentum rising from 0.99 to 1 on a cosine. Symmetrised over the two views.
 */
export const byolTrainer: Trainer = {
  id: 'byol',
  kind: 'ssl',
  title: 'BYOL',
  summary: 'online network predicts an EMA target\'s projection of the other view; predictor and projector MLPs 512 → 128, τ 0.99 → 1',
  reference: 'Grill et al., Bootstrap Your Own Latent, NeurIPS 2020',
  defaultRecipe: {
    method: 'byol', epochs: 100, batchSize: 256, optimizer: 'sgd-nesterov', learningRate: 0.3, momentum: 0.9,
    weightDecay: 1e-4, warmupEpochs: 5, schedule: 'warmup-cosine', augmentation: CONTRASTIVE_AUGMENTATION,
    options: { emaBase: 0.99, projectorHidden: 512, projectorOut: 128 },
  },
  createHeads: (spec, backbone, _numClasses, recipe, random) => {
    const hidden = recipe.options['projectorHidden'] ?? 512;
    const out = recipe.options['projectorOut'] ?? 128;
    const projector = mlpHead(random, 'projector', embeddingSize(spec), hidden, out);
    const predictor = mlpHead(random, 'predictor', out, hidden, out);
    // The targets start as copies of the online networks.
    const targetBackbone = buildBackbone(spec, random.derive('target'), TARGET_OF.backbone);
    targetBackbone.setWeights(backbone.getWeights());
    const targetProjector = mlpHead(random.derive('target'), TARGET_OF.projector, embeddingSize(spec), hidden, out);
    targetProjector.setWeights(projector.getWeights());
    return { projector, predictor, [TARGET_OF.backbone]: targetBackbone, [TARGET_OF.projector]: targetProjector };
  },
  trainedHeads: ['projector', 'predictor'],
  prepare: ({ heads }, batch, random, recipe) => {
    const viewA = augment(batch.images, random.derive('view', 0), recipe.augmentation);
    const viewB = augment(batch.images, random.derive('view', 1), recipe.augmentation);
    const n = batch.images.shape[0];
    // Target projections: batch statistics as in BYOL's code, no gradient, no moving-average update.
    const targets = tf.tidy(() => {
      const embedding = forwardTraining(heads[TARGET_OF.backbone]!, tf.concat([viewA, viewB], 0), { updateStatistics: false });
      return forwardTraining(heads[TARGET_OF.projector]!, embedding, { updateStatistics: false });
    });
    const targetA = tf.slice(targets, [0, 0], [n, -1]);
    const targetB = tf.slice(targets, [n, 0], [n, -1]);
    targets.dispose();
    return { viewA, viewB, targetA, targetB };
  },
  loss: ({ backbone, heads }, { viewA, viewB, targetA, targetB }) => tf.tidy(() => {
    const n = viewA!.shape[0]!;
    const embedding = forwardTraining(backbone, tf.concat([viewA!, viewB!], 0), { updateStatistics: true });
    const projection = forwardTraining(heads['projector']!, embedding, { updateStatistics: true });
    const prediction = forwardTraining(heads['predictor']!, projection, { updateStatistics: true }) as tf.Tensor2D;
    const predictionA = tf.slice(prediction, [0, 0], [n, -1]);
    const predictionB = tf.slice(prediction, [n, 0], [n, -1]);
    return tf.add(byolRegression(predictionA, targetB as tf.Tensor2D), byolRegression(predictionB, targetA as tf.Tensor2D));
  }),
  afterStep: (models, { step, totalSteps }, recipe) => {
    const tau = emaMomentum(step, totalSteps, recipe.options['emaBase'] ?? 0.99);
    for (const key of Object.keys(TARGET_OF) as (keyof typeof TARGET_OF)[]) {
      const source = layerVariables(online(models, key));
      const target = layerVariables(models.heads[TARGET_OF[key]]!);
      source.forEach((variable, i) => {
        const targetVariable = target[i]!;
        tf.tidy(() => {
          targetVariable.write(tf.add(tf.mul(targetVariable.read(), tau), tf.mul(variable.read(), 1 - tau)));
        });
      });
    }
  },
};
