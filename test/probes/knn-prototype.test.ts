/** Weighted kNN against a brute-force computation, and few-shot prototypes against nearest class means. */
import * as tf from '@tensorflow/tfjs-core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import { knnProbe } from '../../src/models/probes/knn.js';
import { prototypeProbe } from '../../src/models/probes/prototype.js';
import type { ProbeData } from '../../src/models/probes/types.js';
import { RandomStream } from '../../src/random/stream.js';
import { meanConfidenceInterval } from '../../src/runner/metrics.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** Random features where each class has its own mean, so neighbours carry some signal. */
function randomData(seed: number, trainCount: number, testCount: number, dim: number, numClasses: number): ProbeData {
  const random = RandomStream.fromSeed(seed);
  const centres = random.fillNormal(new Float32Array(numClasses * dim));
  const make = (n: number) => {
    const labels = Int32Array.from({ length: n }, () => random.int(0, numClasses - 1));
    const features = random.fillNormal(new Float32Array(n * dim)).map((v, j) => v + centres[labels[Math.floor(j / dim)]! * dim + (j % dim)]!);
    return { features, labels };
  };
  return { dim, numClasses, train: make(trainCount), test: make(testCount) };
}

/** The definition, in float64 with a full sort: cosine similarity, top k, votes exp(s/T). */
function bruteForceKnn(data: ProbeData, k: number, temperature: number): number[] {
  const { dim, numClasses, train, test } = data;
  const unit = (f: Float32Array, i: number) => {
    const row = Array.from(f.subarray(i * dim, (i + 1) * dim));
    const norm = Math.hypot(...row);
    return row.map((v) => (norm > 0 ? v / norm : 0));
  };
  const trainUnit = Array.from(train.labels, (_, i) => unit(train.features, i));
  return Array.from(test.labels, (_, q) => {
    const query = unit(test.features, q);
    const sims = Array.from(trainUnit, (t, i) => ({ sim: t.reduce((s, v, d) => s + v * query[d]!, 0), label: train.labels[i]! }));
    sims.sort((a, b) => b.sim - a.sim);
    const scores = new Array<number>(numClasses).fill(0);
    for (const { sim, label } of sims.slice(0, k)) scores[label]! += Math.exp(sim / temperature);
    return scores.indexOf(Math.max(...scores));
  });
}

describe('weighted kNN', () => {
  test.prop([
    fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    fc.integer({ min: 1, max: 80 }),
    fc.integer({ min: 1, max: 30 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 100 }),
    fc.constantFrom(0.05, 0.1, 0.5, 1),
  ])('predicts what a brute-force weighted vote over all similarities predicts', async (seed, trainCount, testCount, dim, k, temperature) => {
    const data = randomData(seed, trainCount, testCount, dim, 4);
    const run = await knnProbe.run(data, { k, temperature }, RandomStream.fromSeed(0));
    expect(Array.from(run.predictions)).toEqual(bruteForceKnn(data, k, temperature));
    expect(run.details['neighboursUsed']).toBe(Math.min(k, trainCount));
  });

  it('defaults to k = 200 and T = 0.1, keeps the tensor count flat, and scores 100% on well-separated clusters', async () => {
    const data = randomData(3, 300, 100, 16, 5);
    // Spread the class means far apart relative to the unit noise.
    for (const set of [data.train, data.test]) set.labels.forEach((label, i) => { set.features[i * 16 + label]! += 40; });
    const before = tf.memory().numTensors;
    const run = await knnProbe.run(data, {}, RandomStream.fromSeed(0));
    expect(tf.memory().numTensors).toBe(before);
    expect(run.settings).toEqual({ k: 200, temperature: 0.1 });
    expect(Array.from(run.predictions)).toEqual(Array.from(data.test.labels));
  });

  it('refuses bad settings', async () => {
    const data = randomData(1, 10, 5, 3, 2);
    await expect(knnProbe.run(data, { k: 0 }, RandomStream.fromSeed(0))).rejects.toThrow(/k must be a positive integer, got 0/);
    await expect(knnProbe.run(data, { temperature: 0 }, RandomStream.fromSeed(0))).rejects.toThrow(/temperature must be a number > 0/);
    await expect(knnProbe.run(data, { shots: 5 }, RandomStream.fromSeed(0))).rejects.toThrow(/knn protocol does not take the setting 'shots'/);
  });
});

/** Per-episode accuracies from a run's episode-major predictions. */
function episodeAccuracies(predictions: Int32Array, labels: Int32Array, perEpisode: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < predictions.length; start += perEpisode) {
    let correct = 0;
    for (let i = start; i < start + perEpisode; i++) if (predictions[i] === labels[i]) correct++;
    out.push(correct / perEpisode);
  }
  return out;
}

describe('few-shot prototypes', () => {
  it('with every class, every training image as support and every test image as a query, equals the nearest-class-mean classifier', async () => {
    // Exactly 6 training and 4 test images per class, so an episode uses them all.
    const dim = 5;
    const numClasses = 3;
    const random = RandomStream.fromSeed(11);
    const make = (perClass: number) => {
      const labels = Int32Array.from({ length: perClass * numClasses }, (_, i) => i % numClasses);
      return { labels, features: random.fillNormal(new Float32Array(labels.length * dim)).map((v, j) => v + (labels[Math.floor(j / dim)]! === j % dim ? 1 : 0)) };
    };
    const data: ProbeData = { dim, numClasses, train: make(6), test: make(4) };
    const means = Array.from({ length: numClasses }, (_, c) => Array.from({ length: dim }, (_, d) => {
      const rows = Array.from(data.train.labels, (l, i) => (l === c ? data.train.features[i * dim + d]! : NaN)).filter((v) => !Number.isNaN(v));
      return rows.reduce((a, b) => a + b, 0) / rows.length;
    }));
    const nearest = (i: number) => {
      const distances = means.map((m) => m.reduce((s, v, d) => s + (data.test.features[i * dim + d]! - v) ** 2, 0));
      return distances.indexOf(Math.min(...distances));
    };
    const run = await prototypeProbe.run(data, { ways: numClasses, shots: 6, queries: 4, episodes: 3 }, RandomStream.fromSeed(0));
    expect(run.predictions.length).toBe(3 * numClasses * 4);
    // Every episode holds every test image once, so its (true, predicted) pairs are the nearest-mean classifier's.
    const want = Array.from(data.test.labels, (label, i) => `${label}→${nearest(i)}`).sort();
    for (let episode = 0; episode < 3; episode++) {
      const slice = (a: Int32Array) => Array.from(a.subarray(episode * 12, (episode + 1) * 12));
      const labels = slice(run.labels);
      expect(slice(run.predictions).map((p, i) => `${labels[i]}→${p}`).sort()).toEqual(want);
    }
    const nearestAccuracy = data.test.labels.reduce((s, l, i) => s + (nearest(i) === l ? 1 : 0), 0) / data.test.labels.length;
    expect(run.episodes!.mean).toBeCloseTo(nearestAccuracy, 12);
    expect(run.episodes!.halfWidth).toBeCloseTo(0, 12);
  });

  it('reports mean ± 1.96·sd/√episodes over the episodes it ran, reproducibly from the seed', async () => {
    const data = randomData(4, 400, 200, 8, 6);
    const settings = { ways: 4, shots: 2, queries: 5, episodes: 50 };
    const run = await prototypeProbe.run(data, settings, RandomStream.fromSeed(9));
    const accuracies = episodeAccuracies(run.predictions, run.labels, 4 * 5);
    expect(accuracies).toHaveLength(50);
    expect(run.episodes).toEqual(meanConfidenceInterval(accuracies));
    expect(run.episodes!.halfWidth).toBeGreaterThan(0);
    const again = await prototypeProbe.run(data, settings, RandomStream.fromSeed(9));
    expect(again.episodes).toEqual(run.episodes);
    const other = await prototypeProbe.run(data, settings, RandomStream.fromSeed(10));
    expect(Array.from(other.predictions)).not.toEqual(Array.from(run.predictions));
  });

  it('learns from the training labels it is given: shuffled support labels score near chance', async () => {
    const data = randomData(5, 600, 300, 8, 5);
    for (const set of [data.train, data.test]) set.labels.forEach((label, i) => { set.features[i * 8 + label]! += 6; });
    const clean = await prototypeProbe.run(data, { episodes: 100 }, RandomStream.fromSeed(0));
    const shuffledLabels = Int32Array.from(RandomStream.fromSeed(1).shuffled(Array.from(data.train.labels)));
    const noisy = await prototypeProbe.run({ ...data, train: { ...data.train, labels: shuffledLabels } }, { episodes: 100 }, RandomStream.fromSeed(0));
    expect(clean.episodes!.mean).toBeGreaterThan(0.95);
    expect(noisy.episodes!.high).toBeLessThan(clean.episodes!.low);
    expect(clean.settings).toEqual({ ways: 5, shots: 5, queries: 15, episodes: 100 });
  });

  it('refuses episodes that the data cannot fill', async () => {
    const data = randomData(6, 20, 20, 3, 3);
    await expect(prototypeProbe.run(data, { ways: 5 }, RandomStream.fromSeed(0))).rejects.toThrow(/fewer than the 5 ways an episode needs/);
    await expect(prototypeProbe.run(data, { ways: 1 }, RandomStream.fromSeed(0))).rejects.toThrow(/at least 2 ways/);
  });
});
