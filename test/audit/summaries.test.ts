/** Summary metrics from hand-made cells, against values worked out by hand. */
import { describe, expect, it } from 'vitest';
import { attackFamily } from '../../src/runner/audit/families/attack.js';
import { corruptionFamily } from '../../src/runner/audit/families/corruption.js';
import { resolveAuditConfig } from '../../src/runner/audit/config.js';
import { summarise, verdicts } from '../../src/runner/audit/results.js';
import type { BackboneCells, FinishedCell } from '../../src/runner/audit/types.js';

/** A cell whose first `right` of `n` items are correct. */
function cell(backbone: string, family: string, name: string, level: number | null, right: number, n = 100, extra: Partial<FinishedCell> = {}): FinishedCell {
  const correct = Uint8Array.from({ length: n }, (_, i) => (i < right ? 1 : 0));
  const metric = family === 'attack' ? 'robustAccuracy' : 'accuracy';
  return { id: `${backbone}/${family}/${name}@${level ?? '-'}`, backbone, family, name, level, params: {}, metrics: { [metric]: right / n }, itemCount: n, correct, seconds: 0, ...extra };
}

const config = resolveAuditConfig({}, { models: ['mine=fmnist-cnn:ssl', 'ref=fmnist-cnn:supervised'], bootstrap: 200 });
const attackCell = (backbone: string, attack: string, eps: number, right: number, n = 100) =>
  cell(backbone, 'attack', `${attack}/linf`, eps, right, n, { params: { attack, norm: 'linf' } });

const cells: FinishedCell[] = [
  cell('mine', 'clean', 'clean', null, 90),
  cell('mine', 'corruption', 'fog', 1, 80),
  cell('mine', 'corruption', 'fog', 2, 60),
  cell('mine', 'corruption', 'blur', 1, 90),
  cell('mine', 'corruption', 'blur', 2, 90),
  cell('ref', 'clean', 'clean', null, 80),
  cell('ref', 'corruption', 'fog', 1, 60),
  cell('ref', 'corruption', 'fog', 2, 40),
  cell('ref', 'corruption', 'blur', 1, 80),
  cell('ref', 'corruption', 'blur', 2, 90),
  attackCell('mine', 'fgsm', 0.1, 50),
  attackCell('mine', 'pgd', 0.1, 40),
  attackCell('mine', 'pgd', 0.2, 10),
  attackCell('ref', 'pgd', 0.1, 30),
  attackCell('ref', 'pgd', 0.2, 0),
];

describe('corruption summaries', () => {
  const [mine, ref] = summarise(config, cells, 28).map((s) => s.metrics);

  it('mean error, per-corruption error, and drop from clean', () => {
    expect(mine!['corruption.meanError']).toBeCloseTo((0.2 + 0.4 + 0.1 + 0.1) / 4, 12);
    expect(mine!['corruption.fog.error']).toBeCloseTo(0.3, 12);
    expect(mine!['corruption.accuracyDrop']).toBeCloseTo(0.9 - 0.8, 12);
    expect(mine!['corruption.fog@2.accuracy']).toBe(0.6);
  });

  it('mCE against the reference: CE_fog = 0.6/1.0, CE_blur = 0.2/0.3', () => {
    expect(mine!['corruption.fog.ce']).toBeCloseTo(0.6, 12);
    expect(mine!['corruption.blur.ce']).toBeCloseTo(0.2 / 0.3, 12);
    expect(mine!['corruption.mce']).toBeCloseTo((0.6 + 0.2 / 0.3) / 2, 12);
    expect(ref!['corruption.mce']).toBe(1);
  });

  it('relative mCE leaves out corruptions that do not hurt the reference', () => {
    // fog: (0.6 − 2·0.1) / (1.0 − 2·0.2) = 0.4/0.6; blur: the reference loses nothing (0.3 − 2·0.2 < 0): left out.
    expect(mine!['corruption.relativeMce']).toBeCloseTo(0.4 / 0.6, 12);
  });

  it('has no mCE without a reference', () => {
    const alone = resolveAuditConfig({}, { models: ['mine=fmnist-cnn:ssl'] });
    const [only] = summarise(alone, cells.filter((c) => c.backbone === 'mine'), 28);
    expect(only!.metrics['corruption.mce']).toBeNull();
    expect(only!.metrics['corruption.meanError']).toBeCloseTo(0.2, 12);
  });
});

describe('attack summaries', () => {
  const [mine] = summarise(config, cells, 28).map((s) => s.metrics);

  it('robust accuracy per ε is the worst case over attacks, per attack too', () => {
    // The first 50 items survive FGSM, the first 40 PGD: together the first 40.
    expect(mine!['attack.linf@0.1.robustAccuracy']).toBe(0.4);
    expect(mine!['attack.fgsm.linf@0.1.robustAccuracy']).toBe(0.5);
    expect(mine!['attack.linf@0.2.robustAccuracy']).toBe(0.1);
  });

  it('AUC: trapezoids from (0, clean) over ε, divided by the largest ε', () => {
    const area = (0.1 * (0.9 + 0.4)) / 2 + (0.1 * (0.4 + 0.1)) / 2;
    expect(mine!['attack.linf.auc']).toBeCloseTo(area / 0.2, 12);
  });

  it('median radius from a minimum-ε attack\'s per-image radii', () => {
    const minEps = cell('mine', 'attack', 'min-eps/linf', 0.3, 2, 5, {
      params: { attack: 'min-eps', norm: 'linf' },
      values: { radius: [0, 0.05, 0.2, 0.1, Infinity] },
    });
    const family = attackFamily.summarise({ backbone: config.backbones[0]!, cells: [cells[0]!, minEps] } as BackboneCells, { config, reference: null, imageSize: 28 });
    expect(family['attack.linf.medianRadius']).toBe(0.1);
  });
});

describe('verdict', () => {
  it('compares mean per-image degradation of the groups', () => {
    const [corruption, attack] = verdicts(config, cells);
    // mine: 0.9 − 0.8 = 0.1 lost; ref: 0.8 − 0.675 = 0.125 lost.
    expect(corruption).toMatchObject({ family: 'corruption', ssl: ['mine'], supervised: ['ref'], items: 100, resamples: 200 });
    expect(corruption!.sslDegradation).toBeCloseTo(0.1, 12);
    expect(corruption!.supervisedDegradation).toBeCloseTo(0.125, 12);
    expect(corruption!.difference).toBeCloseTo(-0.025, 12);
    expect(corruption!.ci95![0]).toBeLessThanOrEqual(corruption!.difference!);
    // Attacks: mine loses (0.9−0.4 + 0.9−0.1)/2 = 0.65, ref (0.8−0.3 + 0.8−0)/2 = 0.65.
    expect(attack!.difference).toBeCloseTo(0, 12);
    expect(attack!.outcome).toBe('no-clear-difference');
    expect(corruptionFamily.degradation!({ backbone: config.backbones[0]!, cells: cells.filter((c) => c.backbone === 'mine') })!.length).toBe(100);
  });

  it('decides when the interval excludes zero', () => {
    const strong = [
      ...cells.filter((c) => c.family === 'clean'),
      cell('mine', 'corruption', 'fog', 1, 88),
      cell('ref', 'corruption', 'fog', 1, 20),
    ];
    const [verdict] = verdicts({ ...config, families: ['clean', 'corruption'] }, strong);
    expect(verdict!.outcome).toBe('ssl-more-robust');
    expect(verdict!.ci95![1]).toBeLessThan(0);
  });
});
