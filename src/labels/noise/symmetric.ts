import type { RandomStream } from '../../random/stream.js';
import { checkNoiseInput, checkRate, matrixNoise } from '../matrix.js';
import { defineLabelNoise, NOISE_SAMPLINGS, type NoiseInput, type NoiseParams } from '../types.js';
import { checkSampling, rateArg } from './args.js';

/** T_ii = 1 − ε and T_ij = ε/(K−1): a wrong label is any other class, equally likely (Co-teaching's `noisify_multiclass_symmetric`). */
export function symmetricMatrix(numClasses: number, rate: number): number[][] {
  const off = rate / (numClasses - 1);
  return Array.from({ length: numClasses }, (_, i) => Array.from({ length: numClasses }, (_, j) => (i === j ? 1 - rate : off)));
}

const usage = 'symmetric:<rate>';

export const symmetricNoise = defineLabelNoise<NoiseParams>({
  id: 'symmetric',
  summary: 'each label moves to another class with probability ε, every other class equally likely (diagonal 1−ε, off-diagonal ε/(K−1))',
  usage,
  needsFeatures: false,
  samplings: NOISE_SAMPLINGS,
  parse: (args) => ({ rate: rateArg(args, usage) }),
  apply(input: NoiseInput, params: NoiseParams, random: RandomStream) {
    checkRate(params.rate);
    checkNoiseInput(input);
    const sampling = params.sampling ?? 'per-example';
    checkSampling('symmetric', sampling, NOISE_SAMPLINGS);
    return matrixNoise('symmetric', input, symmetricMatrix(input.numClasses, params.rate), sampling, random);
  },
});
