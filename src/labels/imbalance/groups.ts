import { ensure } from '../../errors.js';

/**
 * How classes are split into many-, medium- and few-shot groups:
 * - `terciles` (default): classes ranked by training count, largest first (ties: lower rank in the
 *   class order first); the top floor(K/3) are many-shot, the bottom floor(K/3) few-shot, the
 *   rest medium (3/4/3 for 10 classes). For 10-class datasets there is no standard split; this
 *   is the head/mid/tail-thirds reading and scales with any dataset.
 * - `oltr`: Liu et al. 2019's absolute thresholds on training counts: many > 100, medium 20–100,
 *   few < 20 (ImageNet-LT, Places-LT, CIFAR-100-LT). Meaningful when the head has well over 100.
 */
export const GROUP_RULES = ['terciles', 'oltr'] as const;
export type GroupRule = (typeof GROUP_RULES)[number];

export interface ClassGroups {
  readonly rule: GroupRule;
  /** Class indices in each group, in rank order. */
  readonly many: readonly number[];
  readonly medium: readonly number[];
  readonly few: readonly number[];
}

export const OLTR_MANY_ABOVE = 100;
export const OLTR_FEW_BELOW = 20;

/** Groups of the classes by count; `order` (head first) breaks ties among equal counts. */
export function classGroups(countsByClass: readonly number[], order: readonly number[], rule: GroupRule): ClassGroups {
  ensure((GROUP_RULES as readonly string[]).includes(rule), `unknown class-group rule '${rule}' (known: ${GROUP_RULES.join(', ')})`);
  const rank = new Map(order.map((c, r) => [c, r]));
  const ranked = order.slice().sort((a, b) => countsByClass[b]! - countsByClass[a]! || rank.get(a)! - rank.get(b)!);
  if (rule === 'oltr') {
    return {
      rule,
      many: ranked.filter((c) => countsByClass[c]! > OLTR_MANY_ABOVE),
      medium: ranked.filter((c) => countsByClass[c]! >= OLTR_FEW_BELOW && countsByClass[c]! <= OLTR_MANY_ABOVE),
      few: ranked.filter((c) => countsByClass[c]! < OLTR_FEW_BELOW),
    };
  }
  const third = Math.floor(ranked.length / 3);
  return { rule, many: ranked.slice(0, third), medium: ranked.slice(third, ranked.length - third), few: ranked.slice(ranked.length - third) };
}
