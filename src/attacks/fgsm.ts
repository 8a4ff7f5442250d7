import * as tf from '@tensorflow/tfjs-core';
import { ascentDirection, objectiveClasses, objectiveGradient, project, WorstCase } from './ops.js';
import { checkEps, checkOptions } from './params.js';
import { defineAttack, type AttackBudget, type Attack } from './types.js';

export type FgsmParams = AttackBudget;

/**
 * Fast gradient sign method (Goodfellow et al. 2015): one step of size ε along sign(∇loss)
 * for L∞, along ∇loss/‖∇loss‖₂ for L2 (the fast gradient method), then clipped to [0, 1].
 * Targeted mode steps down the cross-entropy of the target class instead.
 */
export const fgsm: Attack<FgsmParams> = defineAttack<FgsmParams>({
  id: 'fgsm',
  summary: 'fast gradient sign method: one ε step along the gradient sign (L∞) or the normalised gradient (L2)',
  kind: 'white-box',
  norms: ['linf', 'l2'],
  accepts: ['norm'],
  targeted: true,
  resolve(eps, options) {
    checkOptions(fgsm, options);
    const norm = options.norm ?? 'linf';
    checkEps(eps, norm);
    return { eps, norm };
  },
  async run(classifier, input, params) {
    const { images, labels, targets } = input;
    const classes = objectiveClasses(labels, targets);
    const tracker = new WorstCase(classes, targets !== undefined);
    try {
      const { gradient, logits } = objectiveGradient(classifier, images, classes, targets !== undefined);
      logits.dispose();
      const stepped = tf.tidy(() =>
        project(images, tf.add(images, tf.mul(ascentDirection(gradient, params.norm), params.eps)) as tf.Tensor4D, params.eps, params.norm),
      );
      gradient.dispose();
      const finalLogits = tf.tidy(() => classifier.logits(stepped));
      tracker.offer(stepped, finalLogits);
      stepped.dispose();
      finalLogits.dispose();
      const { adversarial, perExample } = await tracker.finish(images, params.norm);
      return { adversarial, perExample, costPerImage: 1 };
    } finally {
      tracker.dispose();
      classes.dispose();
    }
  },
});
