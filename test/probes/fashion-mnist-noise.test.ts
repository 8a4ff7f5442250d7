/**
 * The protocols on real data: the bundled CNN's embeddings of the bundled Fashion-MNIST subset,
 * split 50/50 (seeded, stratified), trained on clean labels and on 40% symmetric label noise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import type { LoadedClassifier } from '../../src/models/contract.js';
import { loadClassifier } from '../../src/models/load.js';
import { probeProtocols } from '../../src/models/probes/catalogue.js';
import { extractEmbeddings } from '../../src/models/probes/embeddings.js';
import { evaluateProbe, type ProbeEmbeddings } from '../../src/models/probes/evaluate.js';
import { partitionSplit, type ProbeSplit } from '../../src/models/probes/split.js';
import { RandomStream } from '../../src/random/stream.js';

/**
 * Symmetric noise excluding the true class: each label is replaced, with probability `rate`, by
 * one of the other classes chosen uniformly. Local to this test on purpose (src/labels/ owns
 * the real noise models).
 */
function symmetricNoise(labels: Int32Array, numClasses: number, rate: number, random: RandomStream): Int32Array {
  return labels.map((label) => {
    if (random.float() >= rate) return label;
    const other = random.int(0, numClasses - 2);
    return other >= label ? other + 1 : other;
  });
}

let model: LoadedClassifier;
let data: Dataset;
let embeddings: ProbeEmbeddings;
let cleanSplit: ProbeSplit;
let noisySplit: ProbeSplit;

beforeAll(async () => {
  await useBackend('wasm');
  model = await loadClassifier('fmnist-cnn');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset;
  const features = await extractEmbeddings(model.backbone!, data);
  embeddings = { dim: 64, classNames: data.classNames, train: { features, labels: data.labels }, test: { features, labels: data.labels } };
  cleanSplit = partitionSplit(data.labels, 10, 0.5, RandomStream.fromSeed(0));
  noisySplit = { ...cleanSplit, trainLabels: symmetricNoise(cleanSplit.trainLabels, 10, 0.4, RandomStream.fromSeed(1)), description: '40% symmetric noise' };
});
afterAll(() => model.dispose());

describe('probes on the bundled CNN and Fashion-MNIST subset', () => {
  it('partitions the subset 1000/1000, stratified, with no image on both sides', () => {
    expect(cleanSplit.trainIndices).toHaveLength(1000);
    expect(cleanSplit.testIndices).toHaveLength(1000);
    expect(new Set([...cleanSplit.trainIndices, ...cleanSplit.testIndices]).size).toBe(2000);
    const perClass = new Array<number>(10).fill(0);
    cleanSplit.trainLabels.forEach((l) => perClass[l]!++);
    expect(perClass).toEqual(new Array(10).fill(100));
  });

  it.each([
    ['linear', {}, 0.85],
    ['knn', {}, 0.8],
    ['prototype', { episodes: 300 }, 0.8],
  ] as const)('%s: scores lower after 40-percent symmetric label noise than on clean labels', async (id, settings, cleanFloor) => {
    const protocol = probeProtocols.get(id);
    const clean = await evaluateProbe(protocol, embeddings, cleanSplit, settings, RandomStream.fromSeed(2));
    const noisy = await evaluateProbe(protocol, embeddings, noisySplit, settings, RandomStream.fromSeed(2));
    expect(clean.noiseRate).toBe(0);
    expect(clean.reference).toBeNull();
    expect(noisy.noiseRate).toBeGreaterThan(0.35);
    expect(noisy.noiseRate).toBeLessThan(0.45);
    expect(clean.headline).toBeGreaterThan(cleanFloor);
    // The noisy run's own clean reference is the clean run (same examples, same stream).
    expect(noisy.reference!.headline).toBeCloseTo(clean.headline, 12);
    expect(noisy.headline).toBeLessThan(clean.headline);
    expect(noisy.degradation!.headline.absolute).toBeCloseTo(clean.headline - noisy.headline, 12);
    expect(noisy.degradation!.headline.relative).toBeGreaterThan(0);
    if (clean.episodes) expect(noisy.episodes!.high).toBeLessThan(clean.episodes.low);
    console.log(
      `${id}: clean ${(100 * clean.headline).toFixed(2)}%, 40% symmetric noise (actual ${(100 * noisy.noiseRate).toFixed(1)}%) ` +
      `${(100 * noisy.headline).toFixed(2)}%: −${(100 * noisy.degradation!.headline.absolute).toFixed(2)} points ` +
      `(${(100 * noisy.degradation!.headline.relative!).toFixed(1)}% relative)`,
    );
  });
});
