import * as tf from '@tensorflow/tfjs-core';
import type { RandomStream } from '../../random/stream.js';
import type { AnyAttack, AttackBudget, AttackOptionName, AttackOptions } from '../types.js';
import { defineCheck, flag, type SanityContext } from './types.js';

/** AutoAttack flags Square when it lowers robust accuracy by more than this fraction (0.2 points). */
const BLACK_BOX_MARGIN = 0.002;
/** A short Square run: enough to catch masked gradients on the few images a check attacks. */
const BLACK_BOX_QUERIES = 300;
const UNBOUNDED_STEPS = 20;

/** Which sample images an attack left robust at one ε, from the evaluation's own records. */
function robustInSample(context: SanityContext, eps: number): boolean[] {
  const byIndex = new Map(context.perExample.filter((r) => r.eps === eps).map((r) => [r.index, r]));
  return Array.from(context.sample.indices, (index) => byIndex.get(index)?.adversarialCorrect ?? false);
}

/** Which sample images the model classifies correctly before any attack. */
function cleanCorrectInSample(context: SanityContext): boolean[] {
  const byIndex = new Map(context.perExample.map((r) => [r.index, r.cleanCorrect]));
  return Array.from(context.sample.indices, (index) => byIndex.get(index) ?? false);
}

/** The ε the re-attacks use: the largest one that left a sample image robust, else the smallest above 0. */
function probeEps(context: SanityContext): number | null {
  const positive = context.params.map((p) => p.eps).filter((eps) => eps > 0).sort((a, b) => a - b);
  if (positive.length === 0) return null;
  return [...positive].reverse().find((eps) => robustInSample(context, eps).some(Boolean)) ?? (positive[0] as number);
}

/** Runs an attack on the sample images selected by `keep`; returns which of them stayed correct. */
async function attackSample(context: SanityContext, attack: AnyAttack, params: AttackBudget, keep: readonly boolean[]): Promise<boolean[]> {
  const { sample, classifier } = context;
  const positions = keep.flatMap((k, i) => (k ? [i] : []));
  if (positions.length === 0) return [];
  const images = tf.tidy(() => tf.gather(sample.images, tf.tensor1d(positions, 'int32'))) as tf.Tensor4D;
  try {
    const output = await attack.run(
      classifier,
      {
        images,
        labels: Int32Array.from(positions, (i) => sample.labels[i] as number),
        random: positions.map((i) => (sample.random[i] as RandomStream).derive('sanity', attack.id)),
      },
      params,
    );
    output.adversarial.dispose();
    return output.perExample.map((outcome) => !outcome.success);
  } finally {
    images.dispose();
  }
}

const count = (flags: readonly boolean[]) => flags.filter(Boolean).length;

const OPTION_NAMES: readonly AttackOptionName[] = ['norm', 'steps', 'restarts', 'stepSize', 'randomStart', 'queries', 'targetClasses'];

/**
 * The resolved parameters at ε as options again, so a check can change one knob and keep the
 * rest, step size included: doubling the steps then means more iterations of the same step.
 */
function optionsOf(attack: AnyAttack, params: AttackBudget): AttackOptions {
  const values = params as unknown as Record<string, unknown>;
  return Object.fromEntries(OPTION_NAMES.filter((name) => attack.accepts.includes(name) && values[name] !== undefined).map((name) => [name, values[name]]));
}

export const iterativeBeatsOneStep = defineCheck({
  id: 'iterative-beats-one-step',
  summary: 'an iterative attack leaves at most as many images robust as one FGSM step (beyond one example)',
  async run(context) {
    const { attack, params, attacks } = context;
    if (attack.kind !== 'white-box' || attack.id === 'fgsm' || !attacks.has('fgsm')) return null;
    const fgsm = attacks.get('fgsm');
    const found = [];
    for (const p of params) {
      if (p.eps === 0 || !fgsm.norms.includes(p.norm)) continue;
      const robust = robustInSample(context, p.eps);
      const oneStep = await attackSample(context, fgsm, fgsm.resolve(p.eps, { norm: p.norm }), cleanCorrectInSample(context));
      if (count(robust) > count(oneStep) + 1) {
        found.push(flag('iterative-beats-one-step', 'warning',
          `at ε = ${p.eps}, ${attack.id} left ${count(robust)} of ${robust.length} probe images robust but one FGSM step only ${count(oneStep)}: the iterative attack is failing (step size, gradient masking)`));
      }
    }
    return found;
  },
});

export const moreEffortNoBetter = defineCheck({
  id: 'more-effort-no-better',
  summary: 'doubling the steps (or restarts) neither raises robust accuracy nor lowers it much (convergence)',
  async run(context) {
    const { attack } = context;
    const knob = attack.accepts.includes('steps') ? 'steps' : attack.accepts.includes('restarts') ? 'restarts' : null;
    const eps = probeEps(context);
    if (!knob || eps === null) return null;
    const params = context.params.find((p) => p.eps === eps) as AttackBudget;
    const base = optionsOf(attack, params);
    const current = (params as unknown as Record<string, number | undefined>)[knob];
    // Composite attacks (the ensemble) keep their steps in their members: no single knob to turn.
    if (current === undefined) return null;
    const stronger = attack.resolve(eps, { ...base, [knob]: current * 2 });
    const before = robustInSample(context, eps);
    const correct = cleanCorrectInSample(context);
    // The stronger run attacks every clean-correct probe image, so it can also come out weaker.
    const after = await attackSample(context, attack, stronger, correct);
    const baseCount = count(before);
    const strongerCount = count(after);
    const slack = Math.max(1, Math.ceil(0.05 * before.length));
    if (strongerCount > baseCount + 1) {
      return [flag('more-effort-no-better', 'warning',
        `at ε = ${eps}, doubling ${knob} to ${current * 2} left ${strongerCount} probe images robust against ${baseCount} before: more effort should never help the model; the attack is unstable or gradients are masked`)];
    }
    if (baseCount - strongerCount > slack) {
      return [flag('more-effort-no-better', 'warning',
        `at ε = ${eps}, doubling ${knob} to ${current * 2} broke ${baseCount - strongerCount} more of ${before.length} probe images: the attack has not converged; raise --${knob}`)];
    }
    return [];
  },
});

export const whiteBoxBeatsBlackBox = defineCheck({
  id: 'white-box-beats-black-box',
  summary: 'a black-box attack (Square) does not break what the white-box attack left robust (AutoAttack: > 0.2 points)',
  async run(context) {
    const { attack, attacks, perExample, sample } = context;
    const members = (context.params[0] as AttackBudget & { members?: { attack: string }[] }).members?.map((m) => m.attack) ?? [];
    if (members.includes('square')) {
      const found = [];
      for (const p of context.params) {
        const records = perExample.filter((r) => r.eps === p.eps);
        const bySquare = records.filter((r) => r.brokenBy === 'square').length;
        if (records.length && bySquare / records.length > BLACK_BOX_MARGIN) {
          found.push(flag('white-box-beats-black-box', 'warning',
            `at ε = ${p.eps}, Square broke ${bySquare} of ${records.length} images that the white-box members left robust: their gradients are unreliable on this model`));
        }
      }
      return found;
    }
    if (attack.kind !== 'white-box' || !attacks.has('square')) return null;
    const eps = probeEps(context);
    if (eps === null) return null;
    const square = attacks.get('square');
    const params = context.params.find((p) => p.eps === eps) as AttackBudget;
    if (!square.norms.includes(params.norm)) return null;
    const robust = robustInSample(context, eps);
    const afterSquare = await attackSample(context, square, square.resolve(eps, { norm: params.norm, queries: BLACK_BOX_QUERIES }), robust);
    const broken = afterSquare.filter((stillRobust) => !stillRobust).length;
    if (broken / sample.labels.length <= BLACK_BOX_MARGIN) return [];
    return [flag('white-box-beats-black-box', 'warning',
      `at ε = ${eps}, Square (${BLACK_BOX_QUERIES} queries) broke ${broken} of the ${count(robust)} probe images ${attack.id} left robust: gradients are masked or the attack is misconfigured`)];
  },
});

export const unboundedReachesZero = defineCheck({
  id: 'unbounded-reaches-zero',
  summary: 'PGD with an unbounded budget (any image reachable) breaks every image',
  async run(context) {
    const { attacks, params, sample } = context;
    if (context.attack.kind !== 'white-box' || !attacks.has('pgd')) return null;
    const pgd = attacks.get('pgd');
    const norm = (params[0] as AttackBudget).norm;
    const [, h, w, c] = sample.images.shape;
    // L∞ 1 reaches every image in [0, 1]; so does the cube's diagonal in L2.
    const eps = norm === 'linf' ? 1 : Math.sqrt(h * w * c);
    const correct = cleanCorrectInSample(context);
    const after = await attackSample(context, pgd, pgd.resolve(eps, { norm, steps: UNBOUNDED_STEPS }), correct);
    const survivors = count(after);
    if (survivors === 0) return [];
    return [flag('unbounded-reaches-zero', 'error',
      `PGD with an unbounded budget left ${survivors} of ${count(correct)} probe images correctly classified: gradients are masked or the model ignores its input`)];
  },
});
