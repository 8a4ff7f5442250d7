/**
 * The linear probe against an independent reference (PyTorch L-BFGS polished by Newton steps,
 * scripts/make_probe_fixture.py), plus the properties its pieces must have.
 */
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  featureStatistics,
  fitLinearProbe,
  fitLogisticRegression,
  foldedProbeWeights,
  linearProbe,
  logisticObjective,
  predictLinearProbe,
  predictLogistic,
  standardise,
  SWEEP_SAMPLE_LIMIT,
} from '../../src/models/probes/linear.js';
import { minimiseLbfgs } from '../../src/models/probes/lbfgs.js';
import { RandomStream } from '../../src/random/stream.js';

interface Fixture {
  dim: number;
  numClasses: number;
  features: number[];
  labels: number[];
  mean: number[];
  scale: number[];
  testFeatures: number[];
  fits: { weightDecay: number; weights: number[]; bias: number[]; loss: number; testLogits: number[]; testPredictions: number[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/probes/logistic-reference.json', import.meta.url), 'utf8')) as Fixture;
const { dim, numClasses } = fixture;
const features = Float32Array.from(fixture.features);
const labels = Int32Array.from(fixture.labels);
const count = labels.length;

/** The fixture stores W as dim × classes (PyTorch's x @ W); ours is classes × dim. */
function referenceWeights(flat: readonly number[]): Float64Array {
  const out = new Float64Array(dim * numClasses);
  for (let d = 0; d < dim; d++) for (let k = 0; k < numClasses; k++) out[k * dim + d] = flat[d * numClasses + k]!;
  return out;
}

const centred = (values: ArrayLike<number>) => {
  const mean = Array.from(values).reduce((a, b) => a + b, 0) / values.length;
  return Array.from(values, (v) => v - mean);
};

describe('multinomial logistic regression vs the PyTorch reference', () => {
  it('standardises with the same population mean and standard deviation', () => {
    const stats = featureStatistics(features, count, dim);
    fixture.mean.forEach((m, d) => expect(stats.mean[d]).toBeCloseTo(m, 10));
    fixture.scale.forEach((s, d) => expect(stats.scale[d]).toBeCloseTo(s, 10));
  });

  it.each(fixture.fits.map((fit) => [fit.weightDecay, fit] as const))('finds the same minimiser at weight decay %s', (weightDecay, fit) => {
    const x = standardise(features, count, dim, featureStatistics(features, count, dim));
    const model = fitLogisticRegression(x, labels, dim, numClasses, weightDecay, { gradientTolerance: 1e-10, maxIterations: 5000 });
    expect(model.converged).toBe(true);
    expect(model.loss).toBeCloseTo(fit.loss, 10);
    const want = referenceWeights(fit.weights);
    model.weights.forEach((w, j) => expect(w).toBeCloseTo(want[j]!, 6));
    // Softmax ignores a common shift of the biases; compare them centred.
    centred(model.bias).forEach((b, k) => expect(b).toBeCloseTo(centred(fit.bias)[k]!, 6));
    // Separable data: every training example is classified correctly.
    expect(Array.from(predictLogistic(model, x))).toEqual(Array.from(labels));
    const test = standardise(Float32Array.from(fixture.testFeatures), fixture.testFeatures.length / dim, dim, featureStatistics(features, count, dim));
    expect(Array.from(predictLogistic(model, test))).toEqual(fit.testPredictions);
  });

  it('the probe protocol with one weight decay gives the reference predictions on the reference test points', async () => {
    const fit = fixture.fits[0]!;
    const testLabels = Int32Array.from(fit.testPredictions);
    const run = await linearProbe.run(
      { dim, numClasses, train: { features, labels }, test: { features: Float32Array.from(fixture.testFeatures), labels: testLabels } },
      { weightDecays: [fit.weightDecay] },
      RandomStream.fromSeed(0),
    );
    expect(Array.from(run.predictions)).toEqual(fit.testPredictions);
    expect(run.details['weightDecay']).toBe(fit.weightDecay);
    expect(run.details['sweep']).toBeNull();
  });
});

/** A random problem: n examples, dim features, classes, labels and a weight decay. */
const problems = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  n: fc.integer({ min: 1, max: 30 }),
  dim: fc.integer({ min: 1, max: 5 }),
  classes: fc.integer({ min: 2, max: 4 }),
  weightDecay: fc.double({ min: 1e-3, max: 1, noNaN: true }),
});

function randomProblem({ seed, n, dim, classes }: { seed: number; n: number; dim: number; classes: number }) {
  const random = RandomStream.fromSeed(seed);
  const x = random.fillNormal(new Float64Array(n * dim));
  const y = Int32Array.from({ length: n }, () => random.int(0, classes - 1));
  const params = random.fillNormal(new Float64Array(dim * classes + classes));
  return { x, y, params };
}

describe('properties', () => {
  test.prop([problems])('the gradient matches central finite differences', (problem) => {
    const { x, y, params } = randomProblem(problem);
    const f = logisticObjective(x, y, problem.dim, problem.classes, problem.weightDecay);
    const gradient = new Float64Array(params.length);
    f(params, gradient);
    const scratch = new Float64Array(params.length);
    const h = 1e-6;
    for (let j = 0; j < params.length; j++) {
      const plus = Float64Array.from(params);
      const minus = Float64Array.from(params);
      plus[j]! += h;
      minus[j]! -= h;
      const numeric = (f(plus, scratch) - f(minus, scratch)) / (2 * h);
      expect(gradient[j]).toBeCloseTo(numeric, 5);
    }
  });

  test.prop([problems])('a fit is a stationary point: the gradient vanishes at the solution', (problem) => {
    const { x, y } = randomProblem(problem);
    const model = fitLogisticRegression(x, y, problem.dim, problem.classes, problem.weightDecay, { gradientTolerance: 1e-8, maxIterations: 3000 });
    const params = new Float64Array(model.weights.length + model.bias.length);
    params.set(model.weights);
    params.set(model.bias, model.weights.length);
    const gradient = new Float64Array(params.length);
    logisticObjective(x, y, problem.dim, problem.classes, problem.weightDecay)(params, gradient);
    expect(Math.max(...Array.from(gradient, Math.abs))).toBeLessThan(1e-6);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.01, max: 100, noNaN: true }), fc.double({ min: -50, max: 50, noNaN: true })])(
    'standardisation makes the probe blind to a per-feature affine change of the features',
    async (seed, scale, shift) => {
      const random = RandomStream.fromSeed(seed);
      const train = random.fillNormal(new Float32Array(40 * 3));
      const test = random.fillNormal(new Float32Array(20 * 3));
      const trainLabels = Int32Array.from({ length: 40 }, (_, i) => (train[i * 3]! > 0 ? 1 : 0) + (train[i * 3 + 1]! > 0.5 ? 1 : 0));
      const testLabels = Int32Array.from({ length: 20 }, () => 0);
      const affine = (a: Float32Array) => a.map((v, i) => (i % 3 === 1 ? v * scale + shift : v));
      const run = (tr: Float32Array, te: Float32Array) =>
        linearProbe.run({ dim: 3, numClasses: 3, train: { features: tr, labels: trainLabels }, test: { features: te, labels: testLabels } }, { weightDecays: [0.1] }, RandomStream.fromSeed(1));
      const [plain, moved] = await Promise.all([run(train, test), run(affine(train), affine(test))]);
      expect(Array.from(moved.predictions)).toEqual(Array.from(plain.predictions));
    },
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 20, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true })])(
    'the folded head gives on raw features the logits the probe gives on standardised ones',
    (seed, scale, shift) => {
      const random = RandomStream.fromSeed(seed);
      const [n, d, k] = [30, 4, 3];
      const raw = random.fillNormal(new Float32Array(n * d)).map((v, i) => (i % d === 2 ? v * scale + shift : v));
      const trainLabels = Int32Array.from({ length: n }, (_, i) => i % k);
      const probe = fitLinearProbe({ dim: d, numClasses: k, train: { features: raw, labels: trainLabels } }, { weightDecays: [0.05] }, random.derive('fit'));
      const { kernel, bias } = foldedProbeWeights(probe);
      const x = standardise(raw, n, d, probe.statistics);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < k; c++) {
          let folded = bias[c]!;
          let reference = probe.model.bias[c]!;
          for (let j = 0; j < d; j++) {
            folded += raw[i * d + j]! * kernel[j * k + c]!;
            reference += x[i * d + j]! * probe.model.weights[c * d + j]!;
          }
          expect(folded).toBeCloseTo(reference, 3);
        }
      }
      expect(Array.from(predictLinearProbe(probe, raw))).toEqual(Array.from(predictLogistic(probe.model, x)));
    },
  );

  it('L-BFGS minimises a badly scaled quadratic to its known minimiser', () => {
    const scales = [1, 10, 100, 1000];
    const target = [3, -2, 0.5, 7];
    const result = minimiseLbfgs((p, g) => {
      let value = 0;
      p.forEach((v, i) => {
        value += 0.5 * scales[i]! * (v - target[i]!) ** 2;
        g[i] = scales[i]! * (v - target[i]!);
      });
      return value;
    }, new Float64Array(4), { gradientTolerance: 1e-10 });
    expect(result.converged).toBe(true);
    Array.from(result.x).forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 8));
  });
});

describe('weight-decay sweep', () => {
  it('picks the decay with the best held-out accuracy, reports every one, and refits on all training data', async () => {
    const random = RandomStream.fromSeed(5);
    // Two noisy classes in 20 dimensions where only the first feature carries signal: strong decay helps little, none hurts.
    const n = 120;
    const x = random.fillNormal(new Float32Array(n * 20));
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (let i = 0; i < n; i++) x[i * 20]! += y[i] ? 1.5 : -1.5;
    const run = await linearProbe.run(
      { dim: 20, numClasses: 2, train: { features: x, labels: y }, test: { features: x.slice(0, 20 * 20), labels: y.slice(0, 20) } },
      { weightDecays: [1e-3, 1e-2, 1e-1, 1], heldOutFraction: 0.25 },
      RandomStream.fromSeed(0),
    );
    const sweep = run.details['sweep'] as { weightDecay: number; heldOutAccuracy: number }[];
    expect(sweep.map((s) => s.weightDecay)).toEqual([1, 1e-1, 1e-2, 1e-3]);
    const best = Math.max(...sweep.map((s) => s.heldOutAccuracy));
    // Ties go to the strongest decay (the first reaching the best score, in descending order).
    expect(run.details['weightDecay']).toBe(sweep.find((s) => s.heldOutAccuracy === best)!.weightDecay);
    expect(run.details['heldOutCount']).toBe(30);
    expect(run.settings).toEqual({ weightDecays: [1, 1e-1, 1e-2, 1e-3], heldOutFraction: 0.25 });
  });

  it('sweeps on a stratified sample of a large training set, then fits the chosen decay on all of it', async () => {
    const random = RandomStream.fromSeed(8);
    const n = SWEEP_SAMPLE_LIMIT + 1000;
    const x = random.fillNormal(new Float32Array(n * 2));
    // Class 1 is rare (1 in 5), so a plain (unstratified) sample would not keep its share exactly.
    const y = Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    for (let i = 0; i < n; i++) x[i * 2]! += y[i] ? 2 : -2;
    const data = { dim: 2, numClasses: 2, train: { features: x, labels: y }, test: { features: x.slice(0, 200), labels: y.slice(0, 100) } };
    const probe = fitLinearProbe(data, { weightDecays: [1e-2, 1], heldOutFraction: 0.2 }, RandomStream.fromSeed(0));
    expect(probe.sweepExamples).toBe(SWEEP_SAMPLE_LIMIT);
    expect(probe.heldOutCount).toBe(0.2 * SWEEP_SAMPLE_LIMIT);
    // The final statistics come from every training example, not from the sample.
    expect(probe.statistics.mean[0]).toBeCloseTo(featureStatistics(x, n, 2).mean[0]!, 12);
    const small = fitLinearProbe({ ...data, train: { features: x.slice(0, 2000), labels: y.slice(0, 1000) } }, { weightDecays: [1e-2, 1] }, RandomStream.fromSeed(0));
    expect(small.sweepExamples).toBe(1000);
  });

  it('refuses settings it does not take and bad values', async () => {
    const data = { dim: 1, numClasses: 2, train: { features: Float32Array.of(0, 1), labels: Int32Array.of(0, 1) }, test: { features: Float32Array.of(0), labels: Int32Array.of(0) } };
    await expect(linearProbe.run(data, { k: 5 }, RandomStream.fromSeed(0))).rejects.toThrow(/linear protocol does not take the setting 'k'/);
    await expect(linearProbe.run(data, { weightDecays: [-1] }, RandomStream.fromSeed(0))).rejects.toThrow(/weight decay must be a finite number ≥ 0/);
    await expect(linearProbe.run(data, { weightDecays: [0.1, 1] }, RandomStream.fromSeed(0))).rejects.toThrow(/too few training examples/);
  });
});
