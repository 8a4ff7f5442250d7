import { fc, test as propTest } from '@fast-check/vitest';
import { expect } from 'vitest';
import { addProportionalClipped, addScaledClipped } from '../../src/corruptions/shared/pixels.js';

/** The plain clip the branch-free helpers replace, rounded to float32 as a Float32Array stores it. */
const clip = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// Pixels in [0, 1] including ±0, denormals and values next to 1; noise of any size and sign,
// including tiny values that push a sum just below 0 or just above 1.
const pixel = fc.oneof(fc.float({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, -0, 1, 2 ** -149, 1 - 2 ** -24));
const noise = fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.constantFrom(0, -0, 2 ** -149, -(2 ** -149), 1e-40, -1e-40));
const pairs = fc.array(fc.tuple(pixel, noise), { minLength: 1, maxLength: 64 });
const scale = fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constantFrom(0, 0.38, 1));

propTest.prop([pairs, scale])('addScaledClipped gives clip(x + s·n) bit for bit', (values, s) => {
  const base = Float32Array.from(values, ([x]) => x);
  const n = Float32Array.from(values, ([, v]) => v);
  const expected = Float32Array.from(values, (_, i) => clip(base[i]! + s * n[i]!));
  expect(bits(addScaledClipped(n, base, s))).toEqual(bits(expected));
});

propTest.prop([pairs, scale])('addProportionalClipped gives clip(x + x·s·n) bit for bit', (values, s) => {
  const base = Float32Array.from(values, ([x]) => x);
  const n = Float32Array.from(values, ([, v]) => v);
  const expected = Float32Array.from(values, (_, i) => clip(base[i]! + base[i]! * s * n[i]!));
  expect(bits(addProportionalClipped(n, base, s))).toEqual(bits(expected));
});
