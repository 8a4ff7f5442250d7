/** The zoo's augmentations: pure, seeded, shape- and range-preserving, and exact where they should be. */
import { fc, test } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/open.js';
import { allRotations, applyAugmentation, augment, CONTRASTIVE_AUGMENTATION, drawAugmentParams, NO_AUGMENTATION, rotate90 } from '../../src/models/zoo/augment.js';
import { RandomStream } from '../../src/random/stream.js';

let real: Float32Array;
beforeAll(async () => {
  await useBackend('wasm');
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  real = await dataset.read([0, 1, 2, 3, 4, 5, 6, 7]);
});

const batch = () => tf.tensor4d(real, [8, 28, 28, 1]);

describe('augmentation', () => {
  it('with everything off is the identity, bit for bit', async () => {
    const x = batch();
    const out = augment(x, RandomStream.fromSeed(1), NO_AUGMENTATION);
    expect(Array.from(await out.data())).toEqual(Array.from(real));
    tf.dispose([x, out]);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 8 })], { numRuns: 15 })(
    'keeps shape and [0, 1], leaks no tensors, and repeats for the same seed',
    async (seed, n) => {
      const x = tf.tensor4d(real.subarray(0, n * 784), [n, 28, 28, 1]);
      const before = tf.memory().numTensors;
      const a = augment(x, RandomStream.fromSeed(seed), CONTRASTIVE_AUGMENTATION);
      const b = augment(x, RandomStream.fromSeed(seed), CONTRASTIVE_AUGMENTATION);
      expect(a.shape).toEqual([n, 28, 28, 1]);
      const [va, vb] = [await a.data(), await b.data()];
      expect(Array.from(va)).toEqual(Array.from(vb));
      expect(Math.min(...va)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...va)).toBeLessThanOrEqual(1);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    },
  );

  it('draws crops inside the image with the configured area, and flips exactly as tf.reverse does', async () => {
    const params = drawAugmentParams(RandomStream.fromSeed(3), 500, 784, CONTRASTIVE_AUGMENTATION);
    for (let i = 0; i < 500; i++) {
      const [y1, x1, y2, x2] = params.boxes.subarray(4 * i, 4 * i + 4) as unknown as number[];
      for (const v of [y1!, x1!, y2!, x2!]) expect(v).toBeGreaterThanOrEqual(-1e-6), expect(v).toBeLessThanOrEqual(1 + 1e-6);
      const area = (y2! - y1!) * Math.abs(x2! - x1!);
      expect(area).toBeGreaterThanOrEqual(0.3 - 1e-5);
    }
    const x = batch();
    const flipOnly = { ...NO_AUGMENTATION, flipProbability: 1 };
    const flipped = augment(x, RandomStream.fromSeed(4), flipOnly);
    const reference = tf.reverse(x, 2);
    expect(Array.from(await flipped.data())).toEqual(Array.from(await reference.data()));
    tf.dispose([x, flipped, reference]);
  });

  it('brightness scales and contrast keeps each image\'s mean', async () => {
    const x = batch();
    const base = drawAugmentParams(RandomStream.fromSeed(1), 8, 784, NO_AUGMENTATION);
    const dimmer = applyAugmentation(x, { ...base, brightness: new Float32Array(8).fill(0.5) });
    const flatter = applyAugmentation(x, { ...base, contrast: new Float32Array(8).fill(0.5) });
    const [d, f, means, flatMeans] = [await dimmer.data(), await flatter.data(), await tf.mean(x, [1, 2, 3]).data(), await tf.mean(flatter, [1, 2, 3]).data()];
    d.forEach((v, i) => expect(v).toBeCloseTo(real[i]! * 0.5, 6));
    flatMeans.forEach((m, i) => expect(m).toBeCloseTo(means[i]!, 5));
    expect(f.length).toBe(real.length);
    tf.dispose([x, dimmer, flatter]);
  });
});

describe('rotations', () => {
  it('rotate90 turns counter-clockwise, and four turns are the identity', async () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    expect(Array.from(await rotate90(x, 1).data())).toEqual([2, 4, 1, 3]);
    expect(Array.from(await rotate90(x, 2).data())).toEqual([4, 3, 2, 1]);
    expect(Array.from(await rotate90(x, 3).data())).toEqual([3, 1, 4, 2]);
    const y = batch();
    let r = y;
    for (let k = 0; k < 4; k++) r = rotate90(r, 1);
    expect(Array.from(await r.data())).toEqual(Array.from(real));
  });

  it('allRotations stacks the four rotations with their labels', async () => {
    const x = batch();
    const { images, labels } = allRotations(x);
    expect(images.shape).toEqual([32, 28, 28, 1]);
    expect(Array.from(labels)).toEqual(Array.from({ length: 32 }, (_, i) => Math.floor(i / 8)));
    const third = tf.slice(images, [16, 0, 0, 0], [8, -1, -1, -1]);
    const expected = rotate90(x, 2);
    expect(Array.from(await third.data())).toEqual(Array.from(await expected.data()));
  });
});
