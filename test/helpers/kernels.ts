import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic values in [-1, 1), so every backend sees identical inputs. */
export function values(shape: readonly number[], seed: number): Float32Array {
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Runs `f` on `backend` (cpu or wasm: both read back synchronously) and returns its tensors' values; every tensor it made is freed. */
export async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(f);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return data;
}

/** Float32 sums of a few hundred terms: 1e-4 absolute plus 1e-4 relative is ample. */
export function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= 1e-4 + 1e-4 * Math.abs(e))) {
      expect.fail(`${what}: element ${i} is ${a}, cpu says ${e}`);
    }
  }
}
