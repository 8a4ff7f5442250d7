import { defineRateMatrixNoise } from './rate-matrix.js';

/**
 * T = ε·(1/K)·11ᵀ + (1 − ε)·I: with probability ε the label is redrawn uniformly, possibly as
 * itself (GLC's `uniform_mix_C`, used by Hendrycks et al. 2019), so only ε(K−1)/K of labels change.
 */
export function uniformMixMatrix(numClasses: number, rate: number): number[][] {
  const share = rate / numClasses;
  return Array.from({ length: numClasses }, (_, i) =>
    Array.from({ length: numClasses }, (_, j) => (i === j ? 1 - rate + share : share)));
}

export const uniformMixNoise = defineRateMatrixNoise({
  id: 'uniform-mix',
  summary: 'with probability ε a label is replaced by a uniformly drawn class, its own included (changes ε(K−1)/K of labels)',
  matrix: uniformMixMatrix,
});
