import type { AuditResults } from '../runner/audit/results.js';
import { escapeXml } from './svg.js';

/** junit.xml: one test case per gate rule and backbone, so CI systems show each rule's pass or failure. */
export function junitReport(results: AuditResults): string {
  const outcomes = results.gate?.outcomes ?? [];
  const failures = outcomes.filter((o) => !o.passed).length;
  const cases = outcomes.map((o) => {
    const name = escapeXml(`${o.backbone}: ${o.rule}`);
    const body = o.passed ? '' : `<failure message="${escapeXml(o.message)}" type="gate">${escapeXml(o.message)}</failure>`;
    return `    <testcase classname="ssl-robust.gate" name="${name}" time="0">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ssl-robust" tests="${outcomes.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="ssl-robust gate" tests="${outcomes.length}" failures="${failures}" errors="0" skipped="0" timestamp="${escapeXml(results.manifest.finishedAt)}">`,
    `    <properties><property name="results" value="results.json"/><property name="rules" value="${outcomes.length ? 'given' : 'none (pass --gate or gate: in the config)'}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
