import { test as propTest, fc } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect } from 'vitest';
import { backendProvider } from '../../src/backend/index.js';

/** Input gradient of a weighted sum of maxPool's output, on one backend. */
async function maxPoolGradient(backend: 'cpu' | 'wasm', x: number[], shape: [number, number, number, number], pool: number, stride: number, pad: 'same' | 'valid') {
  await backendProvider(backend).activate();
  return tf.tidy(() => {
    const input = tf.tensor4d(x, shape);
    const weigh = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
    return Array.from(tf.grad((i: tf.Tensor) => weigh(tf.maxPool(i as tf.Tensor4D, pool, stride, pad)))(input).dataSync());
  });
}

beforeAll(async () => {
  await backendProvider('wasm').activate();
});

describe('wasm MaxPoolGrad (replacing tfjs-backend-wasm 4.22\'s, which misroutes gradients)', () => {
  propTest.prop([
    fc.record({
      batch: fc.integer({ min: 1, max: 2 }),
      size: fc.integer({ min: 2, max: 14 }),
      channels: fc.constantFrom(1, 3, 4, 16, 64),
      pool: fc.integer({ min: 1, max: 3 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.constantFrom('same' as const, 'valid' as const),
      seed: fc.nat(),
    }).filter((c) => c.pool <= c.size),
  ], { numRuns: 30 })('matches the cpu backend exactly', async ({ batch, size, channels, pool, stride, pad, seed }) => {
    const shape: [number, number, number, number] = [batch, size, size, channels];
    // Distinct values (no ties), so the maximum of each window is unambiguous.
    const x = Array.from({ length: batch * size * size * channels }, (_, i) => Math.sin(i * 12.9898 + seed) * 1000);
    const cpu = await maxPoolGradient('cpu', x, shape, pool, stride, pad);
    const wasm = await maxPoolGradient('wasm', x, shape, pool, stride, pad);
    expect(wasm).toEqual(cpu);
  });
});
