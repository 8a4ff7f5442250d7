/** Trainers on a tiny real subset: batch-norm gradients, falling losses, flat tensor counts, exact resume. */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { UserInputError } from '../../src/errors.js';
import { buildBackbone, RESNET_FMNIST } from '../../src/models/zoo/architecture.js';
import { forwardTraining, layerVariables, trainableVariables } from '../../src/models/zoo/forward.js';
import { byolRegression, ntXent } from '../../src/models/zoo/losses.js';
import { TrainingRun, type RunSetup } from '../../src/models/zoo/train-loop.js';
import { trainers } from '../../src/models/zoo/trainers/index.js';
import { RandomStream } from '../../src/random/stream.js';
import { tempFolder } from '../helpers/files.js';

let data: Dataset;
beforeAll(async () => {
  await useBackend('wasm');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(64);
});

const setupFor = (method: string, epochs: number): RunSetup => ({
  recipe: { ...trainers.get(method).defaultRecipe, epochs, batchSize: 16, warmupEpochs: 0, learningRate: 0.05 },
  seed: 7, numClasses: 10, backend: 'wasm', data: { name: 'subset', source: 'test', size: 64 },
});

async function weightsOf(run: TrainingRun): Promise<Float32Array[]> {
  const models = [run.models.backbone, ...Object.values(run.models.heads)];
  return Promise.all(models.flatMap(layerVariables).map(async (v) => (await v.read().data()) as Float32Array));
}

describe('batch norm in training mode', () => {
  // On the cpu backend, whose reductions sum in float64: wasm's float32 sums put tfjs-layers' own
  // gradients (and our tfjs-op construction's) up to 3% away from both, through ten batch norms. The
  // native kernels, which sum in float64, are checked against this cpu path in test/backend.
  it('our forward and gradients match tfjs-layers\' own training path (cpu backend)', async () => {
    await useBackend('cpu');
    try {
      const narrow = { ...RESNET_FMNIST, stemWidth: 4, stages: RESNET_FMNIST.stages.map((s, i) => ({ ...s, width: 4 * 2 ** Math.min(i, 2) })) };
      const model = buildBackbone(narrow, RandomStream.fromSeed(1));
      const x = tf.tensor4d(await data.read(Array.from({ length: 8 }, (_, i) => i)), [8, 28, 28, 1]);
      // Residual branches start with γ = 0, which would zero most gradients: compare at γ = 1.
      for (const v of layerVariables(model)) if (v.originalName.endsWith('/gamma')) v.write(tf.onesLike(v.read()));
      const variables = trainableVariables(model);
      // Scale the embedding so that the loss depends on every unit; the second run sees the first run's moving stats, which training ignores.
      const loss = (ours: boolean) => () => tf.sum(tf.square(ours ? forwardTraining(model, x, { updateStatistics: false }) : model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
      const a = tf.variableGrads(loss(true), variables);
      const b = tf.variableGrads(loss(false), variables);
      expect((await a.value.data())[0]).toBeCloseTo((await b.value.data())[0]!, 3);
      for (const v of variables) {
        const [ga, gb] = [await a.grads[v.name]!.data(), await b.grads[v.name]!.data()];
        const scale = Array.from(gb).reduce((m, g) => Math.max(m, Math.abs(g)), 1e-6);
        ga.forEach((g, i) => expect(Math.abs(g - gb[i]!) / scale).toBeLessThan(1e-4));
      }
      model.dispose();
    } finally {
      await useBackend('wasm');
    }
  });
});

describe('losses', () => {
  it('NT-Xent is lower for matching views than for unrelated ones; BYOL\'s is 0 for equal and 4 for opposite', async () => {
    const random = RandomStream.fromSeed(2);
    const a = tf.tensor2d(random.fillNormal(new Float32Array(32 * 16)), [32, 16]);
    const b = tf.tensor2d(random.fillNormal(new Float32Array(32 * 16)), [32, 16]);
    const [same, other] = [await ntXent(a, a, 0.5).data(), await ntXent(a, b, 0.5).data()];
    expect(same[0]).toBeLessThan(other[0]!);
    expect((await byolRegression(a, a).data())[0]).toBeCloseTo(0, 5);
    expect((await byolRegression(a, tf.neg(a) as tf.Tensor2D).data())[0]).toBeCloseTo(4, 5);
  });
});

describe.each(trainers.ids())('%s', (method) => {
  it('lowers its loss over a few epochs on 64 real images, with a flat tensor count', async () => {
    const run = TrainingRun.create(setupFor(method, 4));
    const first = await run.trainEpoch(data);
    const count = tf.memory().numTensors;
    await run.trainEpoch(data);
    await run.trainEpoch(data);
    const last = await run.trainEpoch(data);
    expect(tf.memory().numTensors).toBe(count);
    expect(last.meanLoss).toBeLessThan(first.meanLoss);
    run.dispose();
  });
});

describe('checkpoints', () => {
  const folder = tempFolder();

  it.each(['supervised-rotation', 'byol'])('%s: a run resumed from the epoch-1 checkpoint ends with the same weights, bit for bit', async (method) => {
    const straight = TrainingRun.create(setupFor(method, 2));
    await straight.trainEpoch(data);
    await straight.trainEpoch(data);
    const expected = await weightsOf(straight);
    straight.dispose();

    const file = join(folder, `${method}.ckpt`);
    const interrupted = TrainingRun.create(setupFor(method, 2));
    await interrupted.trainEpoch(data);
    await interrupted.saveCheckpoint(file);
    interrupted.dispose();
    const resumed = await TrainingRun.restore(file);
    expect(resumed.epochsDone).toBe(1);
    await resumed.trainEpoch(data);
    expect(resumed.finished).toBe(true);
    const got = await weightsOf(resumed);
    expect(got.length).toBe(expected.length);
    got.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(expected[i]!)));
    resumed.dispose();
  });

  it('refuses a damaged checkpoint with a user error', async () => {
    const file = join(folder, 'bad.ckpt');
    writeFileSync(file, 'SSLRCKPT\x05\x00\x00\x00{oops');
    await expect(TrainingRun.restore(file)).rejects.toBeInstanceOf(UserInputError);
    writeFileSync(file, 'not a checkpoint');
    await expect(TrainingRun.restore(file)).rejects.toThrow(/not an ssl-robust training checkpoint/);
  });
});
