/**
 * Imported graphs on webgpu: outputs against onnxruntime-node and input gradients against wasm's.
 * Skipped without a Vulkan adapter unless SSL_ROBUST_REQUIRE_WEBGPU=1 (CI), as in test/backend.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { backendProvider, useBackend } from '../../src/backend/index.js';
import { compareWithReference, importGraph, maxError, uniformImages } from './harness.js';

const required = process.env['SSL_ROBUST_REQUIRE_WEBGPU'] === '1';
const availability = await backendProvider('webgpu').probe();
if (!availability.available) console.warn(`webgpu backend unavailable: ${availability.note ?? '(no note)'}`);

const FIXTURES = [
  ['resnet18-tiny-opset13', 64],
  ['vit-tiny-opset17', 32],
  ['convnext-tiny-opset17', 32],
  ['mobilenet-v3-small-tiny-opset17', 64],
] as const;

async function inputGradient(bytes: Uint8Array, size: number): Promise<Float32Array> {
  const graph = importGraph(bytes);
  const x = tf.tensor4d(uniformImages([2, size, size, 3], 3), [2, size, size, 3]);
  const classWeights = tf.reshape(tf.range(0, 10), [1, 10]);
  const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(graph.run(v as tf.Tensor4D, 'logits'), classWeights)))(x);
  const data = Float32Array.from(await grad.data());
  tf.dispose([x, classWeights, grad]);
  graph.dispose();
  return data;
}

describe.skipIf(!availability.available && !required)('ONNX import on webgpu', () => {
  it.each(FIXTURES)('%s: logits match onnxruntime-node within 1e-4, gradients match wasm', async (name, size) => {
    const bytes = new Uint8Array(readFileSync(`test/fixtures/onnx/${name}.onnx`));
    await useBackend('webgpu');
    expect(await compareWithReference(bytes, [2, size, size, 3])).toBeLessThan(1e-4);
    const onWebgpu = await inputGradient(bytes, size);
    await useBackend('wasm');
    const onWasm = await inputGradient(bytes, size);
    const scale = onWasm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(0);
    expect(maxError(onWebgpu.map((v) => v / scale), onWasm.map((v) => v / scale))).toBeLessThan(1e-4);
  });
});
