import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node entry registers no gradients; tfjs-layers registers all of core's on import.
import '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { webgpuBackend } from '../../src/backend/webgpu.js';

// CI sets this so that a machine without a usable adapter fails instead of skipping.
const required = process.env['SSL_ROBUST_REQUIRE_WEBGPU'] === '1';
const availability = await webgpuBackend.probe();
if (!availability.available) console.warn(`webgpu backend unavailable: ${availability.note ?? '(no note)'}`);

/** Deterministic values in [-1, 1), so both backends see identical inputs. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

const batch = 4;
const classes = 10;

/**
 * A small CNN touching the kernels we rely on (conv2d, depthwise conv, batch norm, max and
 * average pooling, matMul, softmax cross-entropy) and the input gradient through it.
 * Tensors are rebuilt from arrays on the active backend: webgpu tensors cannot be read
 * synchronously on Node, which moving them to another backend would require.
 */
async function logitsAndInputGradient(): Promise<{ logits: Float32Array; grad: Float32Array }> {
  const t = (shape: number[], seed: number) => tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape);
  const [logits, grad] = tf.tidy(() => {
    const x = tf.mul(tf.add(t([batch, 28, 28, 1], 1), 1), 0.5);
    const w1 = tf.mul(t([3, 3, 1, 8], 2), 0.5);
    const b1 = tf.mul(t([8], 3), 0.1);
    const dw = tf.mul(t([3, 3, 8, 1], 4), 0.5);
    const mean = tf.mul(t([8], 5), 0.1);
    const variance = tf.add(tf.abs(t([8], 6)), 0.5);
    const offset = tf.mul(t([8], 9), 0.1);
    const scale = tf.add(t([8], 10), 1.5);
    const w2 = tf.mul(t([3, 3, 8, 16], 7), 0.3);
    const w3 = tf.mul(t([7 * 7 * 16, classes], 8), 0.1);
    const labels = tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), classes);
    const net = (input: tf.Tensor4D): tf.Tensor2D => {
      let h: tf.Tensor4D = tf.relu(tf.add(tf.conv2d(input, w1 as tf.Tensor4D, 1, 'same'), b1));
      h = tf.maxPool(h, 2, 2, 'valid');
      h = tf.depthwiseConv2d(h, dw as tf.Tensor4D, 1, 'same');
      h = tf.batchNorm4d(h, mean as tf.Tensor1D, variance as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3);
      h = tf.relu(tf.conv2d(h, w2 as tf.Tensor4D, 1, 'same'));
      h = tf.avgPool(h, 2, 2, 'valid');
      return tf.matMul(tf.reshape(h, [batch, -1]), w3 as tf.Tensor2D);
    };
    const loss = (input: tf.Tensor): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, net(input as tf.Tensor4D));
    return [net(x as tf.Tensor4D), tf.grad(loss)(x)];
  });
  const out = { logits: (await logits.data()) as Float32Array, grad: (await grad.data()) as Float32Array };
  tf.dispose([logits, grad]);
  return out;
}

/** Largest |a - b| relative to max(1, |a|): absolute for small values, relative for big ones. */
function maxError(expected: Float32Array, actual: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    worst = Math.max(worst, Math.abs(e - actual[i]!) / Math.max(1, Math.abs(e)));
  }
  return worst;
}

describe('webgpu backend', () => {
  it('probes without throwing or touching the active backend', async () => {
    await tf.setBackend('cpu');
    const again = await webgpuBackend.probe();
    expect(tf.getBackend()).toBe('cpu');
    expect(again.name).toBe('webgpu');
    if (again.available) {
      expect(again.adapter).toBeTruthy();
      // lavapipe is Mesa's llvmpipe behind Vulkan: a CPU, not a GPU.
      if (/llvmpipe|lavapipe|swiftshader/i.test(again.adapter ?? '')) expect(again.hardwareGpu).toBe(false);
    } else {
      expect(again.note).toBeTruthy();
      expect(again.hardwareGpu).toBe(false);
    }
  });

  it.skipIf(!availability.available && !required)(
    'gives the cpu backend’s logits and input gradient for a small CNN',
    async () => {
      expect(availability.available, `SSL_ROBUST_REQUIRE_WEBGPU=1 but: ${availability.note}`).toBe(true);
      await tf.setBackend('cpu');
      const cpu = await logitsAndInputGradient();
      await webgpuBackend.activate();
      expect(tf.getBackend()).toBe('webgpu');
      const gpu = await logitsAndInputGradient();

      expect(cpu.logits.length).toBe(batch * classes);
      expect(cpu.grad.length).toBe(batch * 28 * 28);
      expect(cpu.grad.some((g) => g !== 0)).toBe(true); // a vacuous gradient would match anyway
      expect(maxError(cpu.logits, gpu.logits)).toBeLessThan(1e-4);
      expect(maxError(cpu.grad, gpu.grad)).toBeLessThan(1e-4);
    },
  );
});
