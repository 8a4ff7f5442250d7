import type { PreviewSection } from '../runner/audit/previews.js';
import type { AuditResults } from '../runner/audit/results.js';
import { markdownReport } from './markdown.js';
import { lineChartSvg, escapeXml, type Series } from './svg.js';
import { attackLevels, corruptionGroupCurves, labelCurves, notesList, percent, summaryTable, verdictTable, type Table } from './tables.js';

function htmlTable(table: Table): string {
  const cell = (text: string) => escapeXml(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  return `<table><thead><tr>${table.header.map((h) => `<th>${cell(h)}</th>`).join('')}</tr></thead><tbody>${table.rows
    .map((row) => `<tr>${row.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Robust accuracy vs ε per norm (worst case over attacks), ε = 0 being clean accuracy on the attacked images. */
function attackCharts(results: AuditResults): string[] {
  return [...attackLevels(results)].map(([norm, eps]) => {
    const series: Series[] = results.summaries.map((summary) => {
      const clean = results.records.find((r) => r.backbone === summary.backbone && r.family === 'clean' && r.metric === 'accuracy');
      const points = eps.flatMap((e) => {
        const value = summary.metrics[`attack.${norm}@${e}.robustAccuracy`];
        return value === null || value === undefined ? [] : [[e, value] as const];
      });
      return { name: summary.backbone, points: clean && !eps.includes(0) ? [[0, clean.value] as const, ...points] : points };
    });
    return lineChartSvg({ title: `Robust accuracy vs ε (${norm})`, xLabel: 'ε', yLabel: 'accuracy', series });
  });
}

/** Accuracy vs level for families without a dedicated chart (label noise, imbalance, few-shot…). */
function genericCharts(results: AuditResults): string[] {
  const families = [...new Set(results.records.map((r) => r.family))].filter((f) => !['clean', 'corruption', 'attack', 'label-noise', 'imbalance', 'few-shot'].includes(f));
  return families.flatMap((family) => {
    const records = results.records.filter((r) => r.family === family && r.level !== null && /accuracy$/i.test(r.metric));
    const names = [...new Set(records.map((r) => `${r.name} · ${r.metric}`))];
    return names.map((name) => {
      const series = results.backbones.map((b) => ({
        name: b.id,
        points: records.filter((r) => r.backbone === b.id && `${r.name} · ${r.metric}` === name).map((r) => [r.level as number, r.value] as const),
      }));
      return lineChartSvg({ title: `${family}: ${name}`, xLabel: 'level', yLabel: 'accuracy', series });
    });
  });
}

function labelCharts(results: AuditResults): string[] {
  return labelCurves(results).map((curve) =>
    lineChartSvg({ title: curve.title, xLabel: curve.xLabel, yLabel: 'accuracy', series: [...curve.perBackbone].map(([name, points]) => ({ name, points })) }),
  );
}

function corruptionCharts(results: AuditResults): string[] {
  return [...corruptionGroupCurves(results)].map(([group, perBackbone]) =>
    lineChartSvg({
      title: `Accuracy vs severity: ${group}`,
      xLabel: 'severity (0 = clean)',
      yLabel: 'accuracy',
      series: [...perBackbone].map(([name, points]) => ({ name, points })),
    }),
  );
}

/** Accuracy of every corruption at every severity, one row per corruption and backbone. */
function corruptionDetail(results: AuditResults): Table | null {
  const records = results.records.filter((r) => r.family === 'corruption' && r.metric === 'accuracy');
  if (records.length === 0) return null;
  const severities = [...new Set(records.map((r) => r.level as number))].sort((a, b) => a - b);
  const keys = [...new Set(records.map((r) => `${r.name}\u0000${r.backbone}`))];
  return {
    header: ['corruption', 'backbone', ...severities.map((s) => `s${s}`)],
    rows: keys.map((key) => {
      const [name, backbone] = key.split('\u0000') as [string, string];
      return [name, backbone, ...severities.map((s) => percent(records.find((r) => r.name === name && r.backbone === backbone && r.level === s)?.value))];
    }),
  };
}

function previewHtml(sections: readonly PreviewSection[]): string {
  return sections
    .map((section) => {
      const head = `<tr><th></th>${section.columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
      const rows = section.rows
        .map((row) => `<tr><th class="row">${escapeXml(row.label)}</th>${row.images.map((src) => `<td><img class="px" src="${src}" alt="${escapeXml(row.label)}"></td>`).join('')}</tr>`)
        .join('');
      return `<h3>${escapeXml(section.title)}</h3><table class="preview">${head}${rows}</table>`;
    })
    .join('');
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts svg{border:1px solid #eee;background:#fff}
.preview td,.preview th{padding:2px;border:none;text-align:center}.preview th.row{text-align:right;font-weight:normal;padding-right:.5rem}
img.px{width:84px;height:84px;image-rendering:pixelated}
.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}code,pre{background:#f6f8fa;padding:.1rem .3rem}
details pre{white-space:pre-wrap;font-size:.8rem}`;

/** report.html: one self-contained page (inline CSS, SVG charts, PNG data URIs; no script, no network). */
export function htmlReport(results: AuditResults, previews: readonly PreviewSection[]): string {
  const { manifest } = results;
  const gate = results.gate
    ? `<h2>Release gate: <span class="${results.gate.passed ? 'pass' : 'fail'}">${results.gate.passed ? 'passed' : 'failed'}</span></h2><ul>${results.gate.outcomes
        .map((o) => `<li class="${o.passed ? 'pass' : 'fail'}"><code>${escapeXml(o.rule)}</code>: ${escapeXml(o.message)}</li>`)
        .join('')}</ul>`
    : '';
  const detail = corruptionDetail(results);
  const charts = (title: string, svgs: string[]) => (svgs.length ? `<h2>${escapeXml(title)}</h2><div class="charts">${svgs.join('')}</div>` : '');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssl-robust audit</title><style>${STYLE}</style></head>
<body>
<h1>ssl-robust audit</h1>
<p>${results.backbones.length} backbone(s) on <strong>${escapeXml(manifest.dataset.name)}</strong> (${escapeXml(manifest.dataset.split)}, ${manifest.dataset.size} images,
sha256 <code>${manifest.dataset.sha256.slice(0, 12)}…</code>); backend ${escapeXml(manifest.backend.name)}${manifest.backend.adapter ? ` (${escapeXml(manifest.backend.adapter)})` : ''};
seed ${manifest.seed}; ssl-robust ${escapeXml(manifest.tool.version)}; ${escapeXml(manifest.startedAt)} – ${escapeXml(manifest.finishedAt)}.</p>
<h2>Is SSL more robust than supervised?</h2>
${htmlTable(verdictTable(results))}
<p>Degradation is the accuracy lost from clean within each family; the interval is a paired bootstrap over test images. Negative differences mean the SSL backbones lose less.</p>
<h2>Per backbone</h2>
${htmlTable(summaryTable(results))}
${notesList(results).length ? `<h3>Notes</h3><ul>${notesList(results).map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>` : ''}
${gate}
${charts('Corruptions', corruptionCharts(results))}
${charts('Adversarial robustness', attackCharts(results))}
${charts('Label noise, class imbalance and few-shot (probes on frozen embeddings)', labelCharts(results))}
${charts('Other families', genericCharts(results))}
${previews.length ? `<h2>Examples</h2>${previewHtml(previews)}` : ''}
${detail ? `<h2>Every corruption and severity</h2>${htmlTable(detail)}` : ''}
<h2>Manifest</h2>
<details><summary>models, configuration and the markdown summary</summary>
${htmlTable({ header: ['backbone', 'kind', 'method', 'sha256', 'parameters'], rows: manifest.models.map((m) => {
    const b = results.backbones.find((x) => x.id === m.id);
    return [m.id, b?.kind ?? '', b?.method ?? '', `${m.sha256.slice(0, 16)}…`, String(m.parameterCount)];
  }) })}
<pre>${escapeXml(JSON.stringify(manifest.config, null, 2))}</pre>
<pre>${escapeXml(markdownReport(results))}</pre>
</details>
</body></html>
`;
}
