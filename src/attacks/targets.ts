import { ensure } from '../errors.js';
import type { RandomStream } from '../random/stream.js';

/**
 * How a targeted evaluation picks each image's target class:
 * - `random`: uniform over the classes other than the image's label (the usual choice in the
 *   literature, e.g. Carlini & Wagner's "average case");
 * - `least-likely`: the class the model scores lowest on the clean image (the hardest target);
 * - `{ class }`: one class for every image; images of that class have nothing to reach and are
 *   left unattacked.
 */
export type TargetRule = 'random' | 'least-likely' | { readonly class: number };

/** Parses `random`, `least-likely` or a class index, as the CLI and configs give it. */
export function parseTargetRule(value: string): TargetRule {
  const text = value.trim();
  if (text === 'random' || text === 'least-likely') return text;
  const index = Number(text);
  ensure(
    text !== '' && Number.isInteger(index) && index >= 0,
    `unknown target rule '${value}' (known: random, least-likely, or a class index such as 3)`,
  );
  return { class: index };
}

export function describeTargetRule(rule: TargetRule): string {
  return typeof rule === 'string' ? rule : `class ${rule.class}`;
}

/** Checks a rule against the model's classes before anything runs. */
export function checkTargetRule(rule: TargetRule, numClasses: number): void {
  ensure(numClasses >= 2, `a targeted attack needs at least 2 classes; the model has ${numClasses}`);
  if (typeof rule !== 'string') {
    ensure(rule.class < numClasses, `target class ${rule.class} does not exist: the model has classes 0–${numClasses - 1}`);
  }
}

/**
 * One target per image, or null when the rule leaves the image nothing to reach. `streams[i]`
 * is image i's own stream, so its random target does not depend on batch or order;
 * `leastLikely[i]` (the class of image i's lowest clean logit) is read only by `least-likely`.
 */
export function chooseTargets(
  rule: TargetRule,
  labels: Int32Array,
  numClasses: number,
  streams: readonly RandomStream[],
  leastLikely?: ArrayLike<number>,
): (number | null)[] {
  return Array.from(labels, (label, i) => {
    if (rule === 'random') {
      // Uniform over the other classes: draw from numClasses − 1 and skip over the label.
      const draw = streams[i]!.int(0, numClasses - 2);
      return draw >= label ? draw + 1 : draw;
    }
    if (rule === 'least-likely') {
      ensure(leastLikely !== undefined, 'least-likely targets need the clean predictions');
      return leastLikely[i]!;
    }
    return rule.class === label ? null : rule.class;
  });
}
