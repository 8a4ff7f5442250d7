/** `ssl-robust attack`, run in-process. */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const base = ['--backend', 'wasm', 'attack', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset'];

describe('ssl-robust attack', () => {
  it('prints one JSON object with clean accuracy, results per ε, parameters and seed', async () => {
    const run = await cli(['--seed', '9', ...base, '--attack', 'pgd', '--eps', '0,0.02', '--steps', '3', '--limit', '32', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.seed).toBe(9);
    expect(out.attack).toBe('pgd');
    expect(out.cleanAccuracy).toBeGreaterThan(0.7);
    expect(out.cleanAccuracy).toBeLessThanOrEqual(1);
    expect(out.results).toHaveLength(2);
    expect(out.results[0]).toMatchObject({ eps: 0, robustAccuracy: out.cleanAccuracy, maxNorm: 0 });
    expect(out.results[1].eps).toBe(0.02);
    for (const r of out.results) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['eps', 'robustAccuracy', 'meanNorm', 'maxNorm']));
      expect(r.robustAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.robustAccuracy).toBeLessThanOrEqual(1);
      expect(r.maxNorm).toBeLessThanOrEqual(r.eps + 1e-6);
    }
    expect(out.results[1].robustAccuracy).toBeLessThan(out.cleanAccuracy);
    expect(out.params).toMatchObject({ attack: 'pgd', norm: 'linf', preset: null });
    expect(out.params.perEps[1]).toEqual({ eps: 0.02, norm: 'linf', steps: 3, stepSize: (2.5 * 0.02) / 3, restarts: 1, randomStart: true });
    expect(out.dataset.size).toBe(32);
    expect(out.flags).toEqual([]);
  });

  it('runs a preset and prints a readable table', async () => {
    const run = await cli([...base, '--attack', 'fgsm', '--preset', 'fmnist-linf-0.1', '--limit', '16']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/attack\s+fgsm norm=linf \(preset fmnist-linf-0.1\), seed 0/);
    expect(run.stdout).toMatch(/0\.1000\s+\d+\.\d\d%/);
  });

  it.each([
    [['--attack', 'pgd'], /no ε given: pass --eps .* or --preset .*there is no default ε/],
    [['--attack', 'cw', '--eps', '0.1'], /unknown attack 'cw' \(known: fgsm, pgd\)/],
    [['--attack', 'pgd', '--eps', '-0.1'], /--eps: ε must be ≥ 0, got -0.1/],
    [['--attack', 'pgd', '--eps=-0.1'], /--eps: ε must be ≥ 0, got -0.1/],
    [['--attack', 'pgd', '--eps', 'abc'], /'abc' is not a number/],
    [['--attack', 'pgd', '--preset', 'mnist-linf-9'], /unknown ε preset 'mnist-linf-9' \(known: fmnist-linf-0.1/],
    [['--attack', 'pgd', '--eps', '0.1', '--preset', 'fmnist-linf'], /either --eps or --preset, not both/],
    [['--attack', 'pgd', '--norm', 'l2', '--preset', 'fmnist-linf'], /preset fmnist-linf is linf/],
    [['--attack', 'fgsm', '--eps', '0.1', '--steps', '3'], /fgsm does not take --steps/],
    [['--attack', 'pgd', '--eps', '2'], /L∞ ε above 1 is meaningless/],
    [['--attack', 'pgd', '--eps', '0.1', '--norm', 'l3'], /argument 'l3' is invalid/],
    [['--eps', '0.1'], /required option '--attack/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const run = await cli([...base, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.split('\n')[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
