import { describe, expect, it } from 'vitest';
import { corruptBatch } from '../../src/corruptions/apply.js';
import { corruptions } from '../../src/corruptions/catalogue.js';
import { PROFILE_NAMES, SEVERITIES } from '../../src/corruptions/types.js';
import { fillPoisson, fillPoissonByTables, fillPoissonPerValue } from '../../src/corruptions/shared/poisson.js';
import { RandomStream } from '../../src/random/stream.js';

/** A flat gray image of `side`² pixels × 3 channels: every value starts at `level`. */
async function corruptFlat(id: string, severity: number, profile: (typeof PROFILE_NAMES)[number], level = 0.5, side = 128) {
  const batch = { images: new Float32Array(side * side * 3).fill(level), shape: [1, side, side, 3] as const };
  return (await corruptBatch(corruptions, batch, id, severity, { seed: severity, profile })).images;
}

function moments(values: Float32Array): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
}

/** Tables whose noise barely clips on a mid-gray image (σ at most a fifth of the distance to 0 or 1). */
const unclipped = (sigma: number) => sigma <= 0.1;

describe('noise calibration against the severity tables', () => {
  it('gaussian_noise adds noise of the table\'s σ', async () => {
    for (const profile of PROFILE_NAMES) {
      for (const severity of SEVERITIES) {
        const sigma = corruptions.get('gaussian_noise').table[profile][severity - 1] as number;
        if (!unclipped(sigma)) continue;
        const { mean, sd } = moments(await corruptFlat('gaussian_noise', severity, profile));
        // 49,152 samples: the standard error of the sd estimate is about σ/314.
        expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
        expect(Math.abs(sd / sigma - 1)).toBeLessThan(0.02);
      }
    }
  });

  it('speckle_noise scales its noise with the pixel value (sd = x·σ)', async () => {
    const sigma = corruptions.get('speckle_noise').table.cifar32[0] as number;
    const { sd } = moments(await corruptFlat('speckle_noise', 1, 'cifar32', 0.5));
    expect(Math.abs(sd / (0.5 * sigma) - 1)).toBeLessThan(0.02);
    const black = await corruptFlat('speckle_noise', 5, 'imagenet224', 0);
    expect(black.every((v) => v === 0)).toBe(true);
  });

  it('shot_noise keeps the mean and has Poisson variance x/λ', async () => {
    for (const severity of SEVERITIES) {
      const lambda = corruptions.get('shot_noise').table.cifar32[severity - 1] as number;
      const { mean, sd } = moments(await corruptFlat('shot_noise', severity, 'cifar32'));
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
      expect(Math.abs(sd / Math.sqrt(0.5 / lambda) - 1)).toBeLessThan(0.03);
    }
  });

  it('impulse_noise flips the table\'s fraction of values, half to 0 and half to 1', async () => {
    for (const severity of SEVERITIES) {
      const amount = corruptions.get('impulse_noise').table.imagenet224[severity - 1] as number;
      const out = await corruptFlat('impulse_noise', severity, 'imagenet224');
      const zeros = out.filter((v) => v === 0).length;
      const ones = out.filter((v) => v === 1).length;
      const n = out.length;
      const tolerance = 5 * Math.sqrt((amount * (1 - amount)) / n); // 5 binomial standard errors
      expect(Math.abs((zeros + ones) / n - amount)).toBeLessThan(tolerance);
      expect(Math.abs(zeros - ones) / n).toBeLessThan(5 * Math.sqrt(amount / n));
      expect(out.filter((v) => v !== 0 && v !== 1 && v !== 0.5).length).toBe(0);
    }
  });

  // Both samplers behind fillPoisson, each checked on its own: fillPoisson picks the tables for
  // many values with moderate means and the per-value sampler otherwise.
  const samplers = { fillPoissonByTables, fillPoissonPerValue };

  for (const [name, sampler] of Object.entries(samplers)) {
    it(`${name}: counts with the right mean and variance, on both sides of each algorithm switch`, () => {
      for (const mean of [0.3, 4, 9.9, 10, 37, 60, 250]) {
        const draws = sampler(new Float64Array(20000).fill(mean), 1, new Float32Array(20000), RandomStream.fromSeed(Math.round(mean * 10)));
        const m = moments(draws);
        expect(Math.abs(m.mean - mean)).toBeLessThan(5 * Math.sqrt(mean / draws.length));
        // The sample variance's standard error is about mean·√(2/n) (1%) for these means.
        expect(Math.abs(m.sd ** 2 / mean - 1)).toBeLessThan(0.06);
        expect(draws.every((k) => Number.isInteger(k) && k >= 0)).toBe(true);
      }
    });

    it(`${name}: frequencies that fit the Poisson probabilities (χ² test), on and off the tables' grid`, () => {
      const n = 50000;
      for (const mean of [0.7, 6, 12, 45, 45.13]) {
        const draws = sampler(new Float32Array(n).fill(mean / 3), 3, new Float64Array(n), RandomStream.fromSeed(Math.round(1000 + 100 * mean)));
        // Cells of expected count ≥ 20 around the mean, tails pooled into the end cells.
        const pmf: number[] = [];
        for (let k = 0, p = Math.exp(-mean); k < mean + 12 * Math.sqrt(mean) + 10; k++, p *= mean / k) pmf.push(p);
        const first = pmf.findIndex((p) => p * n >= 20);
        const last = pmf.length - 1 - [...pmf].reverse().findIndex((p) => p * n >= 20);
        const observed = new Array<number>(last - first + 1).fill(0);
        for (const k of draws) observed[Math.min(Math.max(k, first), last) - first]!++;
        let chi2 = 0;
        for (let c = 0; c < observed.length; c++) {
          const k = first + c;
          const share = k === first ? pmf.slice(0, first + 1).reduce((a, b) => a + b, 0) : k === last ? 1 - pmf.slice(0, last).reduce((a, b) => a + b, 0) : pmf[k]!;
          chi2 += (observed[c]! - n * share) ** 2 / (n * share);
        }
        // χ² with d = cells − 1 degrees of freedom: mean d, sd √(2d); 5 sd above is p < 1e-5.
        const dof = observed.length - 1;
        expect(chi2, `mean ${mean}: χ² ${chi2.toFixed(1)} on ${dof} dof`).toBeLessThan(dof + 5 * Math.sqrt(2 * dof));
      }
    });

    it(`${name}: with a cap, the uncapped counts cut at the cap (shot noise clips there)`, () => {
      const values = Float32Array.from({ length: 20000 }, (_, i) => (i % 101) / 100);
      for (const [scale, cap] of [[3, 3], [12, 12], [60, 60], [60, 30]] as const) {
        const free = sampler(values, scale, new Float64Array(values.length), RandomStream.fromSeed(scale));
        const capped = sampler(values, scale, new Float64Array(values.length), RandomStream.fromSeed(scale + 1), cap);
        expect(capped.every((k) => k <= cap)).toBe(true);
        expect(free.some((k) => k > cap)).toBe(true);
        // E[min(K, cap)] summed over the values, against the capped draws' sum (5 standard errors).
        let expected = 0;
        let variance = 0;
        for (const v of values) {
          const mean = v * scale;
          let below = 0;
          let cut = 0;
          for (let k = 0, p = Math.exp(-mean); k < cap; k++, p *= mean / k) {
            below += p;
            cut += k * p;
          }
          expected += cut + cap * (1 - below);
          variance += mean;
        }
        const sum = capped.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - expected)).toBeLessThan(5 * Math.sqrt(variance));
      }
    });
  }

  it('fillPoisson tabulates for many values and draws per value for a 28-px image or large means', () => {
    const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    const many = Float32Array.from({ length: 40000 }, (_, i) => (i * 0.618034) % 1);
    const few = many.slice(0, 784);
    const seed = () => RandomStream.fromSeed(11);
    const draw = (sampler: typeof fillPoisson, values: Float32Array, scale: number) => sampler(values, scale, new Float32Array(values.length), seed(), 60);
    expect(same(draw(fillPoisson, many, 60), draw(fillPoissonByTables, many, 60))).toBe(true);
    expect(same(draw(fillPoisson, many, 60), draw(fillPoissonPerValue, many, 60))).toBe(false);
    expect(same(draw(fillPoisson, few, 60), draw(fillPoissonPerValue, few, 60))).toBe(true);
    expect(same(draw(fillPoisson, many, 2000), draw(fillPoissonPerValue, many, 2000))).toBe(true);
  });

  it('gives 0 for a mean of 0 without drawing, and the same counts for the same seed', () => {
    const values = Float32Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? 0 : (i % 97) / 96));
    const a = fillPoisson(values, 60, new Float32Array(values.length), RandomStream.fromSeed(5));
    const b = fillPoisson(values, 60, new Float32Array(values.length), RandomStream.fromSeed(5));
    expect(a).toEqual(b);
    expect(values.every((v, i) => v > 0 || a[i] === 0)).toBe(true);
    const c = fillPoisson(values, 60, new Float32Array(values.length), RandomStream.fromSeed(6));
    expect(c).not.toEqual(a);
  });
});
