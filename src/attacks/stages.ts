import * as tf from '@tensorflow/tfjs-core';
import type { RandomStream } from '../random/stream.js';
import type { AttackExampleOutcome, AttackInput, AttackOutput } from './types.js';

/** One pass of a staged attack: a restart, a target class or an ensemble member. */
export interface Stage {
  /** Recorded as `brokenBy` for the examples this stage breaks. */
  readonly id: string;
  /**
   * Keys that derive this stage's per-image streams (a restart's number, a target's rank), so
   * stages draw independently. Without keys the stage gets the images' own streams, as an
   * ensemble member does: it then draws exactly what it would when run alone.
   */
  readonly streamKeys?: readonly (string | number)[];
  /**
   * Attacks a subset: images, labels and streams narrowed to the unbroken examples, whose
   * positions in the full batch are given (for per-example settings such as targets).
   */
  run(input: AttackInput, positions: readonly number[]): Promise<AttackOutput>;
}

/** Whether a candidate outcome beats the current one: a success beats a failure, then the higher loss. */
function beats(candidate: AttackExampleOutcome, current: AttackExampleOutcome | undefined): boolean {
  if (!current) return true;
  if (candidate.success !== current.success) return candidate.success;
  return !current.success && candidate.loss > current.loss;
}

/**
 * Runs stages in turn, each only on the examples no earlier stage broke (as AutoAttack
 * schedules its attacks), and keeps each example's worst case: its first success, or else the
 * highest-loss failure. Every stage starts from the clean images. Untargeted only: success means
 * misclassified. The adversarial images are gathered on the host, one copy per stage.
 */
export async function runStages(input: AttackInput, stages: readonly Stage[]): Promise<AttackOutput> {
  const { images, labels, random } = input;
  const [n, h, w, c] = images.shape;
  const size = h * w * c;
  const best = new Float32Array(await images.data());
  const outcomes: (AttackExampleOutcome | undefined)[] = new Array(n).fill(undefined);
  let totalCost = 0;

  for (const stage of stages) {
    const open = outcomes.flatMap((outcome, i) => (outcome?.success ? [] : [i]));
    if (open.length === 0) break;
    const subset = open.length === n ? images : (tf.tidy(() => tf.gather(images, tf.tensor1d(open, 'int32'))) as tf.Tensor4D);
    try {
      const output = await stage.run({
        images: subset,
        labels: Int32Array.from(open, (i) => labels[i] as number),
        random: open.map((i) => {
          const stream = random[i] as RandomStream;
          return stage.streamKeys ? stream.derive(...stage.streamKeys) : stream;
        }),
      }, open);
      const adversarial = await output.adversarial.data();
      output.adversarial.dispose();
      totalCost += output.costPerImage * open.length;
      open.forEach((i, j) => {
        const outcome = output.perExample[j] as AttackExampleOutcome;
        if (!beats(outcome, outcomes[i])) return;
        outcomes[i] = outcome.success ? { ...outcome, brokenBy: outcome.brokenBy ?? stage.id } : outcome;
        best.set(adversarial.subarray(j * size, (j + 1) * size), i * size);
      });
    } finally {
      if (subset !== images) subset.dispose();
    }
  }
  return {
    adversarial: tf.tensor4d(best, [n, h, w, c]),
    perExample: outcomes.map((outcome) => outcome as AttackExampleOutcome),
    costPerImage: n ? totalCost / n : 0,
  };
}
