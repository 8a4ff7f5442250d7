import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('ssl-robust list attacks', () => {
  it('lists each attack with its norms and options, and the ε presets', async () => {
    const json = await cli(['list', 'attacks', '--json']);
    expect(json.code).toBe(0);
    const { attacks, presets, search, checks } = JSON.parse(json.stdout);
    expect(attacks.map((a: { id: string }) => a.id)).toEqual(['fgsm', 'pgd', 'apgd-ce', 'apgd-t', 'apgd-dlr', 'square', 'ensemble']);
    expect(attacks.find((a: { id: string }) => a.id === 'square')).toMatchObject({ kind: 'black-box', accepts: ['norm', 'queries', 'restarts'] });
    expect(search.id).toBe('min-eps');
    expect(checks.filter((c: { reattacks: boolean }) => c.reattacks).map((c: { id: string }) => c.id)).toEqual(['iterative-beats-one-step', 'more-effort-no-better', 'white-box-beats-black-box', 'unbounded-reaches-zero']);
    expect(attacks[1]).toMatchObject({ kind: 'white-box', norms: ['linf', 'l2'] });
    expect(presets.find((p: { id: string }) => p.id === 'fmnist-linf-0.1')).toMatchObject({ norm: 'linf', eps: [0.1] });
    const text = await cli(['list', 'attacks']);
    expect(text.stdout).toMatch(/pgd\s+\[white-box; linf, l2/);
    expect(text.stdout).toMatch(/options: --norm --steps --restarts --step-size --no-random-start/);
    expect(text.stdout).toMatch(/cifar-linf-8\/255\s+linf ε = 0\.03137/);
    expect(text.stdout).toMatch(/min-eps\s+\[search; linf, l2\]/);
    expect(text.stdout).toMatch(/unbounded-reaches-zero \*/);
  });

  it('names the known lists for an unknown one', async () => {
    const run = await cli(['list', 'datasets']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown command 'datasets'/);
  });
});

describe('the CLI process', () => {
  it('leaves quietly with status 0 when its reader closes the pipe early (| head, | grep -q)', () => {
    // A real process: the in-process helper has no pipe to close. `list corruptions` prints far more than one byte.
    const run = spawnSync('bash', ['-c', 'node --import tsx src/cli/main.ts list corruptions | head -c 1 > /dev/null; echo "status ${PIPESTATUS[0]}" >&2'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toMatch(/status 0/);
    expect(run.stderr).not.toMatch(/EPIPE|Error/);
  });
});
