import type { RandomStream } from '../../random/stream.js';
import { checkNoiseInput, checkRate, matrixNoise } from '../matrix.js';
import { defineLabelNoise, NOISE_SAMPLINGS, type LabelNoiseModel, type NoiseInput, type NoiseParams } from '../types.js';
import { checkSampling, rateArg } from './args.js';

/**
 * A noise model fully given by a transition matrix of one rate (symmetric, uniform-mix,
 * pair-flip): parsing, checks and sampling are shared; the matrix and any warnings are its own.
 */
export function defineRateMatrixNoise(model: {
  readonly id: string;
  readonly summary: string;
  readonly matrix: (numClasses: number, rate: number) => number[][];
  readonly warnings?: (rate: number) => string[];
}): LabelNoiseModel<NoiseParams> {
  const usage = `${model.id}:<rate>`;
  return defineLabelNoise<NoiseParams>({
    id: model.id,
    summary: model.summary,
    usage,
    needsFeatures: false,
    samplings: NOISE_SAMPLINGS,
    parse: (args) => ({ rate: rateArg(args, usage) }),
    apply(input: NoiseInput, params: NoiseParams, random: RandomStream) {
      checkRate(params.rate);
      checkNoiseInput(input);
      const sampling = params.sampling ?? 'per-example';
      checkSampling(model.id, sampling, NOISE_SAMPLINGS);
      return matrixNoise(model.id, input, model.matrix(input.numClasses, params.rate), sampling, random, model.warnings?.(params.rate) ?? []);
    },
  });
}
