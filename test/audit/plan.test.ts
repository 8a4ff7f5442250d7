import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { packBits, unpackBits } from '../../src/runner/audit/bits.js';
import { resolveAuditConfig } from '../../src/runner/audit/config.js';
import { cellId, parseShard, planCells, shardCells } from '../../src/runner/audit/plan.js';

const config = resolveAuditConfig({}, {
  models: ['a=fmnist-cnn:ssl', 'b=fmnist-cnn:supervised'],
  corruption: { corruptions: ['gaussian_noise', 'fog', 'contrast'], severities: [5, 1, 3] },
  attack: { attacks: [{ attack: 'pgd', norm: 'linf', eps: [0.1, 0.01], steps: 2 }, { attack: 'fgsm', norm: 'linf', eps: [0.05] }], limit: 8 },
});

describe('audit plan', () => {
  it('lists every backbone × test × level once, sorted, clean first, with stable ids', () => {
    const plan = planCells(config);
    // Label families at their defaults: clean labels + 3 noisy, balanced + 2 ratios, 2 shot settings.
    expect(plan).toHaveLength(2 * (1 + 3 * 3 + 3 + 4 + 3 + 2));
    expect(new Set(plan.map((c) => c.id)).size).toBe(plan.length);
    expect(plan[0]).toMatchObject({ id: 'a/clean/clean@-', family: 'clean', level: null });
    expect(plan.filter((c) => c.backbone === 'a' && c.family === 'corruption').map((c) => c.id).slice(0, 3)).toEqual([
      'a/corruption/contrast@1', 'a/corruption/contrast@3', 'a/corruption/contrast@5',
    ]);
    expect(plan.filter((c) => c.backbone === 'a' && c.family === 'attack').map((c) => c.id)).toEqual([
      'a/attack/fgsm/linf@0.05', 'a/attack/pgd/linf@0.01', 'a/attack/pgd/linf@0.1',
    ]);
    expect(plan.filter((c) => c.backbone === 'a' && c.family === 'label-noise').map((c) => c.id)).toEqual([
      'a/label-noise/asym/fashion-mnist@0.3', 'a/label-noise/clean-labels@-', 'a/label-noise/symmetric@0.2', 'a/label-noise/symmetric@0.4',
    ]);
    expect(plan.filter((c) => c.backbone === 'a' && c.family === 'few-shot').map((c) => c.id)).toEqual(['a/few-shot/5way@1', 'a/few-shot/5way@5']);
    expect(planCells(config)).toEqual(plan);
    expect(cellId({ backbone: 'x', family: 'corruption', name: 'fog', level: 2 })).toBe('x/corruption/fog@2');
  });

  test.prop([fc.integer({ min: 1, max: 12 })])('the shards of any count partition the plan', (count) => {
    const plan = planCells(config);
    const shards = Array.from({ length: count }, (_, i) => shardCells(plan, { index: i + 1, count }));
    const ids = shards.flat().map((c) => c.id);
    expect(ids.sort()).toEqual(plan.map((c) => c.id).sort());
    expect(new Set(ids).size).toBe(plan.length);
    // Deterministic: the same shard twice is the same cells.
    expect(shardCells(plan, { index: 1, count })).toEqual(shards[0]);
  });

  it.each([['3/2'], ['0/2'], ['1-2'], ['a/b']])('refuses --shard %s with one line', (text) => {
    expect(() => parseShard(text)).toThrow(/--shard .*(i\/n|between 1 and n)/);
  });

  test.prop([fc.uint8Array({ maxLength: 300 }).map((a) => a.map((v) => v & 1))])('per-item bits pack and unpack losslessly', (flags) => {
    expect(unpackBits(packBits(flags), flags.length)).toEqual(flags);
  });
});
