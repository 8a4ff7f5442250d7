import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { gate, normaliseMetric, parseRule } from '../../src/runner/audit/gate.js';
import type { AuditResults } from '../../src/runner/audit/results.js';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';

const folder = tempFolder();
const out = join(folder, 'audit');
const resultsFile = join(out, 'results.json');
let results: AuditResults;

const grid = ['--limit', '32', '--corruptions', 'contrast', '--severities', '5', '--attacks', 'fgsm:linf:0.1', '--attack-limit', '16'];

beforeAll(async () => {
  const run = await cli(['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', ...grid, '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  results = JSON.parse(readFileSync(resultsFile, 'utf8')) as AuditResults;
});

describe('gate rules', () => {
  it('parse into backbone, metric, comparison and threshold', () => {
    expect(parseRule('clean.accuracy>=0.9')).toEqual({ text: 'clean.accuracy>=0.9', backbone: null, metric: 'clean.accuracy', comparison: '>=', threshold: 0.9 });
    expect(parseRule(' fmnist-cnn : attack.linf@8/255.robustAccuracy < 1/2 ')).toMatchObject({ backbone: 'fmnist-cnn', metric: `attack.linf@${8 / 255}.robustAccuracy`, comparison: '<', threshold: 0.5 });
    expect(normaliseMetric('attack.linf@0.10.robustAccuracy')).toBe('attack.linf@0.1.robustAccuracy');
    expect(() => parseRule('clean.accuracy ~ 3')).toThrow(/expected \[backbone:\]metric OP number/);
    expect(() => parseRule('clean.accuracy >= high')).toThrow(/'high' is not a number/);
  });

  it('say which rule failed and by how much', () => {
    const clean = results.summaries[0]!.metrics['clean.accuracy']!;
    const report = gate(results, ['clean.accuracy>=0.5', `clean.accuracy>${clean + 0.1}`, 'attack.linf@0.10.robustAccuracy<=1']);
    expect(report.passed).toBe(false);
    expect(report.outcomes.map((o) => o.passed)).toEqual([true, false, true]);
    expect(report.outcomes[1]!.margin).toBeCloseTo(-0.1, 10);
    expect(report.outcomes[1]!.message).toMatch(/^FAIL fmnist-cnn: clean\.accuracy = 0\.\d+, needs > 0\.\d+ \(off by 0\.1\)$/);
    expect(() => gate(results, ['corruption.mcee<=1'])).toThrow(/no metric 'corruption.mcee' in the results \(e\.g\. corruption\.meanError/);
    expect(() => gate(results, ['other:clean.accuracy>=0'])).toThrow(/no backbone 'other' in the results \(have fmnist-cnn\)/);
  });
});

describe('ssl-robust gate', () => {
  it('exits 0 when every rule holds', async () => {
    const run = await cli(['gate', '--results', resultsFile, '--rule', 'clean.accuracy>=0.5', '--rule', 'corruption.mce<=1.0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^pass fmnist-cnn: clean\.accuracy = 0\.\d+ >= 0\.5$/m);
    expect(run.stdout).toMatch(/gate: passed \(2\/2 checks hold\)/);
  });

  it('exits 1 when a rule fails, writing the failure to stdout and JUnit', async () => {
    const junit = join(folder, 'gate.xml');
    const run = await cli(['gate', '--results', resultsFile, '--rule', 'clean.accuracy>=0.5', '--rule', 'attack.linf@0.1.robustAccuracy>=0.99', '--junit', junit]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL fmnist-cnn: attack\.linf@0\.1\.robustAccuracy = [0-9.]+, needs >= 0\.99 \(off by [0-9.]+\)/);
    expect(run.stdout).toMatch(/gate: FAILED \(1\/2 checks hold\)/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="ssl-robust gate" tests="2" failures="1"/);
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toMatch(/<testcase classname="ssl-robust.gate" name="fmnist-cnn: attack.linf@0.1.robustAccuracy&gt;=0.99" time="0"><failure message="FAIL/);
  });

  it('takes rules from a config file', async () => {
    const config = join(folder, 'rules.yaml');
    writeFileSync(config, 'gate:\n  - "clean.accuracy>=0.99"\n');
    const run = await cli(['gate', '--results', resultsFile, '--config', config, '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ passed: false, outcomes: [{ rule: 'clean.accuracy>=0.99', passed: false }] });
  });

  it.each([
    [['--results', '/no/such.json', '--rule', 'clean.accuracy>=0'], /\/no\/such\.json: no such file/],
    [['--rule', 'clean.accuracy=>0.9'], /gate rule 'clean\.accuracy=>0\.9': expected/],
    [[], /no gate rules: give --rule/],
    [['--rule', 'clean.acc>=0.9'], /no metric 'clean\.acc' in the results \(e\.g\. clean\.accuracy\)/],
  ])('exits 2 on bad input %j with one line', async (extra, message) => {
    const run = await cli(['gate', ...(extra.includes('--results') ? [] : ['--results', resultsFile]), ...extra]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 on a file that is not a results file', async () => {
    const bad = join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ schemaVersion: 1, records: [] }));
    const run = await cli(['gate', '--results', bad, '--rule', 'clean.accuracy>=0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.json: not an ssl-robust results file/);
  });

  it('audit --gate audits and gates in one step (resuming the finished audit), exit 1 on failure', async () => {
    const run = await cli(['--backend', 'wasm', 'audit', '--model', 'fmnist-cnn', ...grid, '--out', out, '--resume', '--gate', 'clean.accuracy>=0.99', '--gate', 'corruption.meanError<=0.99']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/resumed: \d+ finished cell\(s\) taken from the journal, 0 run now/);
    expect(run.stdout).toMatch(/FAIL fmnist-cnn: clean\.accuracy/);
    expect(run.stdout).toMatch(/gate: FAILED/);
    const written = JSON.parse(readFileSync(resultsFile, 'utf8')) as AuditResults;
    expect(written.gate?.passed).toBe(false);
    expect(written.records).toEqual(results.records);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/tests="2" failures="1"/);
  });
});
