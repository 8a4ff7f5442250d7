/**
 * Forward and input-gradient throughput of the bundled CNN on every backend available here,
 * in one process so the figures are comparable.
 * Run: npx tsx bench/backends.ts [--batch 64] [--seconds 3] [--backends wasm,webgpu,cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendProvider, probeBackends } from '../src/backend/index.js';
import { openDataset } from '../src/data/open.js';
import { loadClassifier } from '../src/models/load.js';
import { throughput as timeThroughput } from './shared/throughput.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const batchSize = option('batch', 64);
const seconds = option('seconds', 3);
const only = args.includes('--backends') ? args[args.indexOf('--backends') + 1]!.split(',') : undefined;

/** Images per second of `fn` at this bench's batch size and duration. */
const throughput = (fn: () => Promise<void>) => timeThroughput(fn, seconds, batchSize);

const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
const positions = Array.from({ length: batchSize }, (_, i) => i);
const pixels = await dataset.read(positions);
const labels = Array.from(dataset.labels.slice(0, batchSize));

const rows: { backend: string; adapter: string; forward: number; gradient: number }[] = [];
for (const found of await probeBackends()) {
  if (only && !only.includes(found.name)) continue;
  if (!found.available) {
    console.error(`skip ${found.name}: ${found.note}`);
    continue;
  }
  await backendProvider(found.name).activate();
  const model = await loadClassifier('fmnist-cnn');
  const images = tf.tensor4d(pixels, [batchSize, ...dataset.imageShape]);
  const oneHot = tf.oneHot(tf.tensor1d(labels, 'int32'), model.numClasses);
  const lossOf = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(oneHot, model.logits(x as tf.Tensor4D));
  const inputGradient = tf.grad(lossOf);
  const forward = await throughput(async () => {
    const out = tf.tidy(() => model.logits(images));
    await out.data();
    out.dispose();
  });
  const gradient = await throughput(async () => {
    const out = tf.tidy(() => inputGradient(images));
    await out.data();
    out.dispose();
  });
  rows.push({ backend: found.name, adapter: found.adapter ?? '', forward, gradient });
  console.error(`${found.name}: forward ${forward.toFixed(1)} img/s, input gradient ${gradient.toFixed(1)} img/s`);
  tf.dispose([images, oneHot]);
  model.dispose();
}

const reference = rows.find((r) => r.backend === 'wasm') ?? rows[0]!;
console.log(`bundled fmnist-cnn, batch ${batchSize}, ~${seconds}s per figure, ${new Date().toISOString()}`);
console.log('backend     adapter                          forward img/s  (× wasm)   input-grad img/s  (× wasm)');
for (const r of rows) {
  console.log(
    `${r.backend.padEnd(11)} ${r.adapter.slice(0, 32).padEnd(32)} ${r.forward.toFixed(0).padStart(14)}  (${(r.forward / reference.forward).toFixed(2)}×)  ${r.gradient.toFixed(0).padStart(16)}  (${(r.gradient / reference.gradient).toFixed(2)}×)`,
  );
}
// Dawn can keep the event loop alive; the benchmark is done.
process.exit(0);
