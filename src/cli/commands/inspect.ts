import type { Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import { loadClassifier } from '../../models/load.js';
import { inspectOnnx, renderOnnxSummary } from '../../models/onnx/inspect.js';
import { embeddingNodeOption, inputMeanOption, inputStdOption, modelLoadOptions, type ModelLoadFlags } from '../options.js';
import type { CommandHost } from '../program.js';

interface InspectOptions extends ModelLoadFlags {
  json?: boolean;
}

export function registerInspectCommand(program: Command, host: CommandHost): void {
  program
    .command('inspect')
    .description('a model\'s inputs, outputs, ops and parameter count, and whether ssl-robust can run it (.onnx, model.json or a bundled name)')
    .argument('<model>', 'a .onnx file, a model.json (or its folder), or a bundled model name')
    .addOption(inputMeanOption())
    .addOption(inputStdOption())
    .addOption(embeddingNodeOption())
    .option('--json', 'print one JSON object')
    .action(async (spec: string, options: InspectOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      await useBackend(globals.backend);
      if (/\.onnx$/i.test(spec)) {
        const summary = await inspectOnnx(spec, modelLoadOptions(options));
        io.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : renderOnnxSummary(summary));
        return;
      }
      // TF.js models: what loading tells us (loading refuses what we cannot run).
      const model = await loadClassifier(spec, modelLoadOptions(options));
      try {
        const summary = {
          file: model.info.file,
          format: model.info.format,
          sha256: model.info.sha256,
          inputShape: model.inputShape,
          numClasses: model.numClasses,
          embeddingSize: model.backbone?.embeddingSize ?? null,
          parameterCount: model.info.parameterCount,
          supported: true,
          warnings: model.info.warnings,
        };
        if (options.json) {
          io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        io.stdout([
          `file        ${summary.file}`,
          `sha256      ${summary.sha256}`,
          `format      ${summary.format}`,
          `input       [batch, ${summary.inputShape.join(', ')}] NHWC in [0, 1]`,
          `outputs     [batch, ${summary.numClasses}] logits`,
          `parameters  ${summary.parameterCount.toLocaleString('en-US')}`,
          `embedding   ${summary.embeddingSize === null ? 'none found' : `${summary.embeddingSize} values`}`,
          `supported   yes${summary.warnings.length ? ` (warnings: ${summary.warnings.join('; ')})` : ''}`,
        ].join('\n') + '\n');
      } finally {
        model.dispose();
      }
    });
}
