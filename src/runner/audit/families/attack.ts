import { attacks } from '../../../attacks/catalogue.js';
import { evaluateRobustness } from '../../../attacks/evaluate.js';
import { evaluateMinimalEps, MIN_EPS_ID, resolveMinEps } from '../../../attacks/min-eps.js';
import { NORMS, type AttackOptions, type Norm } from '../../../attacks/types.js';
import { ensure } from '../../../errors.js';
import { mean, median } from '../statistics.js';
import type { AuditFamily, BackboneCells, CellOutcome, FamilySettings, FinishedCell } from '../types.js';
import { cleanCell } from './clean.js';
import { levelKey, numberList } from './shared.js';

export const ATTACK_FAMILY = 'attack';

/**
 * The minimal-ε search (bisection over ε with PGD): its cell's level is the largest ε searched, and
 * it keeps each image's radius, which gives the median robustness radius.
 */
export const MIN_EPS_PREFIX = MIN_EPS_ID;

/** One attack of the grid: an attack id, its norm, the ε values and any options it takes. */
export interface AttackGridEntry {
  readonly attack: string;
  readonly norm: Norm;
  readonly eps: readonly number[];
  readonly steps?: number;
  readonly restarts?: number;
}

interface AttackSettings {
  readonly attacks: readonly AttackGridEntry[];
  /** Attack only the first n evaluated images (attacks cost far more than a forward pass). */
  readonly limit: number | null;
}

function settingsOf(settings: FamilySettings): AttackSettings {
  return settings as unknown as AttackSettings;
}

function optionsOf(entry: AttackGridEntry): AttackOptions {
  return {
    norm: entry.norm,
    ...(entry.steps !== undefined ? { steps: entry.steps } : {}),
    ...(entry.restarts !== undefined ? { restarts: entry.restarts } : {}),
  };
}

/** "pgd:linf:0.01,0.02:steps=10" → a grid entry (the flag form; config files use objects). */
export function parseAttackEntry(text: string): AttackGridEntry {
  const [attack, norm, eps, ...rest] = text.split(':').map((s) => s.trim());
  ensure(attack && norm && eps, `--attacks: '${text}' should read attack:norm:eps[,eps…][:steps=N][:restarts=N], e.g. pgd:linf:0.01,0.03:steps=10`);
  ensure((NORMS as readonly string[]).includes(norm), `--attacks: unknown norm '${norm}' in '${text}' (known: ${NORMS.join(', ')})`);
  const entry: { attack: string; norm: Norm; eps: number[]; steps?: number; restarts?: number } = { attack, norm: norm as Norm, eps: numberList(eps, `--attacks ${text}`) };
  for (const option of rest) {
    const [key, value] = option.split('=');
    const n = Number(value);
    ensure((key === 'steps' || key === 'restarts') && Number.isInteger(n) && n > 0, `--attacks: '${option}' in '${text}' should be steps=N or restarts=N`);
    entry[key] = n;
  }
  return entry;
}

function cellsOf(mine: BackboneCells): FinishedCell[] {
  return mine.cells.filter((cell) => cell.family === ATTACK_FAMILY);
}

function normOf(cell: FinishedCell): Norm {
  return cell.params['norm'] as Norm;
}

function isMinEps(cell: FinishedCell): boolean {
  return String(cell.params['attack']).startsWith(MIN_EPS_PREFIX);
}

/** Per (norm, ε): each item is robust only if every attack run there failed on it (worst case). */
function worstCase(cells: readonly FinishedCell[]): Map<Norm, Map<number, Uint8Array>> {
  const out = new Map<Norm, Map<number, Uint8Array>>();
  for (const cell of cells.filter((c) => !isMinEps(c))) {
    const byEps = out.get(normOf(cell)) ?? new Map<number, Uint8Array>();
    out.set(normOf(cell), byEps);
    const eps = cell.level as number;
    const previous = byEps.get(eps);
    byEps.set(eps, previous ? previous.map((v, i) => v & cell.correct[i]!) : Uint8Array.from(cell.correct));
  }
  return out;
}

/**
 * Adversarial robustness: each attack of the grid at each ε, on the first `limit` images. Every
 * image's random start comes from (seed, attack, ε, image index); robust accuracy per norm and ε
 * is the worst case over the attacks run there.
 */
export const attackFamily: AuditFamily = {
  id: ATTACK_FAMILY,
  title: 'Adversarial attacks',
  degradationLabel: 'accuracy lost to attacks (clean − worst-case robust, mean over ε)',
  defaults: (quick) =>
    quick
      ? { attacks: [{ attack: 'pgd', norm: 'linf', eps: [0.01, 0.03], steps: 5 }], limit: 64 }
      : {
          attacks: [
            { attack: 'fgsm', norm: 'linf', eps: [0.01, 0.02, 0.05, 0.1] },
            { attack: 'pgd', norm: 'linf', eps: [0.01, 0.02, 0.05, 0.1], steps: 10 },
          ],
          limit: 200,
        },
  settingsSchema: {
    attacks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['attack', 'norm', 'eps'],
        properties: {
          attack: { type: 'string' },
          norm: { enum: [...NORMS] },
          eps: { type: 'array', items: { type: 'number', minimum: 0 }, minItems: 1 },
          steps: { type: 'integer', minimum: 1 },
          restarts: { type: 'integer', minimum: 1 },
        },
      },
    },
    limit: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
  },
  flags: [
    {
      flags: '--attacks <list>',
      description: 'attack:norm:eps[,eps…][:steps=N] entries separated by spaces or semicolons, e.g. "pgd:linf:0.01,0.03:steps=10"',
      key: 'attacks',
      parse: (text) => text.split(/[;\s]+/).filter(Boolean).map(parseAttackEntry),
    },
    {
      flags: '--attack-limit <n>',
      description: 'attack only the first n evaluated images',
      key: 'limit',
      parse: (text) => {
        const n = Number(text);
        ensure(Number.isInteger(n) && n > 0, `--attack-limit: must be a positive integer, got '${text}'`);
        return n;
      },
    },
  ],
  validate(raw) {
    const settings = settingsOf(raw);
    for (const entry of settings.attacks) {
      if (entry.attack === MIN_EPS_ID) {
        for (const eps of entry.eps) resolveMinEps({ norm: entry.norm, maxEps: eps, ...(entry.steps ? { steps: entry.steps } : {}), ...(entry.restarts ? { restarts: entry.restarts } : {}) });
        continue;
      }
      const attack = attacks.get(entry.attack);
      for (const eps of entry.eps) attack.resolve(eps, optionsOf(entry));
    }
  },
  plan(raw, backbone) {
    const settings = settingsOf(raw);
    const seen = new Set<string>();
    return settings.attacks.flatMap((entry) =>
      [...new Set(entry.eps)].sort((a, b) => a - b).flatMap((eps) => {
        const name = `${entry.attack}/${entry.norm}`;
        if (seen.has(`${name}@${eps}`)) return [];
        seen.add(`${name}@${eps}`);
        return [{
          backbone: backbone.id,
          family: ATTACK_FAMILY,
          name,
          level: eps,
          params: { attack: entry.attack, norm: entry.norm, options: optionsOf(entry), limit: settings.limit },
        }];
      }),
    );
  },
  async run(cell, context): Promise<CellOutcome> {
    const limit = cell.params['limit'] as number | null;
    const dataset = limit ? context.dataset.take(limit) : context.dataset;
    const attackId = cell.params['attack'] as string;
    const options = cell.params['options'] as AttackOptions;
    const progress = context.onProgress ? { onProgress: context.onProgress } : {};
    if (attackId === MIN_EPS_ID) {
      const result = await evaluateMinimalEps(context.classifier, dataset, {
        maxEps: cell.level as number,
        norm: options.norm ?? 'linf',
        ...(options.steps ? { steps: options.steps } : {}),
        ...(options.restarts ? { restarts: options.restarts } : {}),
        seed: context.config.seed,
        batchSize: context.config.batchSize,
        ...progress,
      });
      const correct = Uint8Array.from(result.perExample, (r) => (r.cleanCorrect && r.radius === null ? 1 : 0));
      return {
        metrics: { robustAccuracy: mean(correct) },
        itemCount: correct.length,
        correct,
        values: { radius: result.perExample.map((r) => r.radius ?? Infinity) },
      };
    }
    // Sanity checks re-attack and probe the model: `ssl-robust attack` runs them; an audit's cells skip them.
    const result = await evaluateRobustness(context.classifier, dataset, {
      attack: attackId,
      eps: [cell.level as number],
      options,
      seed: context.config.seed,
      batchSize: context.config.batchSize,
      checks: 'none',
      ...progress,
    });
    const correct = Uint8Array.from(result.perExample, (r) => (r.adversarialCorrect ? 1 : 0));
    return {
      metrics: { robustAccuracy: result.results[0]!.robustAccuracy, meanNorm: result.results[0]!.meanNorm },
      itemCount: correct.length,
      correct,
    };
  },
  summarise(mine) {
    const cells = cellsOf(mine);
    if (cells.length === 0) return {};
    const out: Record<string, number | null> = {};
    const clean = cleanCell(mine);
    for (const cell of cells) {
      out[`attack.${cell.params['attack']}.${normOf(cell)}@${levelKey(cell.level as number)}.robustAccuracy`] = cell.metrics['robustAccuracy'] ?? null;
    }
    for (const [norm, byEps] of worstCase(cells)) {
      const points = [...byEps.entries()].sort((a, b) => a[0] - b[0]).map(([eps, correct]) => [eps, mean(correct)] as const);
      for (const [eps, accuracy] of points) out[`attack.${norm}@${levelKey(eps)}.robustAccuracy`] = accuracy;
      // Area under robust accuracy vs ε from ε = 0 (clean accuracy on the attacked images), divided by the largest ε: in [0, 1].
      const items = byEps.values().next().value?.length ?? 0;
      const cleanAccuracy = clean ? mean(clean.correct.subarray(0, items)) : NaN;
      const curve = points[0]![0] > 0 && Number.isFinite(cleanAccuracy) ? [[0, cleanAccuracy] as const, ...points] : points;
      const maxEps = curve[curve.length - 1]![0];
      let area = 0;
      for (let k = 1; k < curve.length; k++) area += ((curve[k]![0] - curve[k - 1]![0]) * (curve[k]![1] + curve[k - 1]![1])) / 2;
      out[`attack.${norm}.auc`] = maxEps > 0 ? area / maxEps : null;
    }
    for (const cell of cells.filter(isMinEps)) {
      const radii = cell.values?.['radius'];
      if (radii) out[`attack.${normOf(cell)}.medianRadius`] = median([...radii]);
    }
    return out;
  },
  degradation(mine) {
    const clean = cleanCell(mine);
    const worst = worstCase(cellsOf(mine));
    const vectors = [...worst.values()].flatMap((byEps) => [...byEps.values()]);
    if (!clean || vectors.length === 0) return null;
    const items = Math.min(...vectors.map((v) => v.length));
    const out = new Float64Array(items);
    for (const vector of vectors) for (let i = 0; i < items; i++) out[i]! += (clean.correct[i]! - vector[i]!) / vectors.length;
    return out;
  },
};
