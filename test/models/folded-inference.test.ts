/**
 * LayersModels run for evaluation and attacks with batch norm folded into the convolutions and
 * only input gradients taken (src/models/folded-inference.ts): the logits and the input
 * gradients agree with `model.apply(x, { training: false })` on the cpu backend within 1e-4,
 * over random stacks of convolutions (plain and depthwise, strides, paddings, biases, their own
 * ReLU), batch norms, ReLUs and residual additions; the folded run really skips batch norm and
 * the filter gradients; it keeps the tensor count flat and frees what it made; models it does
 * not take fall back to model.apply.
 *
 * Runs on wasm as the backend activates it: with the native kernels when they are built and not
 * turned off (SSL_ROBUST_NATIVE=0), else on the plain wasm kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import { readModelFiles } from '../../src/models/files.js';
import { foldedInference } from '../../src/models/folded-inference.js';
import { loadClassifier } from '../../src/models/load.js';
import { expectClose, values } from '../helpers/kernels.js';

beforeAll(async () => {
  await useBackend('wasm');
});

type Shape4 = [number, number, number, number];

interface Block {
  readonly kind: 'conv' | 'depthwise';
  readonly kernel: number;
  readonly stride: number;
  readonly padding: 'same' | 'valid';
  readonly filters: number;
  readonly useBias: boolean;
  /** The convolution's own activation. */
  readonly ownRelu: boolean;
  readonly batchNorm: boolean;
  readonly relu: 'none' | 'activation' | 'layer';
  /** Add the block's input back (when the shapes allow), as a residual block does. */
  readonly residual: boolean;
}

const blockArb: fc.Arbitrary<Block> = fc.record({
  kind: fc.constantFrom<Block['kind']>('conv', 'conv', 'depthwise'),
  kernel: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  padding: fc.constantFrom<Block['padding']>('same', 'valid'),
  filters: fc.integer({ min: 1, max: 6 }),
  useBias: fc.boolean(),
  ownRelu: fc.boolean(),
  batchNorm: fc.boolean(),
  relu: fc.constantFrom<Block['relu']>('none', 'activation', 'layer'),
  residual: fc.boolean(),
});

/** A functional model of `blocks` on [h, w, c] images, global average pooling and a dense head. */
function buildModel(input: readonly number[], blocks: readonly Block[]): tfl.LayersModel {
  const images = tfl.input({ shape: [...input] });
  let x = images;
  for (const b of blocks) {
    const [h, w] = x.shape.slice(1, 3) as number[];
    // Keep at least one output pixel.
    const padding = b.padding === 'valid' && (h! < b.kernel || w! < b.kernel) ? 'same' : b.padding;
    const activation = b.ownRelu ? 'relu' : 'linear';
    const common = { kernelSize: b.kernel, strides: b.stride, padding, useBias: b.useBias, activation } as const;
    let y = (b.kind === 'conv'
      ? tfl.layers.conv2d({ ...common, filters: b.filters })
      : tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: 1 + (b.filters % 2) })
    ).apply(x) as tfl.SymbolicTensor;
    if (b.batchNorm) y = tfl.layers.batchNormalization({ epsilon: 1e-3 }).apply(y) as tfl.SymbolicTensor;
    if (b.relu === 'activation') y = tfl.layers.activation({ activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
    if (b.relu === 'layer') y = tfl.layers.reLU().apply(y) as tfl.SymbolicTensor;
    if (b.residual && y.shape.every((d, i) => d === x.shape[i])) y = tfl.layers.add().apply([y, x]) as tfl.SymbolicTensor;
    x = y;
  }
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 4 }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: images, outputs: logits });
}

/** Seeded weights; batch norm gets non-trivial statistics (variances in [0.1, 1.1)). */
function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  const weights = model.weights.map((w, i) => {
    const shape = w.shape as number[];
    const v = values(shape, seed + 7 * i);
    if (w.originalName.endsWith('/moving_variance')) for (let j = 0; j < v.length; j++) v[j] = Math.abs(v[j]!) + 0.1;
    return tf.tensor(v, shape);
  });
  model.setWeights(weights);
  tf.dispose(weights);
}

/** Logits and the input gradient of Σ logits·r, from `logits` on `backend`. */
async function logitsAndGradient(backend: 'wasm' | 'cpu', logits: (x: tf.Tensor4D) => tf.Tensor, shape: Shape4, seed: number): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values(shape, seed), shape);
  const out = tf.tidy(() => logits(x));
  const r = tf.tensor(values(out.shape, seed + 1), out.shape);
  const gradient = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(logits(input as tf.Tensor4D), r)))(x);
  const result: [Float32Array, Float32Array] = [out.dataSync() as Float32Array, gradient.dataSync() as Float32Array];
  tf.dispose([x, out, r, gradient]);
  return result;
}

/** Gradients through a dozen layers grow: compare relative to their largest value. */
function expectCloseScaled(actual: Float32Array, expected: Float32Array, what: string): void {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= 1e-4 * (1 + scale))) expect.fail(`${what}: element ${i} is ${actual[i]}, model.apply on cpu says ${expected[i]}`);
  }
}

describe('foldedInference', () => {
  it('matches model.apply on cpu: logits and input gradients, over random conv / batch norm / ReLU / residual stacks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }),
          size: fc.integer({ min: 3, max: 9 }),
          channels: fc.integer({ min: 1, max: 4 }),
          blocks: fc.array(blockArb, { minLength: 1, maxLength: 4 }),
          seed: fc.nat(),
        }),
        async ({ batch, size, channels, blocks, seed }) => {
          await tf.setBackend('wasm');
          const model = buildModel([size, size, channels], blocks);
          randomizeWeights(model, seed);
          const folded = foldedInference(model);
          expect(folded, 'every such model has a convolution to fold').toBeDefined();
          try {
            const shape: Shape4 = [batch, size, size, channels];
            const [logits, gradient] = await logitsAndGradient('wasm', (x) => folded!.run(x, model.outputs[0]!), shape, seed);
            const [refLogits, refGradient] = await logitsAndGradient('cpu', (x) => model.apply(x, { training: false }) as tf.Tensor, shape, seed);
            const what = JSON.stringify({ batch, size, channels, blocks });
            expectClose(logits, refLogits, `logits ${what}`);
            expectCloseScaled(gradient, refGradient, `input gradient ${what}`);
          } finally {
            await tf.setBackend('wasm');
            folded!.dispose();
            model.dispose();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('folds an unfused chain: a batch norm whose convolution output is also used elsewhere stays a batch norm', async () => {
    const images = tfl.input({ shape: [6, 6, 2] });
    const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false }).apply(images) as tfl.SymbolicTensor;
    const norm = tfl.layers.batchNormalization({}).apply(conv) as tfl.SymbolicTensor;
    const both = tfl.layers.add().apply([norm, conv]) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: 2 }).apply(tfl.layers.flatten().apply(both)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: images, outputs: logits });
    randomizeWeights(model, 3);
    const folded = foldedInference(model)!;
    const x = tf.tensor4d(values([2, 6, 6, 2], 4), [2, 6, 6, 2]);
    const profile = await tf.profile(() => tf.tidy(() => folded.run(x, logits)));
    tf.dispose(profile.result as tf.Tensor);
    expect(profile.kernels.map((k) => k.name)).toContain('FusedBatchNorm');
    expectClose(tf.tidy(() => folded.run(x, logits).dataSync() as Float32Array), tf.tidy(() => (model.apply(x) as tf.Tensor).dataSync() as Float32Array), 'logits');
    tf.dispose(x);
    folded.dispose();
    model.dispose();
  });

  it('leaves to model.apply what it does not take: no convolution, or a layer used twice', () => {
    const images = tfl.input({ shape: [4] });
    const dense = tfl.model({ inputs: images, outputs: tfl.layers.dense({ units: 2 }).apply(images) as tfl.SymbolicTensor });
    expect(foldedInference(dense)).toBeUndefined();
    const square = tfl.input({ shape: [5, 5, 1] });
    const shared = tfl.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same' });
    const twice = shared.apply(shared.apply(square)) as tfl.SymbolicTensor;
    const sharedModel = tfl.model({ inputs: square, outputs: twice });
    expect(foldedInference(sharedModel)).toBeUndefined();
    dense.dispose();
    sharedModel.dispose();
  });
});

describe('a zoo classifier as loadClassifier runs it', () => {
  it('gives model.apply\'s logits and embedding within 1e-4, skipping batch norm and filter gradients, with flat memory', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const classifier = await loadClassifier('assets/zoo/supervised');
    // The same files as a plain LayersModel, for reference.
    const reference = await tfl.loadLayersModel(tf.io.fromMemory((await readModelFiles('assets/zoo/supervised')).artifacts));
    const shape: Shape4 = [4, 28, 28, 1];
    const x = tf.tensor4d(values(shape, 11).map((v) => (v + 1) / 2), shape);
    const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 5, 9], 'int32'), 10));
    const loss = (logits: (x: tf.Tensor4D) => tf.Tensor) => (input: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, logits(input as tf.Tensor4D));

    const profile = await tf.profile(() => tf.tidy(() => tf.grad(loss((i) => classifier.logits(i)))(x)));
    tf.dispose(profile.result as tf.Tensor);
    const kernels = new Set(profile.kernels.map((k) => k.name));
    expect(kernels.has('FusedBatchNorm'), 'batch norm folded away').toBe(false);
    expect(kernels.has('Conv2DBackpropFilter'), 'no filter gradients').toBe(false);
    expect(kernels.has('Conv2DBackpropInput')).toBe(true);

    {
      const logits = tf.tidy(() => classifier.logits(x).dataSync() as Float32Array);
      expectClose(logits, tf.tidy(() => (reference.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array), 'zoo logits');
      const embedding = tf.tidy(() => classifier.backbone!.embed(x).dataSync() as Float32Array);
      const embeddingModel = tfl.model({ inputs: reference.inputs, outputs: reference.getLayer('embedding').output as tfl.SymbolicTensor });
      expectClose(embedding, tf.tidy(() => (embeddingModel.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array), 'zoo embedding');
      const gradient = tf.tidy(() => tf.grad(loss((i) => classifier.logits(i)))(x).dataSync() as Float32Array);
      const refGradient = tf.tidy(() => tf.grad(loss((i) => reference.apply(i, { training: false }) as tf.Tensor))(x).dataSync() as Float32Array);
      expectCloseScaled(gradient, refGradient, 'zoo input gradient');
      reference.dispose();
    }

    const step = () => tf.tidy(() => tf.sum(tf.grad(loss((i) => classifier.logits(i)))(x)).dataSync()[0]);
    const first = step();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) expect(step()).toBe(first);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, labels]);
    classifier.dispose();
    expect(tf.memory().numTensors, 'the folded weights are freed with the classifier').toBe(before);
  });
});
