import { defineCheck, flag } from './types.js';

/** Floating-point slack on the measured norm, as AutoAttack allows. */
const NORM_TOLERANCE = 1e-6;

export const normWithinBudget = defineCheck({
  id: 'norm-within-budget',
  summary: 'every adversarial image lies within ε of its clean image (measured, tolerance 1e-6)',
  async run({ results }) {
    return results
      .filter((r) => r.maxNorm > r.eps + NORM_TOLERANCE)
      .map((r) => flag('norm-within-budget', 'error', `at ε = ${r.eps} the largest measured perturbation is ${r.maxNorm}: the projection is broken`));
  },
});

export const monotoneInEps = defineCheck({
  id: 'monotone-in-eps',
  summary: 'robust accuracy does not rise as ε grows (beyond one example)',
  async run({ results }) {
    if (results.length < 2) return null;
    const sorted = [...results].sort((a, b) => a.eps - b.eps);
    const found = [];
    for (let k = 1; k < sorted.length; k++) {
      const smaller = sorted[k - 1]!;
      const larger = sorted[k]!;
      if (larger.robustCount > smaller.robustCount + 1) {
        found.push(flag('monotone-in-eps', 'warning',
          `robust accuracy rises from ${smaller.robustCount} images at ε = ${smaller.eps} to ${larger.robustCount} at ε = ${larger.eps}: the attack is not converging (or gradients are masked); add steps or restarts`));
      }
    }
    return found;
  },
});
