/**
 * Imported ONNX ResNet-18 against the same network built directly with tf.layers
 * (bench/models/resnet18.ts: the CIFAR-style ResNet-18, 11.2 M parameters, 32×32×3): forward and
 * input-gradient throughput on each backend, measured alternately in one process so the ratio
 * holds on a noisy machine. The ONNX graph is written by our builder as PyTorch exports it
 * (test/onnx/architectures.ts: Conv without bias → BatchNormalization → Relu, Add,
 * GlobalAveragePool, Flatten, Gemm) with seeded random weights, and checked against
 * onnxruntime-node before timing.
 * Run: npx tsx bench/onnx.ts [--batch 32] [--seconds 3] [--rounds 3] [--backends wasm,webgpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { backendProvider, probeBackends } from '../src/backend/index.js';
import type { Classifier } from '../src/models/contract.js';
import { OnnxGraph, parseOnnx } from '../src/models/onnx/model.js';
import { RandomStream } from '../src/random/stream.js';
import { resnet18Onnx } from '../test/onnx/architectures.js';
import { buildResNet18 } from './models/resnet18.js';
import { throughput as timeThroughput } from './shared/throughput.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const batchSize = option('batch', 32);
const seconds = option('seconds', 3);
const rounds = option('rounds', 3);
const only = args.includes('--backends') ? args[args.indexOf('--backends') + 1]!.split(',') : ['wasm'];

/** Largest |ours − onnxruntime| / max(1, |onnxruntime|) over the logits of `images`. */
async function checkAgainstOnnxruntime(bytes: Uint8Array, graph: OnnxGraph, images: Float32Array, n: number): Promise<number> {
  const nchw = new Float32Array(images.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) for (let p = 0; p < 32 * 32; p++) nchw[(i * 3 + c) * 1024 + p] = images[(i * 1024 + p) * 3 + c]!;
  const session = await ort.InferenceSession.create(bytes);
  const reference = (await session.run({ images: new ort.Tensor('float32', nchw, [n, 3, 32, 32]) }))['logits']!.data as Float32Array;
  await session.release();
  const x = tf.tensor4d(images, [n, 32, 32, 3]);
  const ours = graph.run(x, 'logits');
  const data = await ours.data();
  tf.dispose([x, ours]);
  return Array.from(data).reduce((worst, v, i) => Math.max(worst, Math.abs(v - reference[i]!) / Math.max(1, Math.abs(reference[i]!))), 0);
}

/** Images per second of `fn` at this bench's batch size and duration. */
const throughput = (fn: () => Promise<void>) => timeThroughput(fn, seconds, batchSize);

function timers(model: Classifier, images: tf.Tensor4D, labels: tf.Tensor2D) {
  const gradient = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, model.logits(x as tf.Tensor4D)));
  return {
    forward: () => throughput(async () => {
      const out = tf.tidy(() => model.logits(images));
      await out.data();
      out.dispose();
    }),
    gradient: () => throughput(async () => {
      const out = tf.tidy(() => gradient(images));
      await out.data();
      out.dispose();
    }),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const bytes = resnet18Onnx({ stem: 'cifar', imageSize: 32, classes: 10, randomBatchNorm: false });
const stream = RandomStream.fromSeed(1);
const pixels = stream.derive('images').fillUniform(new Float32Array(batchSize * 32 * 32 * 3));

for (const found of await probeBackends()) {
  if (!only.includes(found.name)) continue;
  if (!found.available) {
    console.error(`skip ${found.name}: ${found.note}`);
    continue;
  }
  await backendProvider(found.name).activate();
  const layers = buildResNet18([32, 32, 3], 10, 0);
  const graph = new OnnxGraph(parseOnnx(bytes, 'resnet18.onnx'), { mean: [0], std: [1] }, undefined);
  const imported: Classifier = { name: 'onnx-resnet18', inputShape: [32, 32, 3], numClasses: 10, logits: (x) => graph.run(x, 'logits') as tf.Tensor2D };
  const error = await checkAgainstOnnxruntime(bytes, graph, pixels.subarray(0, 2 * 32 * 32 * 3), 2);
  const images = tf.tensor4d(pixels, [batchSize, 32, 32, 3]);
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: batchSize }, (_, i) => i % 10), 'int32'), 10) as tf.Tensor2D;
  const ours = timers(imported, images, labels);
  const theirs = timers(layers, images, labels);
  const measured = { forward: [] as number[][], gradient: [] as number[][] };
  // Alternating rounds: each ratio compares runs seconds apart, not minutes.
  for (let round = 0; round < rounds; round++) {
    measured.forward.push([await ours.forward(), await theirs.forward()]);
    measured.gradient.push([await ours.gradient(), await theirs.gradient()]);
  }
  console.log(`${found.name}${found.adapter ? ` (${found.adapter})` : ''}: imported logits vs onnxruntime max error ${error.toExponential(1)}; batch ${batchSize}, ${rounds} rounds of ${seconds} s`);
  for (const kind of ['forward', 'gradient'] as const) {
    const pairs = measured[kind];
    const ratio = median(pairs.map(([a, b]) => a! / b!));
    console.log(`  ${kind.padEnd(8)} onnx ${median(pairs.map((p) => p[0]!)).toFixed(1).padStart(7)} img/s   tf.layers ${median(pairs.map((p) => p[1]!)).toFixed(1).padStart(7)} img/s   ratio ${ratio.toFixed(2)} (${ratio >= 0.8 ? 'meets' : 'misses'} the 0.8 goal)`);
  }
  tf.dispose([images, labels]);
  graph.dispose();
  layers.dispose();
}
