/** The reports of a real audit: markdown for a PR comment, one self-contained HTML page, JUnit XML. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditResults } from '../../src/runner/audit/results.js';
import { lineChartSvg } from '../../src/report/svg.js';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';
import { TINY_GRID, TWIN_MODELS } from '../audit/tiny.js';

const folder = tempFolder();
const out = join(folder, 'audit');
let results: AuditResults;
const read = (name: string) => readFileSync(join(out, name), 'utf8');

beforeAll(async () => {
  const run = await cli(['--backend', 'wasm', 'audit', ...TWIN_MODELS, ...TINY_GRID, '--out', out, '--gate', 'clean.accuracy>=0.5', '--gate', 'twin-sup:attack.linf@0.05.robustAccuracy>=0.9']);
  expect(run.code).toBe(1);
  results = JSON.parse(read('results.json')) as AuditResults;
});

describe('report.md', () => {
  it('is short enough for a pull-request comment and carries the verdict, the backbones and the gate', () => {
    const md = read('report.md');
    expect(md.split('\n').length).toBeLessThan(40);
    expect(md).toMatch(/\| family \| SSL degradation \| supervised degradation \| difference \(SSL − sup\.\), points \| 95% CI \| verdict \|/);
    expect(md).toMatch(/\| Common corruptions \| \d+\.\d% \| \d+\.\d% \| \+0\.0 \| \[\+0\.0, \+0\.0\] \| \*\*no clear difference\*\* \|/);
    expect(md).toMatch(/\| twin-sup \(ref\.\) \| supervised \(cross-entropy\) \| \d+\.\d% \|/);
    expect(md).toMatch(/unnormalised mean corruption error, as in CIFAR-10-C practice/);
    expect(md).toMatch(/### Release gate: \*\*failed\*\*/);
    expect(md).toMatch(/❌ `twin-sup:attack\.linf@0\.05\.robustAccuracy>=0\.9` — FAIL twin-sup/);
  });
});

describe('junit.xml', () => {
  it('has one test case per gate rule and backbone', () => {
    const xml = read('junit.xml');
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    expect(xml).toMatch(/<testsuite name="ssl-robust gate" tests="3" failures="1"/);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(results.gate?.outcomes).toHaveLength(3);
  });
});

describe('report.html', () => {
  it('is one self-contained page: inline styles, SVG charts, images as data URIs, no script, no network', () => {
    const html = read('report.html');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|<iframe|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    for (const src of html.match(/src="[^"]*"/g) ?? []) expect(src).toMatch(/^src="data:image\/png;base64,/);
    expect(html).toMatch(/Accuracy vs severity: noise/);
    expect(html).toMatch(/Accuracy vs severity: digital/);
    expect(html).toMatch(/Robust accuracy vs ε \(linf\)/);
    expect(html.match(/<svg /g)!.length).toBe(3);
    // Previews: 4 images per row; clean + 2 corruptions, clean + 2 backbones' adversarial rows.
    expect(html.match(/<img class="px"/g)).toHaveLength(4 * 6);
    expect(html).toMatch(/twin-ssl: pgd ε=0\.05/);
    expect(html).toMatch(/<h2>Release gate: <span class="fail">failed<\/span><\/h2>/);
  });

  it('charts plot one line per backbone within the axes', () => {
    const svg = lineChartSvg({ title: 'a <b>', xLabel: 'x', yLabel: 'y', series: [{ name: 'one', points: [[0, 1], [5, 0]] }, { name: 'two', points: [[0, 0.5], [5, 0.25]] }] });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('a &lt;b&gt;');
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    // y = 1 at the top of the plot (28 px), y = 0 at its bottom (200 px); x spans 48 to 348.
    expect(svg).toContain('points="48.0,28.0 348.0,200.0"');
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
  it.skipIf(!chromium)('renders in headless Chromium with no console errors (screenshot kept in .test-output/)', async () => {
    // A copy of the page with a probe that writes every error (script, resource, console.error) into the DOM.
    const probe = `<script>window.__errors=[];addEventListener('error',function(e){__errors.push(String(e.message||(e.target&&(e.target.src||e.target.tagName))))},true);` +
      `var ce=console.error;console.error=function(){__errors.push([].join.call(arguments,' '));ce.apply(console,arguments)};` +
      `addEventListener('load',function(){[].forEach.call(document.images,function(i){if(!i.complete||i.naturalWidth===0)__errors.push('image failed: '+i.alt)});` +
      `var p=document.createElement('pre');p.id='probe';p.textContent='ERRORS='+JSON.stringify(__errors)+' SVG='+document.querySelectorAll('svg').length+' IMG='+document.images.length;document.body.appendChild(p)})</script>`;
    const page = join(folder, 'probed.html');
    writeFileSync(page, read('report.html').replace('<head>', `<head>${probe}`));
    const artefacts = resolve('.test-output');
    mkdirSync(artefacts, { recursive: true });
    const screenshot = join(artefacts, 'report-screenshot.png');
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000'];
    const run = promisify(execFile);
    const dom = await run(chromium!, [...flags, '--dump-dom', `file://${page}`], { timeout: 90_000, maxBuffer: 64 << 20 });
    const probeText = /<pre id="probe">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
    expect(probeText, 'the probe did not run').toBeDefined();
    expect(probeText).toBe('ERRORS=[] SVG=3 IMG=24');
    expect(dom.stderr).not.toMatch(/Uncaught|CONSOLE\(\d+\)].*error/i);
    await run(chromium!, [...flags, '--window-size=1200,2400', `--screenshot=${screenshot}`, `file://${join(out, 'report.html')}`], { timeout: 90_000 });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  });
});
