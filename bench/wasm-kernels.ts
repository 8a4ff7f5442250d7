/**
 * Micro-benchmark of the wasm gradient kernels in src/backend/wasm-kernels against the
 * cpu backend's kernels on the same inputs, in one process.
 *
 *   npx tsx bench/wasm-kernels.ts            # all cases
 *   npx tsx bench/wasm-kernels.ts --quick    # fewer repetitions
 *
 * Each kernel is run through the engine (tf.engine().runKernel), exactly as tf.grad
 * calls it, on inputs already resident on the backend; times are wall-clock ms per call
 * after one warm-up call, including the read-back sync of the result.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../src/backend/wasm-kernels/index.js';

interface Case {
  readonly label: string;
  readonly kernel: string;
  /** Inputs by name: shapes of random float32 tensors. */
  readonly inputs: Readonly<Record<string, number[]>>;
  readonly attrs: tf.NamedAttrMap;
}

const quick = process.argv.includes('--quick');

const cases: Case[] = [
  {
    label: 'conv2d dW  x 64×28×28×32, W 3×3×32×32, s1 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 32], dy: [64, 28, 28, 32] },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 32] },
  },
  {
    label: 'conv2d dW  x 64×28×28×1,  W 3×3×1×32,  s1 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 1], dy: [64, 28, 28, 32] },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 32] },
  },
  {
    label: 'conv2d dW  x 64×14×14×32, W 3×3×32×64, s2 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 14, 14, 32], dy: [64, 7, 7, 64] },
    attrs: { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] },
  },
  {
    label: 'dwconv dW  x 64×14×14×64, W 3×3×64×1,  s1 same',
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: { x: [64, 14, 14, 64], dy: [64, 14, 14, 64] },
    attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 64, 1] },
  },
  {
    label: 'dwconv dW  x 64×28×28×32, W 3×3×32×2,  s2 same',
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: { x: [64, 28, 28, 32], dy: [64, 14, 14, 64] },
    attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 32, 2] },
  },
  {
    label: 'dwconv dx  x 64×14×14×64, W 3×3×64×1,  s1 same',
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    inputs: { dy: [64, 14, 14, 64], filter: [3, 3, 64, 1] },
    attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', inputShape: [64, 14, 14, 64] },
  },
  {
    label: 'dwconv dx  x 64×28×28×32, W 3×3×32×2,  s2 same',
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    inputs: { dy: [64, 14, 14, 64], filter: [3, 3, 32, 2] },
    attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', inputShape: [64, 28, 28, 32] },
  },
];

/** Runs `kernel` until `minMs` elapsed (at least `minReps` calls); returns ms per call. */
function timeKernel(c: Case, inputs: tf.NamedTensorMap, minReps: number, minMs: number): number {
  const once = (): void => {
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  once(); // warm-up: JIT, XNNPACK setup, heap growth
  let reps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (reps < minReps || elapsed < minMs) {
    once();
    reps++;
    elapsed = performance.now() - start;
  }
  return elapsed / reps;
}

async function onBackend(name: string, c: Case, values: Record<string, Float32Array>): Promise<number> {
  await tf.setBackend(name);
  const inputs: tf.NamedTensorMap = {};
  for (const [k, shape] of Object.entries(c.inputs)) inputs[k] = tf.tensor(values[k]!, shape, 'float32');
  try {
    // The cpu kernels are slow enough that a single timed call is already long.
    return name === 'wasm' ? timeKernel(c, inputs, quick ? 3 : 10, quick ? 300 : 1500) : timeKernel(c, inputs, 1, quick ? 0 : 1000);
  } finally {
    for (const t of Object.values(inputs)) t.dispose();
  }
}

async function main(): Promise<void> {
  registerWasmGradientKernels();
  await tf.setBackend('wasm');
  console.log(`tfjs ${tf.version_core}, node ${process.version}, wasm backend (XNNPACK, single-threaded in Node)`);
  console.log('kernel case'.padEnd(52) + 'wasm ms'.padStart(10) + 'cpu ms'.padStart(11) + 'cpu/wasm'.padStart(10));
  for (const c of cases) {
    const values: Record<string, Float32Array> = {};
    let seed = 1;
    for (const [k, shape] of Object.entries(c.inputs)) {
      values[k] = tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed++).dataSync() as Float32Array);
    }
    const wasmMs = await onBackend('wasm', c, values);
    const cpuMs = await onBackend('cpu', c, values);
    console.log(
      c.label.padEnd(52) +
        wasmMs.toFixed(2).padStart(10) +
        cpuMs.toFixed(1).padStart(11) +
        `${(cpuMs / wasmMs).toFixed(1)}×`.padStart(10),
    );
  }
}

await main();
