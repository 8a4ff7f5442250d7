import { expect } from 'vitest';

/**
 * Deep equality where non-integer numbers may differ by float rounding (relative 1e-6): with the
 * native kernels on, oneDNN picks its algorithm by batch size, so a perturbation's norm or loss
 * can change in the last bits while every prediction, count and class stays the same.
 */
export function expectEqualUpToRounding(actual: unknown, expected: unknown, path = 'value'): void {
  if (typeof expected === 'number' && typeof actual === 'number' && !(Number.isInteger(expected) && Number.isInteger(actual))) {
    const scale = Math.max(1, Math.abs(expected));
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-6 * scale);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    expect(actual.length, `${path}.length`).toBe(expected.length);
    expected.forEach((item, i) => expectEqualUpToRounding(actual[i], item, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object' && actual !== null && typeof actual === 'object') {
    expect(Object.keys(actual).sort(), `${path} keys`).toEqual(Object.keys(expected).sort());
    for (const key of Object.keys(expected)) {
      expectEqualUpToRounding((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return;
  }
  expect(actual, path).toEqual(expected);
}
