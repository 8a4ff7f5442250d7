import { test as propTest, fc } from '@fast-check/vitest';
import { expect, it } from 'vitest';
import { validateBatch } from '../../src/corruptions/apply.js';
import { createSimdEngine } from '../../src/engine/simd.js';

/** The check validateBatch's branch-free scan must agree with: the exact comparison per value. */
function firstBadPixel(images: Float32Array): number {
  return images.findIndex((v) => !(v >= 0 && v <= 1));
}

const inRange = fc.oneof(fc.constantFrom(0, 1, 0.5, 2 ** -149, 1 - 2 ** -24), fc.float({ min: 0, max: 1, noNaN: true }));
const outOfRange = fc.oneof(
  fc.constantFrom(Number.NaN, -0, -(2 ** -149), 1 + 2 ** -23, Infinity, -Infinity, 2, -1),
  fc.float({ noNaN: false }).filter((v) => !(v >= 0 && v <= 1)),
);

propTest.prop([fc.array(inRange, { minLength: 1, maxLength: 41 }), fc.option(fc.tuple(fc.nat(), outOfRange), { nil: undefined })], { numRuns: 500 })(
  'validateBatch rejects exactly the values the per-value test rejects, naming the first (−0 passes)',
  (values, bad) => {
    const images = Float32Array.from(values);
    if (bad) images[bad[0] % images.length] = bad[1];
    const batch = { images, shape: [1, 1, images.length, 1] as const };
    const first = firstBadPixel(images);
    if (first < 0) expect(() => validateBatch(batch)).not.toThrow();
    else expect(() => validateBatch(batch)).toThrow(new RegExp(`^pixel ${first} is `));
  },
);

it('validateBatch finds a bad value in any position of a 224×224×3 image, the last included', () => {
  const images = new Float32Array(224 * 224 * 3).fill(1);
  const batch = { images, shape: [1, 224, 224, 3] as const };
  expect(() => validateBatch(batch)).not.toThrow();
  for (const at of [0, 1, 2, 3, 4, images.length - 5, images.length - 1]) {
    images[at] = Number.NaN;
    expect(() => validateBatch(batch)).toThrow(`pixel ${at} is NaN`);
    images[at] = 1.0000001;
    expect(() => validateBatch(batch)).toThrow(`pixel ${at} is 1.0000001`);
    images[at] = -0;
    expect(() => validateBatch(batch)).not.toThrow();
    images[at] = 1;
  }
});

it('validateBatch checks a view into a larger buffer only over the view', () => {
  const buffer = new Float32Array(10).fill(Number.NaN);
  buffer.fill(0.25, 3, 9);
  const images = buffer.subarray(3, 9);
  expect(() => validateBatch({ images, shape: [1, 2, 3, 1] })).not.toThrow();
  buffer[8] = 7;
  expect(() => validateBatch({ images, shape: [1, 2, 3, 1] })).toThrow('pixel 5 is 7');
});

propTest.prop(
  [fc.integer({ min: 4096, max: 4103 }), fc.nat({ max: 3 }), fc.option(fc.tuple(fc.nat(), outOfRange), { nil: undefined }), inRange],
  { numRuns: 200 },
)('validateBatch on images large enough for the SIMD scan (any length, any offset into a buffer) rejects exactly the values the per-value test rejects', (length, offset, bad, fill) => {
  const buffer = new Float32Array(length + 8).fill(Number.NaN);
  const images = buffer.subarray(offset, offset + length).fill(fill);
  if (bad) images[bad[0] % length] = bad[1];
  const batch = { images, shape: [1, 1, length, 1] as const };
  const first = firstBadPixel(images);
  if (first < 0) expect(() => validateBatch(batch)).not.toThrow();
  else expect(() => validateBatch(batch)).toThrow(new RegExp(`^pixel ${first} is `));
});

propTest.prop([fc.array(inRange, { minLength: 1, maxLength: 40 }), fc.option(fc.tuple(fc.nat(), outOfRange), { nil: undefined })])(
  'the engines\' outsideUnitRange kernels (wasm SIMD and JavaScript) flag exactly the blocks with a value outside [+0, 1]',
  (values, bad) => {
    // The kernels take whole blocks of 4: padded with zeros.
    const data = Float32Array.from({ length: 4 * Math.ceil(values.length / 4) }, (_, i) => values[i] ?? 0);
    if (bad) data[bad[0] % data.length] = bad[1];
    const expected = data.some((v) => !(v >= 0 && v <= 1) || Object.is(v, -0));
    for (const kind of ['wasm-simd', 'js'] as const) {
      const { arena, kernels } = createSimdEngine(kind);
      const address = arena.alloc(data.length);
      arena.f32.set(data, address >>> 2);
      expect(kernels.outsideUnitRange(address, data.length) !== 0, kind).toBe(expected);
    }
  },
);
