import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import { openDataset } from '../../data/open.js';
import { ensure } from '../../errors.js';
import { readModelFiles } from '../../models/files.js';
import { EMBEDDING_LAYER } from '../../models/zoo/architecture.js';
import { percent, type ModelCard } from '../../models/zoo/card.js';
import { loadZooClassifier, resolveZooEntry, shippedEntries, zooFolder } from '../../models/zoo/catalogue.js';
import { exportLayersModel } from '../../models/zoo/export.js';
import { finishRun } from '../../models/zoo/finish.js';
import { TrainingRun } from '../../models/zoo/train-loop.js';
import { trainers } from '../../models/zoo/trainers/index.js';
import { parsePositiveInt, parseWeightDecayList } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';

/** The checkpoint's file name inside a `zoo train --out` folder. */
export const CHECKPOINT_FILE = 'checkpoint.ckpt';

interface TrainOptions {
  method: string;
  epochs?: number;
  batchSize?: number;
  data: string;
  limit?: number;
  evalData: string;
  evalLimit?: number;
  out?: string;
  name?: string;
  float16?: boolean;
  probeWeightDecay?: number[];
}

function listRow(card: ModelCard): string {
  const goal = card.goal.met ? 'goal met' : `goal ${percent(card.goal.target)} NOT met`;
  return [
    card.name.padEnd(24),
    card.method.padEnd(20),
    card.kind.padEnd(11),
    `${(card.architecture.parameters / 1e6).toFixed(2)}M`.padStart(6),
    String(card.epochs).padStart(6),
    String(card.seed).padStart(5),
    `${(card.trainingSeconds / 60).toFixed(0)} min`.padStart(8),
    percent(card.metrics.linearProbe).padStart(8),
    percent(card.metrics.knn).padStart(8),
    `  ${goal}`,
  ].join(' ');
}

export function registerZooCommand(program: Command, host: CommandHost): void {
  const zoo = program.command('zoo').description('the backbone zoo: list, train and export SSL and supervised backbones');

  zoo
    .command('list')
    .description('shipped backbones with method, kind, parameters, recipe, epochs, seed, training time and accuracies; the trainable methods')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { io } = host.contextFor(command);
      const entries = await shippedEntries();
      const methods = trainers.list().map(({ id, kind, title, summary }) => ({ id, kind, title, summary }));
      if (options.json) {
        io.stdout(`${JSON.stringify({ shipped: entries.map((e) => e.card), methods }, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) {
        io.stdout(`No backbones are shipped in this build (${zooFolder()} holds none). Train one with\n  ssl-robust zoo train --method <method> --epochs N --out <dir>\n`);
      } else {
        io.stdout(`${'name'.padEnd(24)} ${'method'.padEnd(20)} ${'kind'.padEnd(11)} ${'params'.padStart(6)} ${'epochs'.padStart(6)} ${'seed'.padStart(5)} ${'time'.padStart(8)} ${'probe'.padStart(8)} ${'kNN'.padStart(8)}\n`);
        for (const { card } of entries) {
          io.stdout(`${listRow(card)}\n`);
          const r = card.recipe;
          io.stdout(`${' '.repeat(26)}recipe: batch ${r.batchSize}, lr ${r.learningRate}, wd ${r.weightDecay}, ${Object.entries(r.options).map(([k, v]) => `${k} ${v}`).join(', ') || 'no method options'}; eval on ${card.evaluationData.name} ${card.evaluationData.split} (${card.evaluationData.size})\n`);
        }
      }
      io.stdout('\nmethods (zoo train --method):\n');
      for (const m of methods) io.stdout(`  ${m.id.padEnd(20)} ${m.kind.padEnd(11)} ${m.summary}\n`);
    });

  zoo
    .command('train')
    .description('train one backbone, checkpointing every epoch (rerun the same command to resume), then probe, export and write its card')
    .requiredOption('--method <id>', `training method: ${trainers.ids().join(', ')}`)
    .option('--epochs <n>', 'epochs (default: the method\'s recipe)', parsePositiveInt)
    .option('--batch-size <n>', 'images per batch (default: the method\'s recipe)', parsePositiveInt)
    .option('--data <path|name>', 'training data (train split)', 'fashion-mnist')
    .option('--limit <n>', 'train on the first n images only', parsePositiveInt)
    .option('--eval-data <path|name>', 'evaluation data (test split) for the probe, kNN and classifier scores', 'fashion-mnist')
    .option('--eval-limit <n>', 'evaluate on the first n test images only', parsePositiveInt)
    .option('--out <dir>', 'output folder (checkpoint, model, card); default zoo-<method>-seed<seed>')
    .option('--name <name>', 'the model\'s name in the zoo (default <method>)')
    .option('--float16', 'store the exported weights as float16')
    .option('--probe-weight-decay <list>', 'weight decays the linear probe sweeps on held-out training data (comma list; default 1e-4,1e-3,1e-2,1e-1,1)', parseWeightDecayList)
    .action(async (options: TrainOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      const trainer = trainers.get(options.method);
      const backend = await useBackend(globals.backend);
      const folder = resolve(options.out ?? `zoo-${trainer.id}-seed${globals.seed}`);
      const checkpointFile = join(folder, CHECKPOINT_FILE);
      ensure(
        existsSync(checkpointFile) || !existsSync(join(folder, 'model.json')),
        `${folder} already holds a model but no training checkpoint; choose another --out folder (nothing was overwritten)`,
      );
      const trainOpened = await openDataset({ spec: options.data, split: 'train', env: io.env });
      if (trainOpened.note) note(trainOpened.note);
      const trainData = options.limit ? trainOpened.dataset.take(options.limit) : trainOpened.dataset;
      const recipe = {
        ...trainer.defaultRecipe,
        ...(options.epochs ? { epochs: options.epochs } : {}),
        ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      };
      const setup = {
        recipe, seed: globals.seed, numClasses: trainData.numClasses, backend: backend.name,
        data: { name: trainData.info.name, source: trainData.info.source, size: trainData.size },
      };
      let run: TrainingRun;
      if (existsSync(checkpointFile)) {
        run = await TrainingRun.restore(checkpointFile);
        const mismatch = (['recipe', 'seed', 'numClasses', 'data'] as const).filter((key) => JSON.stringify(run.setup[key]) !== JSON.stringify(setup[key]));
        if (mismatch.length > 0) {
          run.dispose();
          ensure(false, `${checkpointFile} is a run with a different ${mismatch.join(', ')}; rerun with the same options to resume it, or choose another --out folder`);
        }
        note(`resuming ${trainer.id} from ${checkpointFile} after epoch ${run.epochsDone} of ${recipe.epochs}`);
      } else {
        run = TrainingRun.create(setup);
      }
      try {
        while (!run.finished) {
          const bar = progressBar(io, `epoch ${run.epochsDone + 1}/${recipe.epochs}`, globals.quiet);
          const record = await run.trainEpoch(trainData, ({ step, stepsPerEpoch }) => bar.update(step + 1, stepsPerEpoch));
          bar.finish();
          await run.saveCheckpoint(checkpointFile);
          io.stdout(`epoch ${record.epoch}/${recipe.epochs}  loss ${record.meanLoss.toFixed(4)}  ${record.seconds.toFixed(1)} s  (${(record.images / record.seconds).toFixed(0)} images/s)\n`);
        }
        const evalOpened = await openDataset({ spec: options.evalData, split: 'test', env: io.env });
        if (evalOpened.note) note(evalOpened.note);
        const evalData = options.evalLimit ? evalOpened.dataset.take(options.evalLimit) : evalOpened.dataset;
        const card = await finishRun(run, {
          name: options.name ?? trainer.id, folder, trainData, evalData,
          ...(options.float16 ? { float16: true } : {}),
          ...(options.probeWeightDecay ? { probeWeightDecays: options.probeWeightDecay } : {}),
          onNote: note,
        });
        io.stdout(`${card.name}: linear probe ${percent(card.metrics.linearProbe)}, kNN ${percent(card.metrics.knn)}, classifier ${percent(card.metrics.classifierTop1)} on ${evalData.info.name} ${evalData.info.split} (${evalData.size} images)\n`);
        io.stdout(`quality goal ${percent(card.goal.target)}: ${card.goal.met ? 'met' : 'NOT met'}\nwrote ${folder}/{model.json,weights.bin,card.json,card.md}\n`);
      } finally {
        run.dispose();
      }
    });

  zoo
    .command('export')
    .argument('<name|folder>', 'a shipped backbone\'s name, or a folder written by zoo train')
    .description('write a zoo model as a standard TF.js LayersModel (model.json + weights.bin), checking its hash first')
    .requiredOption('--out <dir>', 'output folder')
    .option('--backbone-only', 'export the backbone alone (images → embedding) instead of the classifier')
    .option('--float16', 'store weights as float16')
    .action(async (nameOrFolder: string, options: { out: string; backboneOnly?: boolean; float16?: boolean }, command: Command) => {
      const { io, globals } = host.contextFor(command);
      await useBackend(globals.backend);
      const entry = await resolveZooEntry(nameOrFolder);
      ensure(!existsSync(join(options.out, 'model.json')), `${options.out} already holds a model.json; choose another --out folder (nothing was overwritten)`);
      const loaded = await loadZooClassifier(entry);
      loaded.dispose();
      // Reload as a LayersModel (the hash was just checked) to re-save it in the chosen form.
      const model = await tfl.loadLayersModel(tf.io.fromMemory((await readModelFiles(entry.folder)).artifacts));
      try {
        const out = options.backboneOnly ? tfl.model({ inputs: model.inputs, outputs: model.getLayer(EMBEDDING_LAYER).output as tfl.SymbolicTensor, name: `${entry.card.name}-backbone` }) : model;
        const written = await exportLayersModel(out, options.out, {
          ...(options.float16 ? { float16: true } : {}),
          metadata: { zoo: { name: entry.card.name, method: entry.card.method, kind: entry.card.kind, sourceSha256: entry.card.files.sha256 } },
        });
        io.stdout(`wrote ${options.out}/model.json and weights.bin (${written.bytes} weight bytes, sha256 ${written.sha256})\n`);
      } finally {
        model.dispose();
      }
    });
}
