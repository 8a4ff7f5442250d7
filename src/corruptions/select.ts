import { ensure } from '../errors.js';
import type { Registry } from '../registry.js';
import { CORRUPTION_GROUPS, SEVERITIES, type AnyCorruption, type Severity } from './types.js';

/** The ImageNet-C benchmark groups; "common" is their union (the 15), as in imagecorruptions. */
const BENCHMARK_GROUPS = ['noise', 'blur', 'weather', 'digital'];

/**
 * Resolves a --corruption value: ids, group names, `common` (the 15 benchmark corruptions),
 * `all`, or a comma-separated mix; duplicates are dropped, catalogue order is kept.
 */
export function selectCorruptions(registry: Registry<AnyCorruption>, spec: string): AnyCorruption[] {
  const wanted = new Set<string>();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const list = registry.list();
    if (part === 'all') list.forEach((c) => wanted.add(c.id));
    else if (part === 'common') list.filter((c) => BENCHMARK_GROUPS.includes(c.group)).forEach((c) => wanted.add(c.id));
    else if ((CORRUPTION_GROUPS as readonly string[]).includes(part)) list.filter((c) => c.group === part).forEach((c) => wanted.add(c.id));
    else wanted.add(registry.get(part).id);
  }
  ensure(wanted.size > 0, 'no corruption selected');
  return registry.list().filter((c) => wanted.has(c.id));
}

/** Resolves a --severity value: 1–5, `all`, or a comma-separated list. */
export function selectSeverities(spec: string): Severity[] {
  if (spec === 'all') return [...SEVERITIES];
  const levels = spec.split(',').map((s) => Number(s.trim()));
  for (const level of levels) {
    ensure((SEVERITIES as readonly number[]).includes(level), `severity must be 1–5 or all, got '${spec}'`);
  }
  return [...new Set(levels)].sort() as Severity[];
}
