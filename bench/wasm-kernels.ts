/**
 * Micro-benchmark of the wasm gradient kernels in src/backend/wasm-kernels against the
 * cpu backend's kernels on the same inputs, in one process.
 *
 *   npx tsx bench/wasm-kernels.ts             # cpu timed on a batch slice, scaled up
 *   npx tsx bench/wasm-kernels.ts --full-cpu  # cpu at the full batch too (minutes)
 *   npx tsx bench/wasm-kernels.ts --quick     # fewer repetitions
 *
 * Each kernel is run through the engine (tf.engine().runKernel), exactly as tf.grad
 * calls it, on inputs already resident on the backend. Times are the median wall-clock
 * ms per call after one warm-up call.
 *
 * The cpu backend's kernels are scalar loops (~150 s for one call of the largest case),
 * so by default the cpu runs the same case on the first `cpuBatch` images and its time
 * is scaled by batch/cpuBatch. Each of these kernels does work proportional to the batch
 * size; measured at the full batch (--full-cpu) the cpu was 0–40% slower than the
 * scaled estimate (cache effects), so the printed ratios are if anything conservative.
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
  /** Batch size the cpu backend is timed at unless --full-cpu (see above). */
  readonly cpuBatch: number;
}

const quick = process.argv.includes('--quick');
const fullCpu = process.argv.includes('--full-cpu');

const cases: Case[] = [
  {
    label: 'conv2d dW  x 64×28×28×32, W 3×3×32×32, s1 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 32], dy: [64, 28, 28, 32] },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 32] },
    cpuBatch: 2,
  },
  {
    label: 'conv2d dW  x 64×28×28×1,  W 3×3×1×32,  s1 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 1], dy: [64, 28, 28, 32] },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 1, 32] },
    cpuBatch: 16,
  },
  {
    label: 'conv2d dW  x 64×14×14×32, W 3×3×32×64, s2 same',
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 14, 14, 32], dy: [64, 7, 7, 64] },
    attrs: { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] },
    cpuBatch: 8,
  },
  {
    label: 'dwconv dW  x 64×14×14×64, W 3×3×64×1,  s1 same',
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: { x: [64, 14, 14, 64], dy: [64, 14, 14, 64] },
    attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 64, 1] },
    cpuBatch: 16,
  },
  {
    label: 'dwconv dW  x 64×28×28×32, W 3×3×32×2,  s2 same',
    kernel: 'DepthwiseConv2dNativeBackpropFilter',
    inputs: { x: [64, 28, 28, 32], dy: [64, 14, 14, 64] },
    attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', filterShape: [3, 3, 32, 2] },
    cpuBatch: 16,
  },
  {
    label: 'dwconv dx  x 64×14×14×64, W 3×3×64×1,  s1 same',
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    inputs: { dy: [64, 14, 14, 64], filter: [3, 3, 64, 1] },
    attrs: { strides: [1, 1], dilations: [1, 1], pad: 'same', inputShape: [64, 14, 14, 64] },
    cpuBatch: 64,
  },
  {
    label: 'dwconv dx  x 64×28×28×32, W 3×3×32×2,  s2 same',
    kernel: 'DepthwiseConv2dNativeBackpropInput',
    inputs: { dy: [64, 14, 14, 64], filter: [3, 3, 32, 2] },
    attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', inputShape: [64, 28, 28, 32] },
    cpuBatch: 64,
  },
  {
    label: 'conv2d dx  x 64×28×28×32, W 3×3×32×32, s1 same',
    kernel: 'Conv2DBackpropInput',
    inputs: { dy: [64, 28, 28, 32], filter: [3, 3, 32, 32] },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [64, 28, 28, 32] },
    cpuBatch: 2,
  },
];

/** Median ms per call of `kernel` over at least `minReps` calls and `minMs` of work. */
function timeKernel(c: Case, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap, minReps: number, minMs: number): number {
  // Both backends run kernels synchronously, so the call's duration is the kernel's; the
  // result is not read back (copying a large dx out of the wasm heap would dominate).
  const once = (): void => {
    (tf.engine().runKernel(c.kernel, inputs, attrs) as tf.Tensor).dispose();
  };
  // Warm-up: JIT, XNNPACK operator creation, heap growth. A call that long is its own
  // measurement (warm-up effects are negligible next to it), sparing minutes on cpu.
  const t0 = performance.now();
  once();
  const first = performance.now() - t0;
  if (first > 5000 && minReps <= 1) return first;
  const times: number[] = [];
  let total = 0;
  while (times.length < minReps || total < minMs) {
    const t0 = performance.now();
    once();
    const dt = performance.now() - t0;
    times.push(dt);
    total += dt;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** The case restricted to the first `batch` images (inputs, dy and the shape attrs). */
function sliceBatch(c: Case, batch: number): Case {
  const inputs: Record<string, number[]> = {};
  for (const [k, shape] of Object.entries(c.inputs)) inputs[k] = k === 'filter' ? shape : [batch, ...shape.slice(1)];
  const attrs = { ...c.attrs };
  if (Array.isArray(attrs['inputShape'])) attrs['inputShape'] = [batch, ...(attrs['inputShape'] as number[]).slice(1)];
  return { ...c, inputs, attrs };
}

async function timeOn(name: 'wasm' | 'cpu', c: Case, values: Record<string, Float32Array>): Promise<number> {
  await tf.setBackend(name);
  const inputs: tf.NamedTensorMap = {};
  for (const [k, shape] of Object.entries(c.inputs)) {
    inputs[k] = tf.tensor(values[k]!.subarray(0, shape.reduce((a, b) => a * b, 1)), shape, 'float32');
  }
  try {
    return name === 'wasm'
      ? timeKernel(c, inputs, c.attrs, quick ? 3 : 10, quick ? 300 : 2000)
      : timeKernel(c, inputs, c.attrs, 1, quick ? 0 : 1000);
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
    const wasmMs = await timeOn('wasm', c, values);
    const batch = (c.inputs['x'] ?? c.inputs['dy'])![0]!;
    const cpuBatch = fullCpu ? batch : Math.min(batch, c.cpuBatch);
    const cpuMs = ((await timeOn('cpu', sliceBatch(c, cpuBatch), values)) * batch) / cpuBatch;
    const note = cpuBatch === batch ? '' : `  (cpu timed at batch ${cpuBatch}, ×${batch / cpuBatch})`;
    console.log(
      c.label.padEnd(52) +
        wasmMs.toFixed(2).padStart(10) +
        cpuMs.toFixed(1).padStart(11) +
        `${(cpuMs / wasmMs).toFixed(0)}×`.padStart(10) +
        note,
    );
  }
}

await main();
