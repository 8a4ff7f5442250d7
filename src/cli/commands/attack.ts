import { InvalidArgumentError, Option, type Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import { attacks } from '../../attacks/catalogue.js';
import { evaluateRobustness } from '../../attacks/evaluate.js';
import { parseEpsList, resolveBudget } from '../../attacks/presets.js';
import { evaluateMinimalEps, MIN_EPS_DEFAULT_BISECTIONS, MIN_EPS_ID, resolveMinEps } from '../../attacks/min-eps.js';
import { sanityChecks, selectChecks, type CheckSelection } from '../../attacks/sanity/catalogue.js';
import type { BatchSizeChoice } from '../../attacks/batch-size.js';
import { parseTargetRule, type TargetRule } from '../../attacks/targets.js';
import { NORMS, type AnyAttack, type AttackOptions, type ExampleRecord, type Norm } from '../../attacks/types.js';
import { openDataset, type Split } from '../../data/open.js';
import { ensure, messageOf } from '../../errors.js';
import { loadClassifier } from '../../models/load.js';
import { inputMeanOption, inputStdOption, modelLoadOptions, parsePositiveInt, type ModelLoadFlags } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';

interface AttackCliOptions extends ModelLoadFlags {
  model: string;
  data: string;
  split: Split;
  attack: string;
  norm?: Norm;
  eps?: number[];
  preset?: string;
  steps?: number;
  restarts?: number;
  stepSize?: number;
  randomStart: boolean;
  queries?: number;
  targetClasses?: number;
  targeted?: TargetRule;
  bisections?: number;
  checks: CheckSelection;
  limit?: number;
  batchSize: BatchSizeChoice;
  json?: boolean;
}

function epsListOption(value: string): number[] {
  try {
    return parseEpsList(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

function checksOption(value: string): CheckSelection {
  const selection: CheckSelection = value === 'all' || value === 'quick' || value === 'none' ? value : value.split(',').map((id) => id.trim());
  try {
    selectChecks(selection);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
  return selection;
}

function targetRuleOption(value: string): TargetRule {
  try {
    return parseTargetRule(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

function batchSizeOption(value: string): BatchSizeChoice {
  return value === 'auto' ? 'auto' : parsePositiveInt(value);
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0.');
  return n;
}

const percent = (fraction: number) => `${(100 * fraction).toFixed(2)}%`;

/** How many images each attack (or ensemble member) broke, per ε. */
function countBrokenBy(records: readonly ExampleRecord[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const r of records) {
    if (!r.brokenBy) continue;
    const perEps = (counts[String(r.eps)] ??= {});
    perEps[r.brokenBy] = (perEps[r.brokenBy] ?? 0) + 1;
  }
  return counts;
}

/** The minimal-ε search takes PGD's steps and restarts and searches up to the largest ε given. */
function resolveMinEpsCli(budget: { eps: number[]; norm: Norm }, options: AttackOptions, bisections: number | undefined) {
  const { steps, restarts, ...rest } = options;
  const unsupported = Object.entries(rest).filter(([key, value]) => value !== undefined && key !== 'norm').map(([key]) => key);
  ensure(unsupported.length === 0, `min-eps does not take ${unsupported.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
  return resolveMinEps({
    norm: budget.norm,
    maxEps: Math.max(...budget.eps),
    ...(steps !== undefined ? { steps } : {}),
    ...(restarts !== undefined ? { restarts } : {}),
    ...(bisections !== undefined ? { bisections } : {}),
  });
}

export function registerAttackCommand(program: Command, host: CommandHost): void {
  program
    .command('attack')
    .description('robust accuracy of a model under an adversarial attack at one or more ε')
    .requiredOption('--model <path|name>', 'model.json (or its folder), a .onnx file, or a bundled model name')
    .addOption(inputMeanOption())
    .addOption(inputStdOption())
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder or a .npy file', 'fashion-mnist')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
    .requiredOption('--attack <id>', `the attack: ${[...attacks.ids(), MIN_EPS_ID].join(', ')}`)
    .addOption(new Option('--norm <norm>', 'threat model (default linf, or the preset\'s)').choices([...NORMS]))
    .option('--eps <list>', 'comma-separated ε values, e.g. 0.05,0.1 or 8/255 (no default: give --eps or --preset)', epsListOption)
    .option('--preset <name>', 'a named ε preset, e.g. fmnist-linf-0.1, cifar-linf-8/255')
    .option('--steps <n>', 'iterations (pgd 10, apgd 100, min-eps 20 per probe)', parsePositiveInt)
    .option('--restarts <n>', 'random restarts, worst case per image kept (default 1)', parsePositiveInt)
    .option('--step-size <x>', 'step size per iteration (pgd; default 2.5·ε/steps)', nonNegativeNumber)
    .option('--no-random-start', 'pgd: start at the clean image instead of a random point of the ε-ball')
    .option('--queries <n>', 'square: queries per image (default 5000)', parsePositiveInt)
    .option('--target-classes <n>', 'apgd-t: how many top wrong classes to target (default 9)', parsePositiveInt)
    .option('--targeted <rule>', 'targeted mode (fgsm, pgd, square): push each image towards a random other class, its least-likely class, or class N', targetRuleOption)
    .option('--bisections <n>', `min-eps: halvings of each image's ε interval (default ${MIN_EPS_DEFAULT_BISECTIONS})`, parsePositiveInt)
    .option('--checks <which>', `sanity checks: all, quick (no re-attacks), none, or ids (${sanityChecks.ids().join(', ')})`, checksOption, 'all')
    .option('--limit <n>', 'attack only the first n images, in file order', parsePositiveInt)
    .option('--batch-size <n|auto>', 'images per batch; auto: as many as fit 1 GiB of tensor memory, at most 256', batchSizeOption, 'auto')
    .option('--json', 'print one JSON object')
    .action(async (options: AttackCliOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      // Everything the user typed is checked before any model or data is loaded.
      const budget = resolveBudget({
        ...(options.eps ? { eps: options.eps } : {}),
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.norm ? { norm: options.norm } : {}),
      });
      const minEps = options.attack === MIN_EPS_ID;
      ensure(minEps || attacks.has(options.attack), `unknown attack '${options.attack}' (known: ${[...attacks.ids(), MIN_EPS_ID].join(', ')})`);
      const attack = minEps ? undefined : attacks.get(options.attack);
      const attackOptions: AttackOptions = {
        ...(options.norm || budget.preset ? { norm: budget.norm } : {}),
        ...(options.steps !== undefined ? { steps: options.steps } : {}),
        ...(options.restarts !== undefined ? { restarts: options.restarts } : {}),
        ...(options.stepSize !== undefined ? { stepSize: options.stepSize } : {}),
        ...(options.randomStart === false ? { randomStart: false } : {}),
        ...(options.queries !== undefined ? { queries: options.queries } : {}),
        ...(options.targetClasses !== undefined ? { targetClasses: options.targetClasses } : {}),
      };
      ensure(minEps || options.bisections === undefined, `${options.attack} does not take --bisections (only min-eps does)`);
      ensure(!minEps || options.targeted === undefined, 'min-eps has no targeted mode');
      ensure(
        options.targeted === undefined || attack === undefined || attack.targeted,
        () => `${options.attack} has no targeted mode (attacks with one: ${attacks.list().filter((a) => a.targeted).map((a) => a.id).join(', ')})`,
      );
      const minEpsParams = minEps ? resolveMinEpsCli(budget, attackOptions, options.bisections) : undefined;
      for (const eps of budget.eps) attack?.resolve(eps, attackOptions);

      const backend = await useBackend(globals.backend);
      const model = await loadClassifier(options.model, modelLoadOptions(options));
      try {
        const opened = await openDataset({ spec: options.data, split: options.split, imageSize: model.inputShape[0], env: io.env });
        if (opened.note) note(opened.note);
        for (const warning of model.info.warnings) io.stderr(`warning: ${warning}\n`);
        const dataset = options.limit ? opened.dataset.take(options.limit) : opened.dataset;
        const bar = progressBar(io, options.attack, globals.quiet);
        const header = {
          model: { name: model.name, file: model.info.file, sha256: model.info.sha256 },
          dataset: { ...dataset.info, size: dataset.size, note: opened.note ?? null },
          backend: { name: backend.name, adapter: backend.adapter ?? null },
          attack: options.attack,
          preset: budget.preset,
          seed: globals.seed,
        };
        /** One JSON object: what every attack reports, then what this one adds. */
        const printJson = (
          result: { cleanAccuracy: number; results: readonly unknown[]; batchSize: number; attackCost: number; seconds: number },
          extra: Record<string, unknown>,
        ) => {
          const { cleanAccuracy, results, batchSize, attackCost, seconds } = result;
          io.stdout(`${JSON.stringify({ ...header, cleanAccuracy, results, ...extra, batchSize, attackCost, seconds, warnings: model.info.warnings }, null, 2)}\n`);
        };
        const lines = [
          `model     ${model.info.file}`,
          `data      ${dataset.info.name} (${dataset.info.split}, ${dataset.size} images)`,
          `backend   ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}`,
        ];
        if (minEpsParams) {
          const result = await evaluateMinimalEps(model, dataset, {
            ...minEpsParams, eps: budget.eps, seed: globals.seed, batchSize: options.batchSize, onProgress: bar.update,
          });
          bar.finish();
          if (options.json) {
            printJson(result, { medianRadius: result.medianRadius, params: { attack: MIN_EPS_ID, preset: budget.preset, ...result.params }, flags: [], checksRun: [] });
            return;
          }
          const p = result.params;
          lines.push(
            `attack    min-eps: bisection with PGD-${p.steps} up to ${p.norm} ε = ${p.maxEps}, ${p.bisections} halvings, seed ${result.seed}`,
            `clean     ${percent(result.cleanAccuracy)} (${result.cleanCorrect}/${result.total})`,
            `median robustness radius  ${result.medianRadius === null ? `> ${p.maxEps} (more than half unbroken)` : result.medianRadius.toFixed(4)}`,
            '',
            '       ε   robust acc',
            ...result.results.map((r) => `${r.eps.toFixed(4).padStart(8)}  ${percent(r.robustAccuracy).padStart(11)}`),
            '',
            `${result.seconds.toFixed(1)} s, ${result.attackCost} gradient steps, batches of ${result.batchSize}${options.batchSize === 'auto' ? ' (auto)' : ''}`,
          );
          io.stdout(`${lines.join('\n')}\n`);
          return;
        }
        const chosen = attack as AnyAttack;
        const result = await evaluateRobustness(model, dataset, {
          attack: chosen,
          eps: budget.eps,
          options: attackOptions,
          seed: globals.seed,
          batchSize: options.batchSize,
          checks: options.checks,
          ...(options.targeted !== undefined ? { targets: options.targeted } : {}),
          onProgress: bar.update,
        });
        bar.finish();

        if (options.json) {
          printJson(result, {
            params: { attack: chosen.id, norm: budget.norm, preset: budget.preset, targets: result.targets, perEps: result.params },
            flags: result.flags,
            checksRun: result.checksRun,
            brokenBy: countBrokenBy(result.perExample),
          });
          return;
        }
        const first = result.params[0] as unknown as Record<string, unknown>;
        const shown = Object.entries(first)
          .filter(([key]) => key !== 'eps' && key !== 'stepSize')
          .map(([k, v]) => (k === 'members' ? `members=${(v as { attack: string }[]).map((m) => m.attack).join('→')}` : `${k}=${v}`));
        lines.push(
          `attack    ${chosen.id} ${shown.join(' ')}${budget.preset ? ` (preset ${budget.preset})` : ''}${result.targets ? `, targeted (${result.targets})` : ''}, seed ${result.seed}`,
          `clean     ${percent(result.cleanAccuracy)} (${result.cleanCorrect}/${result.total})`,
          '',
          `       ε   robust acc   mean norm    max norm${result.targets ? '  target hit' : ''}`,
          ...result.results.map((r) =>
            `${r.eps.toFixed(4).padStart(8)}  ${percent(r.robustAccuracy).padStart(11)}  ${r.meanNorm.toFixed(4).padStart(10)}  ${r.maxNorm.toFixed(4).padStart(10)}${r.targetedSuccessRate === undefined ? '' : percent(r.targetedSuccessRate).padStart(12)}`),
          '',
          `${result.seconds.toFixed(1)} s, ${result.attackCost} ${chosen.kind === 'black-box' ? 'queries' : 'gradient steps'}, batches of ${result.batchSize}${options.batchSize === 'auto' ? ' (auto)' : ''}`,
          `checks    ${result.checksRun.length ? result.checksRun.join(', ') : 'none'}`,
          ...result.flags.map((f) => `${f.severity.padEnd(8)}  ${f.check}: ${f.message}`),
        );
        io.stdout(`${lines.join('\n')}\n`);
      } finally {
        model.dispose();
      }
    });
}
