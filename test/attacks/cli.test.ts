/** `ssl-robust attack`, run in-process. */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

const base = ['--backend', 'wasm', 'attack', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset'];

describe('ssl-robust attack', () => {
  it('prints one JSON object with clean accuracy, results per ε, parameters and seed', async () => {
    const run = await cli(['--seed', '9', ...base, '--attack', 'pgd', '--eps', '0,0.02', '--steps', '3', '--limit', '32', '--checks', 'quick', '--json']);
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
    expect(out.checksRun).toContain('logits-not-probabilities');
  });

  it('runs the ensemble and reports which member broke each image', async () => {
    const run = await cli([...base, '--attack', 'ensemble', '--eps', '0.03', '--steps', '4', '--target-classes', '2', '--queries', '50', '--limit', '12', '--checks', 'none', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.params.perEps[0].members.map((m: { attack: string }) => m.attack)).toEqual(['apgd-ce', 'apgd-t', 'square']);
    expect(out.params.perEps[0].members[0].params).toEqual({ eps: 0.03, norm: 'linf', steps: 4, restarts: 1 });
    const broken = out.brokenBy['0.03'];
    expect(Object.values(broken as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(12 - Math.round(out.results[0].robustAccuracy * 12));
    expect(out.checksRun).toEqual([]);
  });

  it('searches the minimal ε and reports the median radius and accuracy read off the radii', async () => {
    const run = await cli([...base, '--attack', 'min-eps', '--eps', '0.01,0.05', '--steps', '3', '--bisections', '4', '--limit', '12', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.params).toMatchObject({ attack: 'min-eps', norm: 'linf', maxEps: 0.05, steps: 3, bisections: 4, restarts: 1 });
    expect(out.results.map((r: { eps: number }) => r.eps)).toEqual([0.01, 0.05]);
    expect(out.results[1].robustAccuracy).toBeLessThanOrEqual(out.results[0].robustAccuracy);
    expect(out.medianRadius).toBeGreaterThan(0);
    expect(out.medianRadius).toBeLessThanOrEqual(0.05);
  });

  it('runs a preset and prints a readable table', async () => {
    const run = await cli([...base, '--attack', 'fgsm', '--preset', 'fmnist-linf-0.1', '--limit', '16']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/attack\s+fgsm norm=linf \(preset fmnist-linf-0.1\), seed 0/);
    expect(run.stdout).toMatch(/0\.1000\s+\d+\.\d\d%/);
  });

  it('runs a targeted attack and prints how often each ε reached the target', async () => {
    const run = await cli([...base, '--attack', 'pgd', '--eps', '0.1', '--steps', '3', '--targeted', 'random', '--limit', '12', '--checks', 'none']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/targeted \(random\), seed 0/);
    expect(run.stdout).toMatch(/target hit\n\s+0\.1000\s+\d+\.\d\d%.*\d+\.\d\d%\n/);
  });

  it.each([
    [['--attack', 'apgd-ce', '--eps', '0.1', '--targeted', 'random'], /apgd-ce has no targeted mode \(attacks with one: fgsm, pgd, square\)/],
    [['--attack', 'pgd', '--eps', '0.1', '--targeted', 'likely'], /unknown target rule 'likely'/],
    [['--attack', 'min-eps', '--eps', '0.1', '--targeted', '2'], /min-eps has no targeted mode/],
    [['--attack', 'pgd'], /no ε given: pass --eps .* or --preset .*there is no default ε/],
    [['--attack', 'cw', '--eps', '0.1'], /unknown attack 'cw' \(known: fgsm, pgd, apgd-ce, apgd-t, apgd-dlr, square, ensemble, min-eps\)/],
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
    [['--attack', 'pgd', '--eps', '0.1', '--bisections', '3'], /pgd does not take --bisections/],
    [['--attack', 'pgd', '--eps', '0.1', '--queries', '30'], /pgd does not take --queries/],
    [['--attack', 'min-eps', '--eps', '0.1', '--queries', '30'], /min-eps does not take --queries/],
    [['--attack', 'apgd-t', '--eps', '0.1', '--target-classes', '0'], /--target-classes.*must be a positive integer/],
    [['--attack', 'pgd', '--eps', '0.1', '--checks', 'vibes'], /unknown sanity check 'vibes'/],
  ])('bad input %j gets one clear line and exit code 2', async (args, message) => {
    const run = await cli([...base, ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.split('\n')[0]).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });
});
