// Checks that the PyTorch-trained reference CNN, exported as a TensorFlow.js
// LayersModel by scripts/train_reference_cnn.py, evaluates in tfjs-layers to
// exactly what PyTorch reported in reference.json:
//   (a) logits of the first 8 subset images within 1e-4,
//   (b) identical per-image predicted classes on the 2,000-image subset,
//   (c) hence identical top-1 accuracy.
// Usage: node scripts/check_reference_export.mjs [MODEL_DIR]   (exit code 1 on mismatch)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const MODEL_DIR = process.argv[2] ?? 'assets/models/fmnist-cnn';
const SUBSET_DIR = 'assets/data/fashion-mnist-subset';
const LOGIT_TOLERANCE = 1e-4;
const BATCH = 250;

/** Reads a gzipped IDX file: returns its dims and the raw uint8 payload. */
function readIdx(path) {
  const buf = gunzipSync(readFileSync(path));
  const ndim = buf[3];
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + 4 + 4 * ndim, dims.reduce((a, b) => a * b, 1)) };
}

/** Builds ModelArtifacts by hand (model.json + the single shard) so nothing depends on a file:// handler. */
function loadArtifacts(dir) {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  if (modelJson.format !== 'layers-model') throw new Error(`format is ${modelJson.format}`);
  const manifest = modelJson.weightsManifest;
  if (manifest.length !== 1 || manifest[0].paths.length !== 1) throw new Error('expected exactly one weight shard');
  const shard = readFileSync(join(dir, manifest[0].paths[0]));
  // Copy into a standalone ArrayBuffer: a Node Buffer may be a view into a larger pool.
  const weightData = shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength);
  return {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    weightSpecs: manifest[0].weights,
    weightData,
  };
}

async function main() {
  await tf.setBackend('cpu');
  const reference = JSON.parse(readFileSync(join(MODEL_DIR, 'reference.json'), 'utf8'));
  const artifacts = loadArtifacts(MODEL_DIR);
  const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  console.log(`loaded ${MODEL_DIR}: ${model.layers.length} layers, ${model.countParams()} weights ` +
    `(incl. BN running stats), shard ${artifacts.weightData.byteLength} bytes, ` +
    `input ${JSON.stringify(model.inputs[0].shape)} -> output ${JSON.stringify(model.outputs[0].shape)}`);
  console.log(`embedding layer: ${JSON.stringify(model.getLayer('embedding').outputShape)}`);

  const images = readIdx(join(SUBSET_DIR, 't10k-images-idx3-ubyte.gz'));
  const labels = readIdx(join(SUBSET_DIR, 't10k-labels-idx1-ubyte.gz')).data;
  const [n, h, w] = images.dims;

  // Predict in batches; pixel/255 in float32, NHWC, as the model expects.
  const predictions = new Int32Array(n);
  let firstLogits = null;
  // Smallest top-1/top-2 logit gap: how much numeric drift a backend could absorb
  // before some prediction flips.
  let minGap = Infinity;
  for (let start = 0; start < n; start += BATCH) {
    const size = Math.min(BATCH, n - start);
    const pixels = Float32Array.from(images.data.subarray(start * h * w, (start + size) * h * w), (v) => v / 255);
    const { logits, argmax } = tf.tidy(() => {
      const out = model.predict(tf.tensor4d(pixels, [size, h, w, 1]));
      return { logits: out.arraySync(), argmax: tf.argMax(out, 1).dataSync() };
    });
    predictions.set(argmax, start);
    for (const row of logits) {
      const [top1, top2] = [...row].sort((a, b) => b - a);
      minGap = Math.min(minGap, top1 - top2);
    }
    if (start === 0) firstLogits = logits.slice(0, reference.subsetLogitsFirst8.length);
  }

  // (a) raw logits
  let maxDiff = 0;
  reference.subsetLogitsFirst8.forEach((row, i) => row.forEach((v, j) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - firstLogits[i][j]));
  }));
  // (b) per-image predictions
  const mismatches = [];
  predictions.forEach((p, i) => { if (p !== reference.subsetPredictions[i]) mismatches.push(i); });
  // (c) accuracy
  let correct = 0;
  predictions.forEach((p, i) => { if (p === labels[i]) correct += 1; });
  const accuracy = correct / n;

  const checks = [
    [`(a) max |logit diff| over first ${firstLogits.length} images: ${maxDiff.toExponential(3)} (tolerance ${LOGIT_TOLERANCE})`,
      maxDiff <= LOGIT_TOLERANCE],
    [`(b) predictions differing from PyTorch: ${mismatches.length} / ${n}` +
      (mismatches.length ? ` (first: ${mismatches.slice(0, 10).join(', ')})` : ''), mismatches.length === 0],
    [`(c) tfjs accuracy ${correct}/${n} = ${accuracy} vs PyTorch ${reference.subsetAccuracy}`,
      accuracy === reference.subsetAccuracy],
  ];
  for (const [line, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${line}`);
  console.log(`smallest top-1/top-2 logit gap on the subset: ${minGap.toExponential(3)}`);
  console.log(`PyTorch ${reference.frameworkVersion} full test accuracy (${reference.testCount}): ${reference.testAccuracy}`);
  if (!checks.every(([, ok]) => ok)) process.exitCode = 1;
}

await main();
