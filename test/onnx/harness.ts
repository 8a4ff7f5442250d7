/**
 * Runs an ONNX model both through onnxruntime-node (the reference, forward only) and through our
 * importer on the active backend, on the same seeded inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { OnnxGraph, parseOnnx } from '../../src/models/onnx/model.js';
import { RandomStream } from '../../src/random/stream.js';

/** Inputs in [0, 1] become [-2, 2] after this normalisation, exercising both. */
export const TEST_NORMALISATION = { mean: [0.5], std: [0.25] };

export function uniformImages(shape: readonly [number, number, number, number], seed: number): Float32Array {
  return RandomStream.fromSeed(seed).derive('onnx-test-images').fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/** Seeded normal values times `scale`, for weights. */
export function normals(n: number, seed: number | string, scale = 1): Float32Array {
  const values = RandomStream.fromSeed(0).derive('onnx-test-weights', seed).fillNormal(new Float32Array(n));
  for (let i = 0; i < n; i++) values[i]! *= scale;
  return values;
}

export function nhwcToNchw(data: Float32Array, [n, h, w, c]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) for (let k = 0; k < c!; k++) {
    out[((b * c! + k) * h! + y) * w! + x] = data[((b * h! + y) * w! + x) * c! + k]!;
  }
  return out;
}

/** onnxruntime's outputs for NHWC [0, 1] images, normalised as our importer does. */
export async function referenceOutputs(bytes: Uint8Array, images: Float32Array, shape: readonly [number, number, number, number], inputName = 'x'): Promise<Map<string, { data: Float32Array; dims: readonly number[] }>> {
  const normalised = images.map((v) => (v - TEST_NORMALISATION.mean[0]!) / TEST_NORMALISATION.std[0]!);
  return runReference(bytes, normalised, shape, inputName);
}

/** onnxruntime's outputs for already-normalised NHWC images (transposed to the model's NCHW). */
export async function runReference(bytes: Uint8Array, normalised: Float32Array, shape: readonly [number, number, number, number], inputName: string): Promise<Map<string, { data: Float32Array; dims: readonly number[] }>> {
  const [n, h, w, c] = shape;
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', nhwcToNchw(normalised, shape), [n, c, h, w]) });
    const out = new Map<string, { data: Float32Array; dims: readonly number[] }>();
    for (const [name, tensor] of Object.entries(result)) out.set(name, { data: Float32Array.from(tensor.data as ArrayLike<number>), dims: tensor.dims });
    return out;
  } finally {
    await session.release();
  }
}

export function importGraph(bytes: Uint8Array): OnnxGraph {
  return new OnnxGraph(parseOnnx(bytes, 'test.onnx'), TEST_NORMALISATION, undefined);
}

/** Our importer's value of `output` (logical layout), as data and shape. */
export async function importedOutput(graph: OnnxGraph, images: Float32Array, shape: readonly [number, number, number, number], output: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const x = tf.tensor4d(images, [...shape]);
  const y = graph.run(x, output);
  const data = Float32Array.from(await y.data());
  const dims = y.shape;
  tf.dispose([x, y]);
  return { data, dims };
}

/** Largest |a - b| / max(1, |b|): absolute near zero, relative for large values. */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const ai = Number(a[i]);
    const bi = Number(b[i]);
    const err = Math.abs(ai - bi) / Math.max(1, Math.abs(bi));
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}

/** Compares every graph output of `bytes` between onnxruntime and the importer; returns the worst error. */
export async function compareWithReference(bytes: Uint8Array, shape: readonly [number, number, number, number], seed = 1): Promise<number> {
  const images = uniformImages(shape, seed);
  const parsed = parseOnnx(bytes, 'test.onnx');
  const fixedBatch = parsed.input.dims?.[0];
  const reference = typeof fixedBatch === 'number' ? await referenceInChunks(bytes, images, shape, parsed.input.name, fixedBatch) : await referenceOutputs(bytes, images, shape, parsed.input.name);
  const graph = importGraph(bytes);
  try {
    let worst = 0;
    for (const [name, ref] of reference) {
      const ours = await importedOutput(graph, images, shape, name);
      if (ours.dims.join() !== ref.dims.join()) throw new Error(`output ${name}: shape [${ours.dims.join(', ')}], onnxruntime [${ref.dims.join(', ')}]`);
      // A near-zero reference would let any error pass: every comparison must see real values.
      const scale = ref.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (!(scale > 0.05)) throw new Error(`output ${name}: onnxruntime's values are all below 0.05 in magnitude; the comparison would prove nothing`);
      worst = Math.max(worst, maxError(ours.data, ref.data));
    }
    return worst;
  } finally {
    graph.dispose();
  }
}

/** onnxruntime on a file with a fixed batch size: the images in chunks of it, outputs concatenated. */
async function referenceInChunks(bytes: Uint8Array, images: Float32Array, shape: readonly [number, number, number, number], inputName: string, chunk: number): Promise<Map<string, { data: Float32Array; dims: readonly number[] }>> {
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const parts: Map<string, { data: Float32Array; dims: readonly number[] }>[] = [];
  for (let start = 0; start < n; start += chunk) {
    if (start + chunk > n) throw new Error('test images must fill whole chunks');
    parts.push(await referenceOutputs(bytes, images.subarray(start * per, (start + chunk) * per), [chunk, h, w, c], inputName));
  }
  const out = new Map<string, { data: Float32Array; dims: readonly number[] }>();
  for (const name of parts[0]!.keys()) {
    const pieces = parts.map((p) => p.get(name)!);
    const data = new Float32Array(pieces.reduce((s, p) => s + p.data.length, 0));
    let at = 0;
    for (const p of pieces) {
      data.set(p.data, at);
      at += p.data.length;
    }
    out.set(name, { data, dims: [n, ...pieces[0]!.dims.slice(1)] });
  }
  return out;
}
