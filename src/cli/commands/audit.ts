import { InvalidArgumentError, Option, type Command } from 'commander';
import { messageOf } from '../../errors.js';
import { DEFAULT_OUT, readConfigFile, resolveAuditConfig, type AuditRequest } from '../../runner/audit/config.js';
import { auditFamilies } from '../../runner/audit/families/index.js';
import { parseShard, type Shard } from '../../runner/audit/plan.js';
import { VERDICT_WORDS, type AuditResults } from '../../runner/audit/results.js';
import { runAudit, type AuditProgress } from '../../runner/audit/run.js';
import { parsePositiveInt } from '../options.js';
import type { CommandHost } from '../program.js';
import type { CliIo } from '../progress.js';

interface AuditCliOptions {
  model?: string[];
  config?: string;
  data?: string;
  split?: 'train' | 'test';
  limit?: number;
  families?: string;
  protocol?: 'linear' | 'knn';
  reference?: string;
  batchSize?: number;
  bootstrap?: number;
  out?: string;
  quick?: boolean;
  resume?: boolean;
  overwrite?: boolean;
  shard?: Shard;
  gate?: string[];
  [flag: string]: unknown;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function wrap<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      throw new InvalidArgumentError(messageOf(error));
    }
  };
}

/** The camel-case name commander gives a flag's value ("--attack-limit <n>" → attackLimit). */
function attributeOf(flags: string): string {
  const long = /--([a-z0-9-]+)/.exec(flags)![1]!;
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A progress line on a terminal: cells done, the cell in flight and its share done, elapsed and eta. */
function auditProgress(io: CliIo, quiet: boolean): { update: (p: AuditProgress) => void; finish: () => void } {
  if (quiet || !io.stderrIsTTY) return { update: () => undefined, finish: () => undefined };
  const started = performance.now();
  let drawn = false;
  let firstFraction: number | null = null;
  return {
    update(p) {
      const fraction = p.cellsTotal ? (p.cellsDone + (p.itemsTotal ? p.itemsDone / p.itemsTotal : 0)) / p.cellsTotal : 1;
      firstFraction ??= fraction;
      const elapsed = (performance.now() - started) / 1000;
      const width = 30;
      const filled = Math.round(width * Math.min(1, fraction));
      const progressed = fraction - firstFraction;
      const eta = progressed > 0 && fraction < 1 ? ` eta ${((elapsed * (1 - fraction)) / progressed).toFixed(0)}s` : '';
      io.stderr(`\raudit [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.cellsDone}/${p.cellsTotal} cells ${elapsed.toFixed(0)}s${eta} ${p.cell}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) io.stderr('\n');
    },
  };
}

/** What the audit printed at the end: where the files are, the verdict lines, the gate. */
export function printAuditSummary(io: CliIo, results: AuditResults, files: readonly string[]): void {
  if (!results.complete) {
    const shard = results.manifest.shard;
    io.stdout(`shard ${shard?.index}/${shard?.count}: ${results.records.length} records in ${files[0]}\n`);
    io.stdout('merge the shard folders with: ssl-robust merge <folder>… --out <folder>\n');
    return;
  }
  for (const summary of results.summaries) {
    const clean = summary.metrics['clean.accuracy'];
    io.stdout(`${summary.backbone}: clean accuracy ${clean === null || clean === undefined ? '–' : `${(100 * clean).toFixed(1)}%`}\n`);
  }
  for (const verdict of results.verdict) {
    const detail = verdict.outcome === 'not-applicable'
      ? verdict.reason
      : `SSL − supervised degradation ${(100 * verdict.difference!).toFixed(1)} points, 95% CI [${(100 * verdict.ci95![0]).toFixed(1)}, ${(100 * verdict.ci95![1]).toFixed(1)}]`;
    io.stdout(`${verdict.title}: ${VERDICT_WORDS[verdict.outcome]} (${detail})\n`);
  }
  if (results.gate) {
    for (const outcome of results.gate.outcomes) io.stdout(`${outcome.message}\n`);
    io.stdout(`gate: ${results.gate.passed ? 'passed' : 'FAILED'}\n`);
  }
  const report = files.find((f) => f.endsWith('report.html'));
  io.stdout(`report: ${report ?? files[0]}\n`);
}

export function registerAuditCommand(program: Command, host: CommandHost): void {
  const command = program
    .command('audit')
    .description('the full robustness audit: backbones × corruptions, attacks (and label families), SSL-vs-supervised verdict, reports')
    .option('--model <name=path[:kind]>', 'a backbone (repeatable): bundled name or model path, kind ssl|supervised unless its card says (default: every bundled model)', collect)
    .option('--config <file>', 'a YAML or JSON config file (flags override it; it overrides the defaults)')
    .option('--data <path|name>', 'dataset (default fashion-mnist-subset, the bundled 2,000 images)')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']))
    .option('--limit <n>', 'evaluate the first n images (default 500; --quick 200)', parsePositiveInt)
    .option('--families <list>', `families to run, comma-separated (default all: ${auditFamilies.ids().join(', ')})`)
    .addOption(new Option('--protocol <name>', 'label families: how a classifier is fitted on features').choices(['linear', 'knn']))
    .option('--reference <backbone>', 'backbone that mCE is normalised by (default: the first supervised one)')
    .option('--batch-size <n>', 'images per batch (default 256)', parsePositiveInt)
    .option('--bootstrap <n>', 'bootstrap resamples for the verdict intervals (default 1000)', parsePositiveInt)
    .option('--out <dir>', `output folder (default ${DEFAULT_OUT})`)
    .option('--quick', 'a smaller grid that runs in about a minute')
    .option('--resume', 'continue the audit in --out, skipping finished cells')
    .option('--overwrite', 'start again even if --out holds an audit')
    .option('--shard <i/n>', 'run only the i-th of n deterministic shares of the cells (merge them with ssl-robust merge)', wrap(parseShard))
    .option('--gate <rule>', 'a release rule such as "clean.accuracy>=0.9" (repeatable); exit code 1 if one fails', collect);
  for (const family of auditFamilies.list()) {
    for (const flag of family.flags) command.option(flag.flags, `${family.id}: ${flag.description}`, wrap(flag.parse));
  }
  command.action(async (options: AuditCliOptions, cmd: Command) => {
    const { io, globals } = host.contextFor(cmd);
    const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
    const fromCli = (name: string) => ['cli', 'env'].includes(cmd.parent?.getOptionValueSource(name) ?? '');
    const file: AuditRequest = options.config ? readConfigFile(options.config) : {};
    const familyFlags: Record<string, Record<string, unknown>> = {};
    for (const family of auditFamilies.list()) {
      for (const flag of family.flags) {
        const value = options[attributeOf(flag.flags)];
        if (value !== undefined) familyFlags[family.id] = { ...familyFlags[family.id], [flag.key]: value };
      }
    }
    const flags: AuditRequest = {
      ...(options.model ? { models: options.model } : {}),
      ...(options.data ? { data: options.data } : {}),
      ...(options.split ? { split: options.split } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.families ? { families: options.families } : {}),
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.reference ? { reference: options.reference } : {}),
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
      ...(options.gate ? { gate: options.gate } : {}),
      ...(options.quick ? { quick: true } : {}),
      ...(fromCli('seed') ? { seed: globals.seed } : {}),
      ...(fromCli('backend') ? { backend: globals.backend } : {}),
      ...familyFlags,
    };
    const config = resolveAuditConfig(file, flags);
    const out = options.out ?? (file.out as string | undefined) ?? DEFAULT_OUT;
    const bar = auditProgress(io, globals.quiet);
    const outcome = await runAudit(config, {
      out,
      resume: options.resume ?? false,
      overwrite: options.overwrite ?? false,
      shard: options.shard ?? null,
      onProgress: bar.update,
      onNote: note,
      env: io.env,
    }).finally(() => bar.finish());
    if (outcome.cellsSkipped > 0) note(`resumed: ${outcome.cellsSkipped} finished cell(s) taken from the journal, ${outcome.cellsRun} run now`);
    printAuditSummary(io, outcome.results, outcome.files);
    if (outcome.results.gate && !outcome.results.gate.passed) host.setExitCode(1);
  });
}
