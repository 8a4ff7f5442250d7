import type { RandomStream } from '../../random/stream.js';
import { checkNoiseInput, checkRate, matrixNoise } from '../matrix.js';
import { defineLabelNoise, NOISE_SAMPLINGS, type NoiseInput, type NoiseParams } from '../types.js';
import { checkSampling, rateArg } from './args.js';

/**
 * T = ε·(1/K)·11ᵀ + (1 − ε)·I: with probability ε the label is redrawn uniformly, possibly as
 * itself (GLC's `uniform_mix_C`, used by Hendrycks et al. 2019), so only ε(K−1)/K of labels change.
 */
export function uniformMixMatrix(numClasses: number, rate: number): number[][] {
  const share = rate / numClasses;
  return Array.from({ length: numClasses }, (_, i) =>
    Array.from({ length: numClasses }, (_, j) => (i === j ? 1 - rate + share : share)));
}

const usage = 'uniform-mix:<rate>';

export const uniformMixNoise = defineLabelNoise<NoiseParams>({
  id: 'uniform-mix',
  summary: 'with probability ε a label is replaced by a uniformly drawn class, its own included (changes ε(K−1)/K of labels)',
  usage,
  needsFeatures: false,
  samplings: NOISE_SAMPLINGS,
  parse: (args) => ({ rate: rateArg(args, usage) }),
  apply(input: NoiseInput, params: NoiseParams, random: RandomStream) {
    checkRate(params.rate);
    checkNoiseInput(input);
    const sampling = params.sampling ?? 'per-example';
    checkSampling('uniform-mix', sampling, NOISE_SAMPLINGS);
    return matrixNoise('uniform-mix', input, uniformMixMatrix(input.numClasses, params.rate), sampling, random);
  },
});
