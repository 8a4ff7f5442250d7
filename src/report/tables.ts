import { corruptions } from '../corruptions/catalogue.js';
import { CORRUPTION_GROUPS } from '../corruptions/types.js';
import type { AuditResults, FamilyVerdict } from '../runner/audit/results.js';
import { VERDICT_WORDS } from '../runner/audit/results.js';
import { usesUnnormalisedHeadline } from '../runner/audit/families/corruption.js';

/** A plain table: header and rows of cell text, rendered by markdown and HTML alike. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(100 * value).toFixed(digits)}%`;
}

function points(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)}`;
}

function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(3);
}

/** The SSL-vs-supervised table: one row per family. */
export function verdictTable(results: AuditResults): Table {
  return {
    header: ['family', 'SSL degradation', 'supervised degradation', 'difference (SSL − sup.), points', '95% CI', 'verdict'],
    rows: results.verdict.map((v: FamilyVerdict) => [
      v.title,
      percent(v.sslDegradation),
      percent(v.supervisedDegradation),
      points(v.difference),
      v.ci95 ? `[${points(v.ci95[0])}, ${points(v.ci95[1])}]` : '–',
      v.outcome === 'not-applicable' ? `not applicable: ${v.reason}` : `**${VERDICT_WORDS[v.outcome]}**`,
    ]),
  };
}

/** Norms with worst-case robust accuracy in the summaries, and their ε values. */
export function attackLevels(results: AuditResults): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const summary of results.summaries) {
    for (const key of Object.keys(summary.metrics)) {
      const match = /^attack\.([a-z0-9]+)@([^.]+(?:\.[0-9]+)?)\.robustAccuracy$/.exec(key);
      if (!match) continue;
      const list = out.get(match[1]!) ?? [];
      const eps = Number(match[2]);
      if (!list.includes(eps)) list.push(eps);
      out.set(match[1]!, list.sort((a, b) => a - b));
    }
  }
  return out;
}

/** Summary keys of one pattern found in any backbone's summaries, in first-seen order. */
function summaryKeys(results: AuditResults, pattern: RegExp): string[] {
  return [...new Set(results.summaries.flatMap((s) => Object.keys(s.metrics).filter((key) => pattern.test(key))))];
}

/** "fewShot.5way@5.accuracy" → "5-way 5-shot". */
function fewShotLabel(key: string): string {
  const match = /^fewShot\.(\d+)way@(\d+)\.accuracy$/.exec(key);
  return match ? `${match[1]}-way ${match[2]}-shot` : key;
}

/** One row per backbone with the headline numbers of each family. */
export function summaryTable(results: AuditResults): Table {
  const imageSize = results.manifest.dataset.imageShape[0] ?? 0;
  const unnormalised = usesUnnormalisedHeadline(imageSize);
  const hasCorruption = results.summaries.some((s) => 'corruption.meanError' in s.metrics);
  const levels = attackLevels(results);
  const labelDrops = [
    ['labelNoise.meanDrop', 'label-noise drop'],
    ['imbalance.meanDrop', 'imbalance drop'],
  ].filter(([key]) => results.summaries.some((s) => key! in s.metrics));
  const fewShot = summaryKeys(results, /^fewShot\..+\.accuracy$/);
  const header = ['backbone', 'kind', 'clean acc.'];
  if (hasCorruption) header.push('corruption mean error', unnormalised ? 'mCE (vs ref.)' : '**mCE** (vs ref.)', 'rel. mCE');
  for (const [norm, eps] of levels) {
    for (const e of eps) header.push(`${norm} ε=${e}`);
    header.push(`${norm} AUC`);
  }
  for (const [, label] of labelDrops) header.push(`${label}, points`);
  for (const key of fewShot) header.push(fewShotLabel(key));
  const rows = results.summaries.map((summary) => {
    const m = summary.metrics;
    const backbone = results.backbones.find((b) => b.id === summary.backbone);
    const row = [summary.backbone + (results.reference === summary.backbone ? ' (ref.)' : ''), backbone ? `${backbone.kind} (${backbone.method})` : '', percent(m['clean.accuracy'])];
    if (hasCorruption) row.push(percent(m['corruption.meanError']), ratio(m['corruption.mce']), ratio(m['corruption.relativeMce']));
    for (const [norm, eps] of levels) {
      for (const e of eps) row.push(percent(m[`attack.${norm}@${e}.robustAccuracy`]));
      row.push(ratio(m[`attack.${norm}.auc`]));
    }
    for (const [key] of labelDrops) row.push(points(m[key!]));
    for (const key of fewShot) {
      const halfWidth = m[key.replace(/\.accuracy$/, '.halfWidth')];
      row.push(`${percent(m[key])}${halfWidth === null || halfWidth === undefined ? '' : ` ± ${(100 * halfWidth).toFixed(1)}`}`);
    }
    return row;
  });
  return { header, rows };
}

/** Mean accuracy per corruption group and severity, per backbone (clean at severity 0). */
export function corruptionGroupCurves(results: AuditResults): Map<string, Map<string, [number, number][]>> {
  const groups = new Map<string, Map<string, [number, number][]>>();
  for (const backbone of results.backbones) {
    const records = results.records.filter((r) => r.backbone === backbone.id && r.family === 'corruption' && r.metric === 'accuracy');
    const clean = results.records.find((r) => r.backbone === backbone.id && r.family === 'clean' && r.metric === 'accuracy');
    const byGroup = new Map<string, Map<number, number[]>>();
    for (const record of records) {
      const group = corruptions.has(record.name) ? corruptions.get(record.name).group : 'other';
      const bySeverity = byGroup.get(group) ?? new Map<number, number[]>();
      byGroup.set(group, bySeverity);
      bySeverity.set(record.level ?? 0, [...(bySeverity.get(record.level ?? 0) ?? []), record.value]);
    }
    for (const [group, bySeverity] of byGroup) {
      const curve: [number, number][] = [...bySeverity.entries()].map(([s, values]) => [s, values.reduce((a, b) => a + b, 0) / values.length]);
      if (clean) curve.push([0, clean.value]);
      const perBackbone = groups.get(group) ?? new Map<string, [number, number][]>();
      groups.set(group, perBackbone);
      perBackbone.set(backbone.id, curve.sort((a, b) => a[0] - b[0]));
    }
  }
  const order = (group: string) => (CORRUPTION_GROUPS as readonly string[]).indexOf(group) >>> 0;
  return new Map([...groups].sort((a, b) => order(a[0]) - order(b[0])));
}

/** A test of a label family and, per backbone, its accuracy against the test's level. */
export interface LabelCurve {
  readonly title: string;
  readonly xLabel: string;
  readonly perBackbone: ReadonlyMap<string, [number, number][]>;
}

/**
 * Accuracy vs noise rate (rate 0: the same probe on clean labels), vs imbalance ratio (ρ = 1:
 * the balanced train part) and vs shots, one curve per test and backbone.
 */
export function labelCurves(results: AuditResults): LabelCurve[] {
  const families = [
    { family: 'label-noise', reference: 'clean-labels', referenceLevel: 0, title: (name: string) => `Label noise: ${name}`, xLabel: 'noise rate (0 = clean labels)' },
    { family: 'imbalance', reference: 'balanced', referenceLevel: 1, title: (name: string) => `Class imbalance: ${name}`, xLabel: 'imbalance ratio ρ (1 = balanced)' },
    { family: 'few-shot', reference: null, referenceLevel: 0, title: (name: string) => `Few-shot: ${name.replace(/^(\d+)way$/, '$1-way')}`, xLabel: 'shots per class' },
  ];
  return families.flatMap(({ family, reference, referenceLevel, title, xLabel }) => {
    const records = results.records.filter((r) => r.family === family && r.metric === 'accuracy');
    const names = [...new Set(records.filter((r) => r.name !== reference).map((r) => r.name))];
    return names.map((name) => {
      const perBackbone = new Map<string, [number, number][]>();
      for (const backbone of results.backbones) {
        const curve: [number, number][] = records.filter((r) => r.backbone === backbone.id && r.name === name).map((r) => [r.level as number, r.value]);
        const base = records.find((r) => r.backbone === backbone.id && r.name === reference);
        if (base && curve.length > 0) curve.push([referenceLevel, base.value]);
        if (curve.length > 0) perBackbone.set(backbone.id, curve.sort((a, b) => a[0] - b[0]));
      }
      return { title: title(name), xLabel, perBackbone };
    });
  });
}

/** The notes on cells that hold no result, each sentence once (the same data fact may concern every backbone). */
export function notesList(results: AuditResults): string[] {
  return [...new Set((results.notes ?? []).map((note) => note.text))];
}
