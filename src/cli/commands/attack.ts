import { InvalidArgumentError, Option, type Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import { attacks } from '../../attacks/catalogue.js';
import { evaluateRobustness } from '../../attacks/evaluate.js';
import { parseEpsList, resolveBudget } from '../../attacks/presets.js';
import { NORMS, type AttackOptions, type Norm } from '../../attacks/types.js';
import { openDataset, type Split } from '../../data/open.js';
import { messageOf } from '../../errors.js';
import { loadClassifier } from '../../models/load.js';
import { parsePositiveInt } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';

interface AttackCliOptions {
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
  limit?: number;
  batchSize: number;
  json?: boolean;
}

function epsListOption(value: string): number[] {
  try {
    return parseEpsList(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number ≥ 0.');
  return n;
}

export function registerAttackCommand(program: Command, host: CommandHost): void {
  program
    .command('attack')
    .description('robust accuracy of a model under an adversarial attack at one or more ε')
    .requiredOption('--model <path|name>', 'model.json (or its folder), or a bundled model name')
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder or a .npy file', 'fashion-mnist')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
    .requiredOption('--attack <id>', `the attack: ${attacks.ids().join(', ')}`)
    .addOption(new Option('--norm <norm>', 'threat model (default linf, or the preset\'s)').choices([...NORMS]))
    .option('--eps <list>', 'comma-separated ε values, e.g. 0.05,0.1 or 8/255 (no default: give --eps or --preset)', epsListOption)
    .option('--preset <name>', 'a named ε preset, e.g. fmnist-linf-0.1, cifar-linf-8/255')
    .option('--steps <n>', 'iterations (pgd; default 10)', parsePositiveInt)
    .option('--restarts <n>', 'random restarts, worst case per image kept (pgd; default 1)', parsePositiveInt)
    .option('--step-size <x>', 'step size per iteration (pgd; default 2.5·ε/steps)', nonNegativeNumber)
    .option('--no-random-start', 'pgd: start at the clean image instead of a random point of the ε-ball')
    .option('--limit <n>', 'attack only the first n images, in file order', parsePositiveInt)
    .option('--batch-size <n>', 'images per batch', parsePositiveInt, 128)
    .option('--json', 'print one JSON object')
    .action(async (options: AttackCliOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      // Everything the user typed is checked before any model or data is loaded.
      const attack = attacks.get(options.attack);
      const budget = resolveBudget({
        ...(options.eps ? { eps: options.eps } : {}),
        ...(options.preset ? { preset: options.preset } : {}),
        ...(options.norm ? { norm: options.norm } : {}),
      });
      const attackOptions: AttackOptions = {
        ...(options.norm || budget.preset ? { norm: budget.norm } : {}),
        ...(options.steps !== undefined ? { steps: options.steps } : {}),
        ...(options.restarts !== undefined ? { restarts: options.restarts } : {}),
        ...(options.stepSize !== undefined ? { stepSize: options.stepSize } : {}),
        ...(options.randomStart === false ? { randomStart: false } : {}),
      };
      for (const eps of budget.eps) attack.resolve(eps, attackOptions);

      const backend = await useBackend(globals.backend);
      const model = await loadClassifier(options.model);
      try {
        const opened = await openDataset({ spec: options.data, split: options.split, imageSize: model.inputShape[0], env: io.env });
        if (opened.note) note(opened.note);
        for (const warning of model.info.warnings) io.stderr(`warning: ${warning}\n`);
        const dataset = options.limit ? opened.dataset.take(options.limit) : opened.dataset;
        const bar = progressBar(io, options.attack, globals.quiet);
        const result = await evaluateRobustness(model, dataset, {
          attack,
          eps: budget.eps,
          options: attackOptions,
          seed: globals.seed,
          batchSize: options.batchSize,
          onProgress: bar.update,
        });
        bar.finish();

        if (options.json) {
          io.stdout(`${JSON.stringify({
            model: { name: model.name, file: model.info.file, sha256: model.info.sha256 },
            dataset: { ...dataset.info, size: dataset.size, note: opened.note ?? null },
            backend: { name: backend.name, adapter: backend.adapter ?? null },
            attack: attack.id,
            preset: budget.preset,
            seed: result.seed,
            cleanAccuracy: result.cleanAccuracy,
            results: result.results,
            params: { attack: attack.id, norm: budget.norm, preset: budget.preset, perEps: result.params },
            flags: result.flags,
            checksRun: result.checksRun,
            attackCost: result.attackCost,
            seconds: result.seconds,
            warnings: model.info.warnings,
          }, null, 2)}\n`);
          return;
        }
        const first = result.params[0] as unknown as Record<string, unknown>;
        const shown = Object.entries(first).filter(([key]) => key !== 'eps' && key !== 'stepSize').map(([k, v]) => `${k}=${v}`);
        io.stdout(`model     ${model.info.file}\n`);
        io.stdout(`data      ${dataset.info.name} (${dataset.info.split}, ${dataset.size} images)\n`);
        io.stdout(`backend   ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}\n`);
        io.stdout(`attack    ${attack.id} ${shown.join(' ')}${budget.preset ? ` (preset ${budget.preset})` : ''}, seed ${result.seed}\n`);
        io.stdout(`clean     ${(100 * result.cleanAccuracy).toFixed(2)}% (${result.cleanCorrect}/${result.total})\n\n`);
        io.stdout('       ε   robust acc   mean norm    max norm\n');
        for (const r of result.results) {
          io.stdout(`${r.eps.toFixed(4).padStart(8)}  ${`${(100 * r.robustAccuracy).toFixed(2)}%`.padStart(11)}  ${r.meanNorm.toFixed(4).padStart(10)}  ${r.maxNorm.toFixed(4).padStart(10)}\n`);
        }
        io.stdout(`\n${result.seconds.toFixed(1)} s, ${result.attackCost} gradient steps\n`);
      } finally {
        model.dispose();
      }
    });
}
