import { fc } from '@fast-check/vitest';

/** A label vector over K classes: K in [2, maxClasses], n in [0, maxSize]. */
export function labelSet(maxClasses = 12, maxSize = 400) {
  return fc.integer({ min: 2, max: maxClasses }).chain((numClasses) =>
    fc.record({
      numClasses: fc.constant(numClasses),
      labels: fc.array(fc.integer({ min: 0, max: numClasses - 1 }), { maxLength: maxSize }).map((a) => Int32Array.from(a)),
    }));
}

/** Labels where every class has at least `min` examples: `min` of each, then random extras, interleaved. */
export function coveredLabelSet(maxClasses = 10, min = 1, maxExtra = 300) {
  return fc.integer({ min: 2, max: maxClasses }).chain((numClasses) =>
    fc.record({
      numClasses: fc.constant(numClasses),
      labels: fc.array(fc.integer({ min: 0, max: numClasses - 1 }), { maxLength: maxExtra }).map((extra) => {
        const out: number[] = [];
        for (let i = 0; i < numClasses * min || i < extra.length; i++) {
          if (i < extra.length) out.push(extra[i]!);
          if (i < numClasses * min) out.push(i % numClasses);
        }
        return Int32Array.from(out);
      }),
    }));
}

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
export const rateArb = fc.double({ min: 0, max: 0.99, noNaN: true });

/** Whether two label vectors hold the same values. */
export function sameLabels(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
