import { defineRateMatrixNoise } from './rate-matrix.js';

/** T_ii = 1 − ε and T_ij = ε/(K−1): a wrong label is any other class, equally likely (Co-teaching's `noisify_multiclass_symmetric`). */
export function symmetricMatrix(numClasses: number, rate: number): number[][] {
  const off = rate / (numClasses - 1);
  return Array.from({ length: numClasses }, (_, i) => Array.from({ length: numClasses }, (_, j) => (i === j ? 1 - rate : off)));
}

export const symmetricNoise = defineRateMatrixNoise({
  id: 'symmetric',
  summary: 'each label moves to another class with probability ε, every other class equally likely (diagonal 1−ε, off-diagonal ε/(K−1))',
  matrix: symmetricMatrix,
});
