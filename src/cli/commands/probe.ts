import { InvalidArgumentError, Option, type Command } from 'commander';
import { useBackend } from '../../backend/index.js';
import type { Dataset } from '../../data/dataset.js';
import { openDataset, type DataRequest } from '../../data/open.js';
import { ensure, messageOf, UserInputError } from '../../errors.js';
import type { LoadedClassifier } from '../../models/contract.js';
import { loadClassifier } from '../../models/load.js';
import { defaultEmbeddingCacheFolder } from '../../models/probes/cache.js';
import { probeProtocols } from '../../models/probes/catalogue.js';
import { datasetEmbeddings, type DatasetEmbeddings } from '../../models/probes/embeddings.js';
import { evaluateProbe, type ProbeEvaluation } from '../../models/probes/evaluate.js';
import { readSplitFile } from '../../labels/split-file.js';
import { partitionSplit, restrictToSplitFile, wholeSplit, type ProbeSplit } from '../../models/probes/split.js';
import type { ProbeSettingName, ProbeSettings } from '../../models/probes/types.js';
import { inputMeanOption, inputStdOption, modelLoadOptions, parsePositiveInt, parseWeightDecayList, type ModelLoadFlags } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';

interface ProbeCliOptions extends ModelLoadFlags {
  model: string;
  data: string;
  protocol: string;
  embeddingNode?: string;
  trainFraction: number;
  splitFile?: string;
  weightDecay?: number[];
  heldOut?: number;
  k?: number;
  temperature?: number;
  ways?: number;
  shots?: number;
  queries?: number;
  episodes?: number;
  batchSize: number;
  cacheDir?: string;
  cache: boolean;
  imageSize?: number;
  channels?: '1' | '3';
  labels?: string;
  json?: boolean;
}

/** The flag that sets each protocol setting, for error messages. */
const SETTING_FLAGS: Record<ProbeSettingName, string> = {
  weightDecays: '--weight-decay',
  heldOutFraction: '--held-out',
  k: '--k',
  temperature: '--temperature',
  ways: '--ways',
  shots: '--shots',
  queries: '--queries',
  episodes: '--episodes',
};

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0.');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number strictly between 0 and 1.');
  return n;
}

function settingsFrom(options: ProbeCliOptions): ProbeSettings {
  return {
    ...(options.weightDecay ? { weightDecays: options.weightDecay } : {}),
    ...(options.heldOut !== undefined ? { heldOutFraction: options.heldOut } : {}),
    ...(options.k !== undefined ? { k: options.k } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.ways !== undefined ? { ways: options.ways } : {}),
    ...(options.shots !== undefined ? { shots: options.shots } : {}),
    ...(options.queries !== undefined ? { queries: options.queries } : {}),
    ...(options.episodes !== undefined ? { episodes: options.episodes } : {}),
  };
}

interface ProbeDatasets {
  readonly train: Dataset;
  readonly test: Dataset;
  /** True when train and test are parts of one set, split here. */
  readonly partitioned: boolean;
  readonly notes: readonly string[];
}

function sameData(a: Dataset, b: Dataset): boolean {
  return a.info.source === b.info.source && a.size === b.size && a.labels.every((label, i) => label === b.labels[i]);
}

/**
 * The dataset's own train and test splits where it has two; else its one set, to be split
 * here by a seeded stratified partition (the bundled subset holds only test images).
 */
async function openProbeDatasets(request: Omit<DataRequest, 'split'>): Promise<ProbeDatasets> {
  const opened = await openDataset({ ...request, split: 'test' });
  const notes = opened.note ? [opened.note] : [];
  let train: Dataset | undefined;
  let reason = 'it holds one set';
  try {
    train = (await openDataset({ ...request, split: 'train' })).dataset;
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error;
    reason = messageOf(error);
  }
  if (train && !sameData(train, opened.dataset)) return { train, test: opened.dataset, partitioned: false, notes };
  return { train: opened.dataset, test: opened.dataset, partitioned: true, notes: [...notes, `no separate train split (${reason})`] };
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

function printText(out: (text: string) => void, result: ProbeEvaluation, header: readonly [string, string][]): void {
  for (const [label, value] of header) out(`${label.padEnd(11)} ${value}\n`);
  const details = result.details;
  if (result.protocol === 'linear') {
    const sweep = details['sweep'] as { weightDecay: number; heldOutAccuracy: number }[] | null;
    const chosen = `weight decay ${details['weightDecay']}`;
    out(`${'protocol'.padEnd(11)} linear, ${sweep ? `${chosen} (best on ${details['heldOutCount']} held-out training images of ${sweep.map((s) => `${s.weightDecay}: ${percent(s.heldOutAccuracy)}`).join(', ')})` : chosen}\n`);
  } else {
    out(`${'protocol'.padEnd(11)} ${result.protocol}, ${Object.entries(result.settings).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  }
  if (result.episodes) {
    const e = result.episodes;
    out(`${'episodes'.padEnd(11)} ${percent(e.mean)} ± ${percent(e.halfWidth)} (95% CI over ${e.count} episodes)\n`);
  }
  out(`${'accuracy'.padEnd(11)} ${percent(result.accuracy)}   balanced ${percent(result.balancedAccuracy)}\n`);
  if (result.noiseRate > 0) out(`${'noise'.padEnd(11)} ${percent(result.noiseRate)} of the training labels differ from the true ones\n`);
  if (result.reference && result.degradation) {
    const d = result.degradation.headline;
    out(`${'reference'.padEnd(11)} ${percent(result.reference.headline)} trained on clean labels (${result.reference.description})\n`);
    out(`${'degradation'.padEnd(11)} ${(100 * d.absolute).toFixed(2)} points${d.relative === null ? '' : ` (${(100 * d.relative).toFixed(1)}% relative)`}\n`);
  }
  if (result.longTail) {
    const { accuracy, rule } = result.longTail;
    const show = (v: number | null) => (v === null ? 'n/a' : percent(v));
    out(`${'long tail'.padEnd(11)} many ${show(accuracy.many)}, medium ${show(accuracy.medium)}, few ${show(accuracy.few)} (${rule === 'terciles' ? 'head/middle/tail thirds of the classes by training count' : 'OLTR thresholds: >100 / 20–100 / <20 training images'})\n`);
  }
  out('\nper class\n');
  for (const c of result.perClass) {
    out(`  ${c.className.padEnd(14)} ${c.accuracy === null ? '   n/a' : `${(100 * c.accuracy).toFixed(1).padStart(5)}%`}  (${c.count})\n`);
  }
}

function cacheLine(embeddings: DatasetEmbeddings): string {
  if (!embeddings.cache) return 'not cached';
  return embeddings.cache.hit ? `read from cache ${embeddings.cache.file}` : `computed and cached at ${embeddings.cache.file}`;
}

export function registerProbeCommand(program: Command, host: CommandHost): void {
  program
    .command('probe')
    .description('accuracy of a frozen backbone\'s embeddings under a linear probe, weighted kNN or few-shot prototypes')
    .requiredOption('--model <path|name>', 'model.json (or its folder), a .onnx file, or a bundled model name; its embedding layer is the backbone')
    .addOption(inputMeanOption())
    .addOption(inputStdOption())
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder, a .npy file or an image-folder tree', 'fashion-mnist')
    .requiredOption('--protocol <id>', `the protocol: ${probeProtocols.ids().join(', ')}`)
    .option('--embedding-node <name>', 'GraphModels and .onnx models: the node (or value) whose output is the embedding')
    .option('--train-fraction <x>', 'data with one set only: the fraction given to training by a seeded stratified partition', fraction, 0.5)
    .option('--weight-decay <list>', 'linear: L2 weight decays to sweep, comma-separated (default 1e-4,1e-3,1e-2,1e-1,1)', parseWeightDecayList)
    .option('--held-out <x>', 'linear: fraction of the training set held out for the sweep (default 0.2)', fraction)
    .option('--k <n>', 'knn: neighbours that vote (default 200)', parsePositiveInt)
    .option('--temperature <t>', 'knn: vote weights exp(similarity / T) (default 0.1)', positiveNumber)
    .option('--ways <n>', 'prototype: classes per episode (default 5)', parsePositiveInt)
    .option('--shots <n>', 'prototype: training images per class and episode (default 5)', parsePositiveInt)
    .option('--queries <n>', 'prototype: test images per class and episode (default 15)', parsePositiveInt)
    .option('--episodes <n>', 'prototype: number of episodes (default 600)', parsePositiveInt)
    .option('--batch-size <n>', 'images per batch when extracting embeddings', parsePositiveInt, 256)
    .option('--cache-dir <dir>', 'embedding cache folder (default $SSL_ROBUST_CACHE/embeddings or ~/.cache/ssl-robust/embeddings)')
    .option('--no-cache', 'neither read nor write cached embeddings')
    .option('--image-size <n>', 'image folders: resize and centre-crop to n×n (default: the model\'s input size)', parsePositiveInt)
    .addOption(new Option('--channels <c>', 'image folders: 1 (gray) or 3 (RGB) (default: the model\'s)').choices(['1', '3']))
    .option('--labels <file>', '.npy images: the labels file, when not found by name')
    .option('--split-file <file>', 'train on a split file\'s examples and labels (ssl-robust split: label noise, imbalance); the clean full training set is the reference')
    .option('--json', 'print one JSON object')
    .action(async (options: ProbeCliOptions, command: Command) => {
      const { io, globals, random } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      const warn = (text: string) => io.stderr(`warning: ${text}\n`);
      // Everything the user typed is checked before any model or data is loaded.
      const protocol = probeProtocols.get(options.protocol);
      const settings = settingsFrom(options);
      for (const name of Object.keys(settings) as ProbeSettingName[]) {
        ensure(protocol.accepts.includes(name), `the ${protocol.id} protocol does not take ${SETTING_FLAGS[name]}`);
      }
      protocol.resolve(settings);

      const backend = await useBackend(globals.backend);
      let model: LoadedClassifier | undefined;
      try {
        model = await loadClassifier(options.model, modelLoadOptions(options));
        const backbone = model.backbone;
        ensure(backbone, `${model.info.file}: no embedding to probe (a LayersModel needs a layer named 'embedding' or a final layer with an input; a GraphModel needs --embedding-node)`);
        for (const warning of model.info.warnings) warn(warning);
        const [modelSize, , modelChannels] = model.inputShape;
        const data = await openProbeDatasets({
          spec: options.data,
          imageSize: options.imageSize ?? modelSize,
          channels: options.channels ? (Number(options.channels) as 1 | 3) : modelChannels === 1 ? 1 : 3,
          ...(options.labels ? { labelsFile: options.labels } : {}),
          env: io.env,
        });
        for (const text of data.notes) note(text);
        ensure(
          data.train.numClasses === data.test.numClasses,
          `the train split has ${data.train.numClasses} classes but the test split has ${data.test.numClasses}`,
        );

        const cacheFolder = options.cache ? options.cacheDir ?? defaultEmbeddingCacheFolder(io.env) : null;
        const embed = async (dataset: Dataset, label: string) => {
          const bar = progressBar(io, `embed ${label}`, globals.quiet);
          const result = await datasetEmbeddings({
            backbone,
            dataset,
            modelSha256: model!.info.sha256,
            embeddingName: options.embeddingNode ? `node:${options.embeddingNode}` : 'layers:embedding',
            cacheFolder,
            batchSize: options.batchSize,
            onProgress: bar.update,
            warn,
          });
          bar.finish();
          return result;
        };
        const testEmbeddings = await embed(data.test, data.test.info.split);
        const trainEmbeddings = data.partitioned ? testEmbeddings : await embed(data.train, data.train.info.split);

        const baseSplit: ProbeSplit = data.partitioned
          ? partitionSplit(data.test.labels, data.test.numClasses, options.trainFraction, random.derive('probe', 'partition'))
          : wholeSplit(data.train.labels, data.test.size, `the ${data.train.info.split} split for training, the ${data.test.info.split} split for testing`);
        if (data.partitioned) note(`probing on a ${baseSplit.description} (${data.test.size} images, seed ${globals.seed})`);
        // A split file narrows training to its examples and labels; the reference is the base split's clean, balanced training set.
        const splitFile = options.splitFile ? await readSplitFile(options.splitFile, data.train) : undefined;
        ensure(!splitFile?.episodes, `${options.splitFile}: a few-shot split file; probe draws its own episodes (--ways, --shots, --episodes)`);
        const split = splitFile ? restrictToSplitFile(baseSplit, splitFile, `split file ${options.splitFile}`) : baseSplit;

        const result = await evaluateProbe(
          protocol,
          {
            dim: backbone.embeddingSize,
            classNames: data.test.classNames,
            train: { features: trainEmbeddings.features, labels: data.train.labels },
            test: { features: testEmbeddings.features, labels: data.test.labels },
          },
          split,
          settings,
          random.derive('probe', protocol.id),
          splitFile ? { ...baseSplit, description: `clean, full training set (${baseSplit.description})` } : undefined,
        );

        if (options.json) {
          io.stdout(`${JSON.stringify({
            model: { name: model.name, file: model.info.file, format: model.info.format, sha256: model.info.sha256 },
            dataset: {
              ...data.test.info,
              size: data.test.size,
              trainSplit: data.partitioned ? null : { ...data.train.info, size: data.train.size },
              partitioned: data.partitioned,
              notes: data.notes,
            },
            backend: { name: backend.name, adapter: backend.adapter ?? null },
            seed: globals.seed,
            embeddings: {
              dim: backbone.embeddingSize,
              test: testEmbeddings.cache,
              train: data.partitioned ? null : trainEmbeddings.cache,
            },
            ...result,
            warnings: model.info.warnings,
          }, null, 2)}\n`);
          return;
        }
        printText(io.stdout, result, [
          ['model', `${model.info.file} (sha256 ${model.info.sha256.slice(0, 12)})`],
          ['data', `${data.test.info.name}: ${result.split.trainCount} train / ${result.split.testCount} test images, ${split.description}`],
          ['backend', `${backend.name}${backend.adapter ? ` (${backend.adapter})` : ''}`],
          ['embeddings', `${backbone.embeddingSize} values per image; ${data.partitioned ? cacheLine(testEmbeddings) : `train ${cacheLine(trainEmbeddings)}; test ${cacheLine(testEmbeddings)}`}`],
        ]);
      } finally {
        model?.dispose();
      }
    });
}
