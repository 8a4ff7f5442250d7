import { ensure } from '../../errors.js';
import type { Registry } from '../../registry.js';
import { auditFamilies } from './families/index.js';
import type { AuditFamily, CellSpec, ResolvedAuditConfig } from './types.js';

/** A cell's id: the same cell has the same id in every run, shard and merge. */
export function cellId(cell: Pick<CellSpec, 'backbone' | 'family' | 'name' | 'level'>): string {
  return `${cell.backbone}/${cell.family}/${cell.name}@${cell.level ?? '-'}`;
}

/**
 * Every cell of the audit, sorted by family (registry order), test name, level, then backbone
 * (config order): the backbones of one test run back to back, so they share its inputs.
 */
export function planCells(config: ResolvedAuditConfig, registry: Registry<AuditFamily> = auditFamilies): (CellSpec & { id: string })[] {
  const familyOrder = registry.ids();
  const backboneOrder = config.backbones.map((b) => b.id);
  const cells = config.backbones.flatMap((backbone) =>
    config.families.flatMap((id) => registry.get(id).plan(config.grids[id] ?? {}, backbone, config)),
  );
  const withIds = cells.map((cell) => ({ ...cell, id: cellId(cell) }));
  const ids = new Set<string>();
  for (const cell of withIds) {
    if (ids.has(cell.id)) throw new Error(`cell ${cell.id} is planned twice`);
    ids.add(cell.id);
  }
  return withIds.sort(
    (a, b) =>
      familyOrder.indexOf(a.family) - familyOrder.indexOf(b.family) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.level ?? -Infinity) - (b.level ?? -Infinity) ||
      backboneOrder.indexOf(a.backbone) - backboneOrder.indexOf(b.backbone),
  );
}

/** Shard i of n (1-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  ensure(match, `--shard ${text}: expected i/n, e.g. 2/4`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  ensure(count >= 1 && index >= 1 && index <= count, `--shard ${text}: i must be between 1 and n`);
  return { index, count };
}

/**
 * The cells of one shard: every n-th cell of the sorted plan, starting at the i-th. Dealing
 * round-robin spreads each family's expensive tests over all shards.
 */
export function shardCells<C>(cells: readonly C[], shard: Shard | null): C[] {
  if (!shard) return [...cells];
  return cells.filter((_, k) => k % shard.count === shard.index - 1);
}
