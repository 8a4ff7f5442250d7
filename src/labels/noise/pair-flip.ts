import { flipMatrix } from '../matrix.js';
import { defineRateMatrixNoise } from './rate-matrix.js';

/** T_ii = 1 − ε and T_i,(i+1) mod K = ε (Han et al. 2018, Co-teaching's `noisify_pairflip`). */
export function pairFlipMatrix(numClasses: number, rate: number): number[][] {
  return flipMatrix(numClasses, rate, Array.from({ length: numClasses }, (_, i) => [i, (i + 1) % numClasses] as const));
}

/** At ε ≥ 0.5 the next class outnumbers the true one in every noisy class: nothing can recover it. */
export function majorityWarning(id: string, rate: number): string[] {
  return rate >= 0.5
    ? [`${id} noise at ε = ${rate} ≥ 0.5 makes the flip target the majority label of its source class; the clean class is no longer identifiable (the literature stays below 0.5)`]
    : [];
}

export const pairFlipNoise = defineRateMatrixNoise({
  id: 'pair-flip',
  summary: 'each label moves to the next class (i → i+1 mod K) with probability ε (Han et al. 2018; "pair-45%" is ε = 0.45)',
  matrix: pairFlipMatrix,
  warnings: (rate) => majorityWarning('pair-flip', rate),
});
