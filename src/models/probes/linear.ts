import { ensure, UserInputError } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import { accuracy } from '../../runner/metrics.js';
import { minimiseLbfgs } from './lbfgs.js';
import { stratifiedPartition } from './split.js';
import {
  checkFeatureSet,
  refuseOtherSettings,
  type ProbeData,
  type ProbeProtocol,
  type ProbeSettingName,
  type ProbeSettings,
} from './types.js';

/** Per-feature mean and scale of a training set: what standardisation subtracts and divides by. */
export interface FeatureStatistics {
  readonly mean: Float64Array;
  /** Population standard deviation; 1 where a feature is constant, so it maps to 0 rather than NaN. */
  readonly scale: Float64Array;
}

export function featureStatistics(features: ArrayLike<number>, count: number, dim: number): FeatureStatistics {
  ensure(count > 0, 'standardisation needs at least one example');
  const mean = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) mean[d]! += features[i * dim + d]!;
  for (let d = 0; d < dim; d++) mean[d]! /= count;
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) squares[d]! += (features[i * dim + d]! - mean[d]!) ** 2;
  const scale = squares.map((sum, d) => {
    const sd = Math.sqrt(sum / count);
    return sd > 1e-12 * Math.max(1, Math.abs(mean[d]!)) ? sd : 1;
  });
  return { mean, scale };
}

/** (x − mean) / scale, in float64. */
export function standardise(features: ArrayLike<number>, count: number, dim: number, stats: FeatureStatistics): Float64Array {
  const out = new Float64Array(count * dim);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) out[i * dim + d] = (features[i * dim + d]! - stats.mean[d]!) / stats.scale[d]!;
  }
  return out;
}

/** A multinomial logistic regression: logit_k = w_k·x + b_k, W row-major classes × dim (row k is w_k). */
export interface LogisticModel {
  readonly dim: number;
  readonly numClasses: number;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  /** Objective at the solution: mean cross-entropy + weightDecay/2·‖W‖². */
  readonly loss: number;
  readonly iterations: number;
  readonly converged: boolean;
}

export interface LogisticFitOptions {
  /** Starting parameters (warm start): weights then biases, classes·dim + classes values. */
  readonly init?: Float64Array;
  readonly maxIterations?: number;
  readonly gradientTolerance?: number;
}

/** logits[k] = b_k + w_k·x_row for one example; W is classes × dim, the biases follow it in `params`. */
function exampleLogits(x: Float64Array, row: number, params: Float64Array, dim: number, numClasses: number, logits: Float64Array): void {
  const biasOffset = dim * numClasses;
  for (let k = 0; k < numClasses; k++) {
    let sum = params[biasOffset + k]!;
    const w = k * dim;
    for (let d = 0; d < dim; d++) sum += x[row + d]! * params[w + d]!;
    logits[k] = sum;
  }
}

/**
 * Mean cross-entropy of softmax(W·x + b) plus weightDecay/2·‖W‖² (the bias is not decayed), and
 * its gradient, over parameters laid out as W (classes × dim, row-major) then b.
 */
export function logisticObjective(x: Float64Array, labels: Int32Array, dim: number, numClasses: number, weightDecay: number) {
  const count = labels.length;
  const logits = new Float64Array(numClasses);
  const biasOffset = dim * numClasses;
  return (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    for (let i = 0; i < count; i++) {
      const row = i * dim;
      exampleLogits(x, row, params, dim, numClasses, logits);
      let max = -Infinity;
      for (let k = 0; k < numClasses; k++) max = Math.max(max, logits[k]!);
      let sum = 0;
      for (let k = 0; k < numClasses; k++) sum += Math.exp(logits[k]! - max);
      const logSumExp = max + Math.log(sum);
      const label = labels[i]!;
      loss += logSumExp - logits[label]!;
      // (softmax − one-hot) / count is this example's gradient w.r.t. its logits.
      for (let k = 0; k < numClasses; k++) {
        const delta = (Math.exp(logits[k]! - logSumExp) - (k === label ? 1 : 0)) / count;
        gradient[biasOffset + k]! += delta;
        const w = k * dim;
        for (let d = 0; d < dim; d++) gradient[w + d]! += delta * x[row + d]!;
      }
    }
    let squaredNorm = 0;
    for (let j = 0; j < biasOffset; j++) {
      squaredNorm += params[j]! ** 2;
      gradient[j]! += weightDecay * params[j]!;
    }
    return (count ? loss / count : 0) + (weightDecay / 2) * squaredNorm;
  };
}

/** Fits a multinomial logistic regression by L-BFGS (the objective is strictly convex in W when weightDecay > 0). */
export function fitLogisticRegression(
  x: Float64Array,
  labels: Int32Array,
  dim: number,
  numClasses: number,
  weightDecay: number,
  options: LogisticFitOptions = {},
): LogisticModel {
  ensure(Number.isFinite(weightDecay) && weightDecay >= 0, `weight decay must be a finite number ≥ 0, got ${weightDecay}`);
  ensure(x.length === labels.length * dim, `${x.length} feature values for ${labels.length} examples of size ${dim}`);
  const size = dim * numClasses + numClasses;
  ensure(!options.init || options.init.length === size, `a warm start needs ${size} parameters, got ${options.init?.length}`);
  const result = minimiseLbfgs(logisticObjective(x, labels, dim, numClasses, weightDecay), options.init ?? new Float64Array(size), {
    maxIterations: options.maxIterations ?? 1000,
    gradientTolerance: options.gradientTolerance ?? 1e-5,
  });
  return {
    dim,
    numClasses,
    weights: result.x.slice(0, dim * numClasses),
    bias: result.x.slice(dim * numClasses),
    loss: result.value,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Class with the largest logit per example (the lowest index on ties). */
export function predictLogistic(model: LogisticModel, x: Float64Array): Int32Array {
  const { dim, numClasses } = model;
  const params = packParameters(model);
  const count = x.length / dim;
  const predictions = new Int32Array(count);
  const logits = new Float64Array(numClasses);
  for (let i = 0; i < count; i++) {
    exampleLogits(x, i * dim, params, dim, numClasses, logits);
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (logits[k]! > logits[best]!) best = k;
    predictions[i] = best;
  }
  return predictions;
}

function packParameters(model: LogisticModel): Float64Array {
  const out = new Float64Array(model.weights.length + model.bias.length);
  out.set(model.weights);
  out.set(model.bias, model.weights.length);
  return out;
}

/** Rows of a row-major matrix at these positions. */
function rows(features: Float32Array, dim: number, positions: readonly number[]): Float32Array {
  const out = new Float32Array(positions.length * dim);
  positions.forEach((p, i) => out.set(features.subarray(p * dim, (p + 1) * dim), i * dim));
  return out;
}

/** Weight decays swept by default: a small log grid, as the Kornblith/Ericsson protocol does over a wider one. */
export const DEFAULT_WEIGHT_DECAYS: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1];

type LinearSettings = {
  readonly weightDecays: readonly number[];
  readonly heldOutFraction: number;
};

const ACCEPTS: readonly ProbeSettingName[] = ['weightDecays', 'heldOutFraction'];

function resolveLinear(settings: ProbeSettings): LinearSettings {
  refuseOtherSettings('linear', ACCEPTS, settings);
  const weightDecays = settings.weightDecays ?? DEFAULT_WEIGHT_DECAYS;
  ensure(weightDecays.length > 0, 'give at least one weight decay');
  for (const decay of weightDecays) ensure(Number.isFinite(decay) && decay >= 0, `weight decay must be a finite number ≥ 0, got ${decay}`);
  const heldOutFraction = settings.heldOutFraction ?? 0.2;
  ensure(heldOutFraction > 0 && heldOutFraction < 1, `the held-out fraction must lie strictly between 0 and 1, got ${heldOutFraction}`);
  // Strongest decay first, so that each fit warm-starts from a smoother solution.
  return { weightDecays: [...new Set(weightDecays)].sort((a, b) => b - a), heldOutFraction };
}

/**
 * The sweep looks at most this many training examples (a seeded stratified sample): choosing a
 * weight decay needs far fewer than the final fit, and L-BFGS in float64 costs O(examples) per step.
 */
export const SWEEP_SAMPLE_LIMIT = 12_500;

/** The training positions the sweep uses: all of them, or a stratified sample of SWEEP_SAMPLE_LIMIT. */
function sweepSample(labels: Int32Array, numClasses: number, random: RandomStream): number[] {
  if (labels.length <= SWEEP_SAMPLE_LIMIT) return Array.from(labels, (_, i) => i);
  return stratifiedPartition(labels, numClasses, SWEEP_SAMPLE_LIMIT / labels.length, random).first;
}

/** Held-out accuracy of each weight decay, fitted on the rest of (a sample of) the training set. */
function sweepWeightDecay(data: Pick<ProbeData, 'dim' | 'numClasses' | 'train'>, settings: LinearSettings, random: RandomStream) {
  const { dim, numClasses, train } = data;
  const sample = sweepSample(train.labels, numClasses, random.derive('sweep-sample'));
  const sampleLabels = Int32Array.from(sample, (p) => train.labels[p]!);
  const parts = stratifiedPartition(sampleLabels, numClasses, 1 - settings.heldOutFraction, random.derive('held-out'));
  const fitPart = parts.first.map((i) => sample[i]!);
  const heldPart = parts.second.map((i) => sample[i]!);
  if (heldPart.length === 0 || fitPart.length === 0) {
    throw new UserInputError(`too few training examples (${train.labels.length}) to hold out ${settings.heldOutFraction} for the weight-decay sweep; give a single weight decay`);
  }
  const fitFeatures = rows(train.features, dim, fitPart);
  const stats = featureStatistics(fitFeatures, fitPart.length, dim);
  const fitX = standardise(fitFeatures, fitPart.length, dim, stats);
  const heldX = standardise(rows(train.features, dim, heldPart), heldPart.length, dim, stats);
  const fitLabels = Int32Array.from(fitPart, (p) => train.labels[p]!);
  const heldLabels = Int32Array.from(heldPart, (p) => train.labels[p]!);
  const sweep: { weightDecay: number; heldOutAccuracy: number; iterations: number }[] = [];
  let init: Float64Array | undefined;
  let best: { weightDecay: number; heldOutAccuracy: number; model: LogisticModel } | undefined;
  for (const weightDecay of settings.weightDecays) {
    const model = fitLogisticRegression(fitX, fitLabels, dim, numClasses, weightDecay, init ? { init } : {});
    init = packParameters(model);
    const heldOutAccuracy = accuracy(predictLogistic(model, heldX), heldLabels);
    sweep.push({ weightDecay, heldOutAccuracy, iterations: model.iterations });
    // Strictly better only: on ties the stronger decay (seen first) stays.
    if (!best || heldOutAccuracy > best.heldOutAccuracy) best = { weightDecay, heldOutAccuracy, model };
  }
  return { best: best!, sweep, heldOutCount: heldPart.length, sweepExamples: sample.length };
}

/** A linear probe fitted on standardised training features, with how its weight decay was chosen. */
export interface FittedLinearProbe {
  readonly model: LogisticModel;
  /** The training features' statistics: new features are standardised with these. */
  readonly statistics: FeatureStatistics;
  readonly weightDecay: number;
  readonly sweep: readonly { weightDecay: number; heldOutAccuracy: number; iterations: number }[] | null;
  readonly heldOutCount: number;
  /** Training examples the sweep drew its fit and held-out parts from (0 without a sweep). */
  readonly sweepExamples: number;
}

/**
 * Fits the linear probe on the training features: with several weight decays, each is fitted on a
 * seeded stratified part of the training set (of a sample of SWEEP_SAMPLE_LIMIT examples when it
 * is larger) and scored on the held-out rest, and the best is refitted (warm-started) on the
 * whole training set.
 */
export function fitLinearProbe(data: Pick<ProbeData, 'dim' | 'numClasses' | 'train'>, rawSettings: ProbeSettings, random: RandomStream): FittedLinearProbe {
  const settings = resolveLinear(rawSettings);
  const { dim, numClasses, train } = data;
  const trainCount = checkFeatureSet('train', train, dim, numClasses);
  ensure(trainCount > 0, 'the linear probe needs at least one training example');
  const sweep = settings.weightDecays.length > 1 ? sweepWeightDecay(data, settings, random) : undefined;
  const weightDecay = sweep?.best.weightDecay ?? settings.weightDecays[0]!;
  const statistics = featureStatistics(train.features, trainCount, dim);
  const model = fitLogisticRegression(
    standardise(train.features, trainCount, dim, statistics),
    train.labels,
    dim,
    numClasses,
    weightDecay,
    sweep ? { init: packParameters(sweep.best.model) } : {},
  );
  return { model, statistics, weightDecay, sweep: sweep?.sweep ?? null, heldOutCount: sweep?.heldOutCount ?? 0, sweepExamples: sweep?.sweepExamples ?? 0 };
}

/** The probe's class predictions for raw (unstandardised) features, row-major count × dim. */
export function predictLinearProbe(probe: FittedLinearProbe, features: Float32Array): Int32Array {
  const { dim } = probe.model;
  const count = features.length / dim;
  return count ? predictLogistic(probe.model, standardise(features, count, dim, probe.statistics)) : new Int32Array(0);
}

/**
 * The probe as one dense layer on raw features, standardisation folded in:
 * kernel[d][k] = W[k][d] / σ_d and bias_k = b_k − Σ_d μ_d·W[k][d] / σ_d. The kernel is
 * dim × classes, row-major, as a dense layer stores it.
 */
export function foldedProbeWeights(probe: FittedLinearProbe): { kernel: Float32Array; bias: Float32Array } {
  const { model, statistics } = probe;
  const { dim, numClasses } = model;
  const kernel = new Float32Array(dim * numClasses);
  const bias = new Float32Array(numClasses);
  for (let k = 0; k < numClasses; k++) {
    let shift = 0;
    for (let d = 0; d < dim; d++) {
      const weight = model.weights[k * dim + d]! / statistics.scale[d]!;
      kernel[d * numClasses + k] = weight;
      shift += statistics.mean[d]! * weight;
    }
    bias[k] = model.bias[k]! - shift;
  }
  return { kernel, bias };
}

/**
 * Linear probe: multinomial logistic regression on features standardised with training
 * statistics, fitted by L-BFGS, its weight decay swept on a held-out part of the training set.
 */
export const linearProbe: ProbeProtocol = {
  id: 'linear',
  description: 'multinomial logistic regression on standardised features (L-BFGS), weight decay swept on a held-out part of the training set',
  accepts: ACCEPTS,
  resolve: resolveLinear,
  async run(data, settings, random) {
    checkFeatureSet('test', data.test, data.dim, data.numClasses);
    const probe = fitLinearProbe(data, settings, random);
    return {
      predictions: predictLinearProbe(probe, data.test.features),
      labels: data.test.labels,
      settings: resolveLinear(settings),
      details: {
        weightDecay: probe.weightDecay,
        sweep: probe.sweep,
        heldOutCount: probe.heldOutCount,
        sweepExamples: probe.sweepExamples,
        trainLoss: probe.model.loss,
        iterations: probe.model.iterations,
        converged: probe.model.converged,
      },
    };
  },
};
