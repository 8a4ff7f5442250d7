import * as tf from '@tensorflow/tfjs-core';
import { ensure } from '../../errors.js';
import { checkFeatureSet, ensurePositiveInteger, refuseOtherSettings, type ProbeProtocol, type ProbeSettingName, type ProbeSettings } from './types.js';

type KnnSettings = {
  readonly k: number;
  readonly temperature: number;
};

const ACCEPTS: readonly ProbeSettingName[] = ['k', 'temperature'];

/** InstDisc's defaults, also lightly's and VISSL's: 200 neighbours, T = 0.1. */
export const KNN_DEFAULTS: KnnSettings = { k: 200, temperature: 0.1 };

function resolveKnn(settings: ProbeSettings): KnnSettings {
  refuseOtherSettings('knn', ACCEPTS, settings);
  const k = settings.k ?? KNN_DEFAULTS.k;
  const temperature = settings.temperature ?? KNN_DEFAULTS.temperature;
  ensurePositiveInteger('k', k);
  ensure(Number.isFinite(temperature) && temperature > 0, `the temperature must be a number > 0, got ${temperature}`);
  return { k, temperature };
}

/** Rows scaled to unit L2 length; an all-zero row stays zero (similarity 0 to everything). */
export function normaliseRows(features: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(features.length);
  for (let row = 0; row < features.length; row += dim) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += features[row + d]! ** 2;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let d = 0; d < dim; d++) out[row + d] = features[row + d]! * scale;
  }
  return out;
}

/**
 * The weighted vote: each neighbour adds exp(similarity / T) to its label's score; the class
 * with the largest score wins (the lowest index on ties). Weights are taken relative to the
 * nearest neighbour, exp((s − s_max) / T), which leaves the winner unchanged and cannot overflow.
 */
export function weightedVote(similarities: ArrayLike<number>, neighbourLabels: ArrayLike<number>, numClasses: number, temperature: number): number {
  const scores = new Float64Array(numClasses);
  let top = -Infinity;
  for (let j = 0; j < similarities.length; j++) top = Math.max(top, similarities[j]!);
  for (let j = 0; j < similarities.length; j++) scores[neighbourLabels[j]!]! += Math.exp((similarities[j]! - top) / temperature);
  let best = 0;
  for (let c = 1; c < numClasses; c++) if (scores[c]! > scores[best]!) best = c;
  return best;
}

/** Test rows per similarity block: keeps a block's test × train matrix near 16 M values. */
function blockRows(trainCount: number): number {
  return Math.max(1, Math.min(1024, Math.floor(16_777_216 / Math.max(1, trainCount))));
}

/**
 * Weighted k-nearest-neighbour classifier on cosine similarity (InstDisc-style): the k most
 * similar training examples vote with weight exp(similarity / T). Similarities and the top k
 * come from tfjs, a block of test rows at a time, so large sets run on the active backend.
 */
export const knnProbe: ProbeProtocol = {
  id: 'knn',
  description: 'weighted k-nearest neighbours on cosine similarity, votes weighted exp(similarity / T)',
  accepts: ACCEPTS,
  resolve: resolveKnn,
  async run(data, rawSettings) {
    const settings = resolveKnn(rawSettings);
    const { dim, numClasses, train, test } = data;
    const trainCount = checkFeatureSet('train', train, dim, numClasses);
    const testCount = checkFeatureSet('test', test, dim, numClasses);
    ensure(trainCount > 0, 'the kNN probe needs at least one training example');
    const k = Math.min(settings.k, trainCount);
    const testUnit = normaliseRows(test.features, dim);
    const predictions = new Int32Array(testCount);
    const trainMatrix = tf.tensor2d(normaliseRows(train.features, dim), [trainCount, dim]);
    try {
      const block = blockRows(trainCount);
      for (let start = 0; start < testCount; start += block) {
        const size = Math.min(block, testCount - start);
        const { values, indices } = tf.tidy(() => {
          const queries = tf.tensor2d(testUnit.subarray(start * dim, (start + size) * dim), [size, dim]);
          return tf.topk(tf.matMul(queries, trainMatrix, false, true), k, true);
        });
        const [similarities, neighbours] = await Promise.all([values.data(), indices.data()]);
        values.dispose();
        indices.dispose();
        for (let i = 0; i < size; i++) {
          const neighbourLabels = Int32Array.from(neighbours.subarray(i * k, (i + 1) * k), (j) => train.labels[j]!);
          predictions[start + i] = weightedVote(similarities.subarray(i * k, (i + 1) * k), neighbourLabels, numClasses, settings.temperature);
        }
      }
    } finally {
      trainMatrix.dispose();
    }
    return { predictions, labels: test.labels, settings, details: { neighboursUsed: k } };
  },
};
