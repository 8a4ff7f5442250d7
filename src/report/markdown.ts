import type { AuditResults } from '../runner/audit/results.js';
import { usesUnnormalisedHeadline } from '../runner/audit/families/corruption.js';
import { notesList, summaryTable, verdictTable, type Table } from './tables.js';

export function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** report.md: short enough for a pull-request comment — the verdict, one row per backbone, the gate. */
export function markdownReport(results: AuditResults): string {
  const { manifest } = results;
  const imageSize = manifest.dataset.imageShape[0] ?? 0;
  const lines = [
    '## ssl-robust audit',
    '',
    `${results.backbones.length} backbone(s) on ${manifest.dataset.name} (${manifest.dataset.split}, ${manifest.dataset.size} images), ` +
      `backend ${manifest.backend.name}, seed ${manifest.seed}, ssl-robust ${manifest.tool.version}.`,
    '',
    '### Is SSL more robust than supervised?',
    '',
    markdownTable(verdictTable(results)),
    '',
    'Degradation: accuracy lost from clean, per family; the interval is a paired bootstrap over test images ' +
      `(${results.verdict.find((v) => v.resamples > 0)?.resamples ?? manifest.config.bootstrap} resamples). Negative differences mean SSL loses less.` +
      (results.verdict.some((v) => v.family === 'few-shot') ? ' Few-shot has no clean counterpart: its degradation is the episode error, resampled over episodes.' : ''),
    '',
    '### Per backbone',
    '',
    markdownTable(summaryTable(results)),
    '',
    usesUnnormalisedHeadline(imageSize)
      ? `Small images (${imageSize} px): the headline is the unnormalised mean corruption error, as in CIFAR-10-C practice; mCE is normalised by the reference backbone${results.reference ? ` (${results.reference})` : ''}, not AlexNet.`
      : `mCE and relative mCE are normalised by the reference backbone${results.reference ? ` (${results.reference})` : ''} in place of AlexNet.`,
  ];
  if (results.summaries.some((s) => Object.keys(s.metrics).some((k) => /^(labelNoise|imbalance|fewShot)\./.test(k)))) {
    lines.push(
      '',
      `Label families: a ${results.manifest.config.protocol} probe on each backbone's frozen embeddings, trained on half of the images (seeded, stratified) ` +
        'and scored on the other half; drops are against the same probe on clean, balanced labels. Few-shot: nearest prototype, mean ± 95% CI over episodes.',
    );
  }
  const notes = notesList(results);
  if (notes.length) lines.push('', '**Notes**', '', ...notes.map((note) => `- ${note}`));
  if (results.gate) {
    lines.push('', `### Release gate: ${results.gate.passed ? 'passed' : '**failed**'}`, '');
    for (const outcome of results.gate.outcomes) lines.push(`- ${outcome.passed ? '✅' : '❌'} \`${outcome.rule}\` — ${outcome.message}`);
  }
  lines.push('', 'Details, charts and example images: report.html; every number: results.json.', '');
  return lines.join('\n');
}
