import { Option, type Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import { openDataset, type Split } from '../../data/open.js';
import { loadClassifier } from '../../models/load.js';
import { evaluateClean } from '../../runner/clean-eval.js';
import { inputMeanOption, inputStdOption, modelLoadOptions, parsePositiveInt, type ModelLoadFlags } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';

interface EvalOptions extends ModelLoadFlags {
  model: string;
  data: string;
  split: Split;
  limit?: number;
  batchSize: number;
  imageSize?: number;
  channels?: '1' | '3';
  labels?: string;
  json?: boolean;
}

export function registerEvalCommand(program: Command, host: CommandHost): void {
  program
    .command('eval')
    .description('clean top-1 accuracy of a model on a dataset, overall and per class')
    .requiredOption('--model <path|name>', 'model.json (or its folder), a .onnx file, or a bundled model name')
    .addOption(inputMeanOption())
    .addOption(inputStdOption())
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder, a .npy file or an image-folder tree', 'fashion-mnist')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
    .option('--limit <n>', 'evaluate only the first n images, in file order', parsePositiveInt)
    .option('--batch-size <n>', 'images per batch', parsePositiveInt, 256)
    .option('--image-size <n>', 'image folders: resize and centre-crop to n×n (default: the model\'s input size)', parsePositiveInt)
    .addOption(new Option('--channels <c>', 'image folders: 1 (gray) or 3 (RGB) (default: the model\'s)').choices(['1', '3']))
    .option('--labels <file>', '.npy images: the labels file, when not found by name')
    .option('--json', 'print one JSON object')
    .action(async (options: EvalOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      const backend = await useBackend(globals.backend);
      const model = await loadClassifier(options.model, modelLoadOptions(options));
      try {
        const [modelSize, , modelChannels] = model.inputShape;
        const opened = await openDataset({
          spec: options.data,
          split: options.split,
          imageSize: options.imageSize ?? modelSize,
          channels: options.channels ? (Number(options.channels) as 1 | 3) : modelChannels === 1 ? 1 : 3,
          ...(options.labels ? { labelsFile: options.labels } : {}),
          env: io.env,
        });
        if (opened.note) note(opened.note);
        for (const warning of model.info.warnings) io.stderr(`warning: ${warning}\n`);
        const dataset = options.limit ? opened.dataset.take(options.limit) : opened.dataset;
        const bar = progressBar(io, 'eval', globals.quiet);
        const result = await evaluateClean(model, dataset, { batchSize: options.batchSize, onProgress: bar.update });
        bar.finish();

        if (options.json) {
          io.stdout(`${JSON.stringify({
            model: { name: model.name, file: model.info.file, format: model.info.format, sha256: model.info.sha256, parameterCount: model.info.parameterCount },
            dataset: { ...dataset.info, size: dataset.size, imageShape: dataset.imageShape, note: opened.note ?? null },
            backend: { name: backend.name, adapter: backend.adapter ?? null },
            seed: globals.seed,
            accuracy: result.accuracy,
            correct: result.correct,
            total: result.total,
            perClass: result.perClass,
            imagesPerSecond: result.imagesPerSecond,
            seconds: result.seconds,
            warnings: model.info.warnings,
          }, null, 2)}\n`);
          return;
        }
        io.stdout(`model     ${model.info.file}\n`);
        io.stdout(`data      ${dataset.info.name} (${dataset.info.split}, ${dataset.size} images)\n`);
        io.stdout(`backend   ${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}\n`);
        io.stdout(`accuracy  ${(100 * result.accuracy).toFixed(2)}% (${result.correct}/${result.total})\n`);
        io.stdout(`speed     ${result.imagesPerSecond.toFixed(0)} images/s\n\nper class\n`);
        for (const c of result.perClass) {
          const accuracy = c.accuracy === null ? '   n/a' : `${(100 * c.accuracy).toFixed(1).padStart(5)}%`;
          io.stdout(`  ${c.className.padEnd(14)} ${accuracy}  (${c.correct}/${c.count})\n`);
        }
      } finally {
        model.dispose();
      }
    });
}
