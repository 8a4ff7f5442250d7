import { ensure } from '../../errors.js';
import type { AuditResults, GateOutcome } from './results.js';

export type Comparison = '>=' | '<=' | '>' | '<' | '==';

/** A release rule such as "clean.accuracy>=0.9" or "fmnist-cnn:attack.linf@0.1.robustAccuracy>0.2". */
export interface GateRule {
  readonly text: string;
  /** Only this backbone; every backbone that has the metric when null. */
  readonly backbone: string | null;
  readonly metric: string;
  readonly comparison: Comparison;
  readonly threshold: number;
}

const RULE = /^\s*(?:([A-Za-z0-9][A-Za-z0-9._-]*)\s*:\s*)?([A-Za-z][A-Za-z0-9_.@/+-]*?)\s*(>=|<=|==|>|<)\s*(\S+)\s*$/;

function parseNumber(text: string): number {
  const fraction = /^([0-9.eE+-]+)\/([0-9.eE+-]+)$/.exec(text);
  return fraction ? Number(fraction[1]) / Number(fraction[2]) : text === '' ? NaN : Number(text);
}

/** Writes every "@level" of a metric name the way summaries do, so "@0.10" and "@8/255" match. */
export function normaliseMetric(metric: string): string {
  return metric.replace(/@([0-9.eE+-]+(?:\/[0-9.eE+-]+)?)(?=\.|$)/g, (whole, level: string) => {
    const value = parseNumber(level);
    return Number.isFinite(value) ? `@${String(value)}` : whole;
  });
}

/** Parses one rule; a malformed one is a user error naming the expected form. */
export function parseRule(text: string): GateRule {
  const match = RULE.exec(text);
  ensure(match, `gate rule '${text}': expected [backbone:]metric OP number with OP one of >= <= > < ==, e.g. "clean.accuracy>=0.9"`);
  const threshold = parseNumber(match[4]!);
  ensure(Number.isFinite(threshold), `gate rule '${text}': '${match[4]}' is not a number`);
  return { text: text.trim(), backbone: match[1] ?? null, metric: normaliseMetric(match[2]!), comparison: match[3] as Comparison, threshold };
}

function holds(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>=': return value >= threshold;
    case '<=': return value <= threshold;
    case '>': return value > threshold;
    case '<': return value < threshold;
    case '==': return Math.abs(value - threshold) <= 1e-12;
  }
}

/** How far past the threshold the value is, in the rule's direction (negative: failed by that much). */
function marginOf(value: number, comparison: Comparison, threshold: number): number {
  if (comparison === '==') return -Math.abs(value - threshold);
  return comparison.startsWith('>') ? value - threshold : threshold - value;
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
}

export interface GateReport {
  readonly passed: boolean;
  readonly outcomes: readonly GateOutcome[];
}

/**
 * Checks rules against a results file's summaries. Each rule applies to its backbone, or to
 * every backbone that has the metric; a metric no backbone has is a user error listing near names.
 */
export function gate(results: AuditResults, rules: readonly (string | GateRule)[]): GateReport {
  ensure(results.complete, 'these results are one shard\'s share: merge the shards (ssl-robust merge) before gating');
  const parsed = rules.map((rule) => (typeof rule === 'string' ? parseRule(rule) : rule));
  const outcomes = parsed.flatMap((rule): GateOutcome[] => {
    const summaries = results.summaries.filter((s) => rule.backbone === null || s.backbone === rule.backbone);
    ensure(summaries.length > 0, `gate rule '${rule.text}': no backbone '${rule.backbone}' in the results (have ${results.summaries.map((s) => s.backbone).join(', ')})`);
    const having = summaries.filter((s) => rule.metric in s.metrics);
    if (having.length === 0) {
      const all = [...new Set(results.summaries.flatMap((s) => Object.keys(s.metrics)))];
      const stem = rule.metric.split(/[.@]/)[0] ?? '';
      const near = all.filter((k) => k.startsWith(stem) && !/@.*@/.test(k)).slice(0, 12);
      ensure(false, `gate rule '${rule.text}': no metric '${rule.metric}' in the results (${near.length ? `e.g. ${near.join(', ')}` : `families: ${[...new Set(all.map((k) => k.split('.')[0]))].join(', ')}`})`);
    }
    return having.map((summary) => {
      const value = summary.metrics[rule.metric] ?? null;
      if (value === null) {
        return { rule: rule.text, backbone: summary.backbone, metric: rule.metric, value, passed: false, margin: null, message: `FAIL ${summary.backbone}: ${rule.metric} has no value (e.g. no reference backbone)` };
      }
      const passed = holds(value, rule.comparison, rule.threshold);
      const margin = marginOf(value, rule.comparison, rule.threshold);
      const message = passed
        ? `pass ${summary.backbone}: ${rule.metric} = ${format(value)} ${rule.comparison} ${format(rule.threshold)}`
        : `FAIL ${summary.backbone}: ${rule.metric} = ${format(value)}, needs ${rule.comparison} ${format(rule.threshold)} (off by ${format(Math.abs(margin))})`;
      return { rule: rule.text, backbone: summary.backbone, metric: rule.metric, value, passed, margin, message };
    });
  });
  return { passed: outcomes.every((o) => o.passed), outcomes };
}
