/** Label-noise models: rates, allowed transitions, exact sampling, reproducibility, no mutation, bad input. */
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/open.js';
import type { Dataset } from '../../src/data/dataset.js';
import { UserInputError } from '../../src/errors.js';
import { labelNoise } from '../../src/labels/catalogue.js';
import { BUILT_IN_CLASS_MAPS, parseClassMapJson, resolveBuiltInMap } from '../../src/labels/noise/class-maps.js';
import { RandomStream } from '../../src/random/stream.js';
import type { NoiseParams, NoisyLabels } from '../../src/labels/types.js';
import { labelSet, rateArb, sameLabels, seedArb } from './arbitraries.js';

/** |flips − E[flips]| within 4.5 standard deviations of the Poisson-binomial count, plus one for rounding. */
function expectWithinBinomial(result: NoisyLabels, clean: Int32Array, matrix: readonly (readonly number[])[]) {
  const n = clean.length;
  let variance = 0;
  for (const y of clean) {
    const p = 1 - matrix[y]![y]!;
    variance += p * (1 - p);
  }
  const flips = result.noiseRate * n;
  expect(Math.abs(flips - result.expectedNoiseRate * n)).toBeLessThanOrEqual(4.5 * Math.sqrt(variance) + 1);
}

/** A random class map over K classes: some classes flip to another class. */
const flipsArb = (k: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: k - 1 }), { minLength: 1, maxLength: k })
    .chain((sources) => fc.tuple(fc.constant(sources), fc.array(fc.integer({ min: 1, max: k - 1 }), { minLength: sources.length, maxLength: sources.length })))
    .map(([sources, shifts]) => sources.map((s, i) => [s, (s + shifts[i]!) % k] as const));

const matrixModels = ['symmetric', 'uniform-mix', 'pair-flip', 'asym'] as const;

/** A matrix model with parameters for K classes. */
const modelCase = (k: number) =>
  fc.record({
    id: fc.constantFrom(...matrixModels),
    rate: rateArb,
    flips: flipsArb(k),
    sampling: fc.constantFrom('per-example' as const, 'exact' as const),
  }).map(({ id, rate, flips, sampling }) => ({
    id,
    params: (id === 'asym' ? { rate, sampling, map: { name: 'test', flips } } : { rate, sampling }) as NoiseParams,
  }));

const casesArb = labelSet(12, 600).chain((set) => fc.record({ set: fc.constant(set), model: modelCase(set.numClasses), seed: seedArb }));

describe('matrix noise models', () => {
  test.prop([casesArb], { numRuns: 150 })('only transitions the model allows happen, and the input is left as it was', ({ set, model, seed }) => {
    const before = set.labels.slice();
    const result = labelNoise.get(model.id).apply(set, model.params, RandomStream.fromSeed(seed));
    expect(sameLabels(set.labels, before)).toBe(true);
    expect(sameLabels(result.clean, before)).toBe(true);
    expect(result.noisy.length).toBe(before.length);
    for (let i = 0; i < before.length; i++) expect(result.expectedTransition[before[i]!]![result.noisy[i]!]).toBeGreaterThan(0);
    for (const row of result.expectedTransition) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // The realised matrix is the pair counts, row-normalised.
    result.transitionCounts.forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      row.forEach((count, j) => expect(result.realisedTransition[i]![j]).toBeCloseTo(total ? count / total : 0, 12));
    });
  });

  test.prop([casesArb], { numRuns: 150 })('the realised noise rate is within the binomial tolerance of the expected one', ({ set, model, seed }) => {
    const params = { ...model.params, sampling: 'per-example' as const };
    const result = labelNoise.get(model.id).apply(set, params, RandomStream.fromSeed(seed));
    expectWithinBinomial(result, set.labels, result.expectedTransition);
  });

  test.prop([casesArb], { numRuns: 100 })('the expected rate is the requested one, as each model defines it', ({ set, model }) => {
    const { rate } = model.params;
    const k = set.numClasses;
    const n = set.labels.length;
    const result = labelNoise.get(model.id).apply(set, model.params, RandomStream.fromSeed(1));
    if (n === 0) return;
    const mapped = (flips: readonly (readonly [number, number])[]) => Array.from(set.labels).filter((y) => flips.some(([from]) => from === y)).length;
    const expected =
      model.id === 'uniform-mix' ? (rate * (k - 1)) / k
      : model.id === 'asym' ? (rate * mapped((model.params as unknown as { map: { flips: [number, number][] } }).map.flips)) / n
      : rate;
    expect(result.expectedNoiseRate).toBeCloseTo(expected, 10);
  });

  test.prop([casesArb], { numRuns: 100 })('exact sampling realises each row within one example per class', ({ set, model, seed }) => {
    const result = labelNoise.get(model.id).apply(set, { ...model.params, sampling: 'exact' }, RandomStream.fromSeed(seed));
    result.transitionCounts.forEach((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      row.forEach((count, j) => expect(Math.abs(count - total * result.expectedTransition[i]![j]!)).toBeLessThan(1 + 1e-9));
    });
  });

  test.prop([casesArb], { numRuns: 60 })('the same seed gives the same labels', ({ set, model, seed }) => {
    const a = labelNoise.get(model.id).apply(set, model.params, RandomStream.fromSeed(seed));
    const b = labelNoise.get(model.id).apply(set, model.params, RandomStream.fromSeed(seed));
    expect(sameLabels(a.noisy, b.noisy)).toBe(true);
  });

  it('gives different labels for different seeds', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 10);
    const draw = (seed: number) => labelNoise.get('symmetric').apply({ labels, numClasses: 10 }, { rate: 0.4 }, RandomStream.fromSeed(seed)).noisy;
    expect(sameLabels(draw(1), draw(2))).toBe(false);
  });

  it('has the textbook matrices (K = 4, ε = 0.4)', () => {
    const labels = Int32Array.from([0, 1, 2, 3]);
    const matrix = (id: string) => labelNoise.get(id).apply({ labels, numClasses: 4 }, { rate: 0.4 }, RandomStream.fromSeed(0)).expectedTransition;
    const sym = matrix('symmetric');
    expect(sym[0]).toEqual([0.6, 0.4 / 3, 0.4 / 3, 0.4 / 3].map((x) => expect.closeTo(x, 12)));
    expect(matrix('pair-flip')[3]).toEqual([0.4, 0, 0, 0.6].map((x) => expect.closeTo(x, 12)));
    expect(matrix('uniform-mix')[1]).toEqual([0.1, 0.7, 0.1, 0.1].map((x) => expect.closeTo(x, 12)));
  });

  it('warns that pair-flip at ε ≥ 0.5 loses the clean class', () => {
    const labels = Int32Array.from([0, 1, 2]);
    expect(labelNoise.get('pair-flip').apply({ labels, numClasses: 3 }, { rate: 0.5 }, RandomStream.fromSeed(0)).warnings[0]).toMatch(/no longer identifiable/);
    expect(labelNoise.get('pair-flip').apply({ labels, numClasses: 3 }, { rate: 0.45 }, RandomStream.fromSeed(0)).warnings).toEqual([]);
  });

  it.each([1, 1.5, -0.1, Number.NaN])('refuses the noise rate %s', (rate) => {
    const labels = Int32Array.from([0, 1]);
    for (const id of labelNoise.ids()) {
      expect(() => labelNoise.get(id).apply({ labels, numClasses: 2, features: { data: new Float32Array(2), dim: 1 } }, { rate, map: { name: 'm', flips: [[0, 1]] } }, RandomStream.fromSeed(0)))
        .toThrow(/noise rate must be in \[0, 1\)/);
    }
  });

  it('refuses labels outside the classes and a single class', () => {
    expect(() => labelNoise.get('symmetric').apply({ labels: Int32Array.from([0, 3]), numClasses: 3 }, { rate: 0.1 }, RandomStream.fromSeed(0))).toThrow(UserInputError);
    expect(() => labelNoise.get('symmetric').apply({ labels: Int32Array.from([0]), numClasses: 1 }, { rate: 0.1 }, RandomStream.fromSeed(0))).toThrow(/at least 2 classes/);
  });
});

describe('class maps', () => {
  const fashion = BUILT_IN_CLASS_MAPS.find((m) => m.id === 'fashion-mnist')!;

  it('resolve the built-in maps to the papers\' class indices', () => {
    const digits = Array.from({ length: 10 }, (_, i) => String(i));
    expect(resolveBuiltInMap(fashion, fashion.classNames).flips).toEqual([[9, 7], [7, 5], [2, 6], [4, 3], [3, 4]]);
    expect(resolveBuiltInMap(BUILT_IN_CLASS_MAPS.find((m) => m.id === 'mnist')!, digits).flips).toEqual([[2, 7], [3, 8], [5, 6], [6, 5], [7, 1]]);
    const cifar = BUILT_IN_CLASS_MAPS.find((m) => m.id === 'cifar10')!;
    expect(resolveBuiltInMap(cifar, cifar.classNames).flips).toEqual([[9, 1], [2, 0], [4, 7], [3, 5], [5, 3]]);
    // An IDX folder without class names gets the map by position.
    expect(resolveBuiltInMap(fashion, digits).flips).toEqual([[9, 7], [7, 5], [2, 6], [4, 3], [3, 4]]);
  });

  it('follow class names when a dataset lists its classes in another order', () => {
    const sorted = [...fashion.classNames].sort();
    const flips = resolveBuiltInMap(fashion, sorted).flips.map(([a, b]) => [sorted[a], sorted[b]]);
    expect(flips).toEqual([['Ankle boot', 'Sneaker'], ['Sneaker', 'Sandal'], ['Pullover', 'Shirt'], ['Coat', 'Dress'], ['Dress', 'Coat']]);
  });

  it('read a user map of names and indices, and refuse unknown classes and loops', () => {
    const names = fashion.classNames;
    expect(parseClassMapJson('{"Ankle boot": "Sneaker", "T-shirt/top": 6}', names, 'm.json').flips).toEqual([[9, 7], [0, 6]]);
    expect(parseClassMapJson('{"3": "Coat"}', names, 'm.json').flips).toEqual([[3, 4]]);
    expect(() => parseClassMapJson('{"Boots": "Sneaker"}', names, 'm.json')).toThrow(/m\.json: unknown class 'Boots' \(known: T-shirt\/top/);
    expect(() => parseClassMapJson('{"Coat": 12}', names, 'm.json')).toThrow(/unknown class '12'/);
    expect(() => parseClassMapJson('{"Coat": "Coat"}', names, 'm.json')).toThrow(/maps to itself/);
    expect(() => parseClassMapJson('{"Coat": "Dress", "4": "Shirt"}', names, 'm.json')).toThrow(/more than one class/);
    expect(() => parseClassMapJson('[1, 2]', names, 'm.json')).toThrow(/JSON object of source class/);
    expect(() => parseClassMapJson('{', names, 'm.json')).toThrow(/not valid JSON/);
    expect(() => resolveBuiltInMap(fashion, ['cat', 'dog'])).toThrow(/has no class 'Ankle boot'/);
  });

  test.prop([labelSet(10, 400).chain((set) => fc.record({ set: fc.constant(set), flips: flipsArb(set.numClasses), rate: rateArb, seed: seedArb }))], { numRuns: 100 })(
    'asymmetric noise never touches classes outside the map',
    ({ set, flips, rate, seed }) => {
      const result = labelNoise.get('asym').apply(set, { rate, map: { name: 'm', flips } }, RandomStream.fromSeed(seed));
      const target = new Map(flips.map(([a, b]) => [a, b]));
      set.labels.forEach((y, i) => {
        const noisy = result.noisy[i]!;
        expect(noisy === y || noisy === target.get(y)).toBe(true);
      });
    },
  );
});

describe('instance-dependent noise (Xia et al. 2020) on real images', () => {
  let dataset: Dataset;
  let pixels: Float32Array;

  beforeAll(async () => {
    ({ dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' }));
    pixels = await dataset.read(Array.from({ length: dataset.size }, (_, i) => i));
  });

  it.each([0.2, 0.4])('realises ε = %s within the binomial tolerance, around the truncated-normal mean', (rate) => {
    const features = { data: pixels.slice(), dim: 784 };
    const labels = dataset.labels.slice();
    const result = labelNoise.get('idn').apply({ labels, numClasses: 10, features }, { rate }, RandomStream.fromSeed(5));
    expect(sameLabels(labels, dataset.labels)).toBe(true);
    expect(Buffer.from(features.data.buffer).equals(Buffer.from(pixels.buffer))).toBe(true);
    // Each example flips with its own probability q_i, so the count is Poisson-binomial with mean Σq_i ≤ n/4 variance.
    const n = labels.length;
    expect(Math.abs(result.noiseRate - result.expectedNoiseRate)).toBeLessThanOrEqual((4.5 * Math.sqrt(n / 4) + 1) / n);
    // Truncating N(ε, 0.1²) to [0, 1] moves its mean by at most 0.1·φ(2)/Φ(2) ≈ 0.0055; the sample mean of 2,000 scatters by 0.1/√2000.
    expect(Math.abs(result.expectedNoiseRate - rate)).toBeLessThan(0.0055 + 4.5 * 0.1 / Math.sqrt(n));
    for (const row of result.expectedTransition) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('depends on the features: flips from one class concentrate where the projection points', () => {
    const labels = dataset.labels.slice();
    const result = labelNoise.get('idn').apply({ labels, numClasses: 10, features: { data: pixels, dim: 784 } }, { rate: 0.4 }, RandomStream.fromSeed(5));
    // Uniform flips would put about 1/9 of each class's errors on each other class; raw pixels make the softmax peaked.
    const row = result.transitionCounts[0]!.filter((_, j) => j !== 0);
    const errors = row.reduce((a, b) => a + b, 0);
    expect(Math.max(...row)).toBeGreaterThan(errors / 4);
  });

  it('refuses missing or misshapen features and exact sampling', () => {
    const labels = Int32Array.from([0, 1]);
    expect(() => labelNoise.get('idn').apply({ labels, numClasses: 2 }, { rate: 0.2 }, RandomStream.fromSeed(0))).toThrow(/needs a features matrix/);
    expect(() => labelNoise.get('idn').apply({ labels, numClasses: 2, features: { data: new Float32Array(3), dim: 2 } }, { rate: 0.2 }, RandomStream.fromSeed(0))).toThrow(/expected 2 rows of 2 values/);
    expect(() => labelNoise.get('idn').apply({ labels, numClasses: 2, features: { data: new Float32Array(2), dim: 1 } }, { rate: 0.2, sampling: 'exact' }, RandomStream.fromSeed(0))).toThrow(/per-example sampling/);
  });
});
