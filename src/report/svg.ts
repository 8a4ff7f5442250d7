/** Escapes text for XML and HTML. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [x: number, y: number])[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Tick labels of x, when levels are categories (severities) rather than a scale. */
  readonly xTicks?: readonly number[];
}

/** Colour-blind-safe palette (Okabe–Ito). */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

const WIDTH = 360;
const HEIGHT = 240;
const MARGIN = { left: 48, right: 12, top: 28, bottom: 40 };

function tickLabel(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}

/** A line chart of accuracy-like values (y in [0, 1]) as a standalone SVG string, drawn without any library. */
export function lineChartSvg(chart: LineChart): string {
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const xMin = Math.min(...xs, ...(chart.xTicks ?? []));
  const xMax = Math.max(...xs, ...(chart.xTicks ?? []));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (xMax > xMin ? ((x - xMin) / (xMax - xMin)) * plotW : plotW / 2);
  const sy = (y: number) => MARGIN.top + (1 - Math.min(1, Math.max(0, y))) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${WIDTH / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(chart.title)}</text>`);
  for (const y of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 4}" y="${sy(y) + 4}" text-anchor="end" font-size="10">${Math.round(y * 100)}%</text>`);
  }
  const ticks = chart.xTicks ?? [...new Set(xs)].sort((a, b) => a - b);
  for (const x of ticks) {
    parts.push(`<text x="${sx(x)}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle" font-size="10">${tickLabel(x)}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#444"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${sy(0)}" y2="${sy(1)}" stroke="#444"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="11">${escapeXml(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((series, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    const points = [...series.points].sort((a, b) => a[0] - b[0]);
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const [x, y] of points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${colour}"><title>${escapeXml(`${series.name}: ${tickLabel(x)} → ${(100 * y).toFixed(1)}%`)}</title></circle>`);
    const legendY = MARGIN.top + 4 + k * 13;
    parts.push(`<rect x="${WIDTH - MARGIN.right - 110}" y="${legendY - 8}" width="10" height="3" fill="${colour}"/>`);
    parts.push(`<text x="${WIDTH - MARGIN.right - 96}" y="${legendY - 4}" font-size="10">${escapeXml(series.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" role="img" aria-label="${escapeXml(chart.title)}">${parts.join('')}</svg>`;
}
