import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { openDataset, type Split } from '../../data/open.js';
import { ensure } from '../../errors.js';
import { readFeaturesNpy } from '../../labels/features-file.js';
import { GROUP_RULES, type GroupRule } from '../../labels/imbalance/groups.js';
import { makeSplit } from '../../labels/make-split.js';
import { noiseSpecContext, parseClassOrder, parseFewShotSpec, parseImbalanceSpec, parseNoiseSpec } from '../../labels/spec.js';
import { readSplitFile, writeSplitFile, type SplitFile } from '../../labels/split-file.js';
import { NOISE_SAMPLINGS, type NoiseSampling } from '../../labels/types.js';
import { useBackend } from '../../backend/index.js';
import type { Dataset } from '../../data/dataset.js';
import type { FeatureMatrix } from '../../labels/types.js';
import { loadClassifier } from '../../models/load.js';
import { defaultEmbeddingCacheFolder } from '../../models/probes/cache.js';
import { datasetEmbeddings } from '../../models/probes/embeddings.js';
import { inputMeanOption, inputStdOption, modelLoadOptions, parsePositiveInt, type GlobalOptions, type ModelLoadFlags } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar, type CliIo } from '../progress.js';

interface SplitOptions extends ModelLoadFlags {
  data: string;
  split: Split;
  noise?: string;
  noiseSampling: NoiseSampling;
  features?: string;
  model?: string;
  imbalance?: string;
  classOrder: string;
  maxPerClass?: number;
  groups: GroupRule;
  fewShot?: string;
  queries?: number;
  episodes?: number;
  out?: string;
  force?: boolean;
  splitFile?: string;
  imageSize: number;
  channels?: '1' | '3';
  labels?: string;
  json?: boolean;
}

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** What a split holds and realised, in a few lines. */
function printSummary(io: CliIo, split: SplitFile, file: string): void {
  const { dataset, recipe, stats } = split;
  const name = (c: number) => dataset.classNames[c] ?? String(c);
  const recipeText = [recipe.imbalance?.spec, recipe.noise?.spec, recipe.fewShot?.spec].filter(Boolean).join(' + ');
  io.stdout(`split      ${recipeText}, seed ${split.seed} (${file})\n`);
  io.stdout(`data       ${dataset.name} (${dataset.split}, ${dataset.size} examples) → ${stats.size} in the split\n`);
  if (stats.imbalance && recipe.imbalance) {
    const { groups } = stats.imbalance;
    io.stdout(`imbalance  n_max ${recipe.imbalance.maxPerClass}, realised ρ ${Number(stats.imbalance.realisedRatio.toPrecision(4))}; counts head→tail: ` +
      `${recipe.imbalance.classOrder.map((c, r) => `${name(c)} ${stats.imbalance!.countsByRank[r]}`).join(', ')}\n`);
    io.stdout(`groups     (${groups.rule}) many: ${groups.many.map(name).join(', ') || '—'}; medium: ${groups.medium.map(name).join(', ') || '—'}; few: ${groups.few.map(name).join(', ') || '—'}\n`);
  }
  if (stats.noise) {
    io.stdout(`noise      ${stats.noise.model}: realised rate ${percent(stats.noise.rate)} (expected ${percent(stats.noise.expectedRate)})\n`);
  }
  if (split.episodes && recipe.fewShot) {
    const { ways, shots, queries } = recipe.fewShot;
    io.stdout(`few-shot   ${split.episodes.length} episodes of ${ways}-way ${shots}-shot, ${queries} queries per class, from ${stats.fewShot?.eligibleClasses.length} classes\n`);
  }
}

/** A backbone's embeddings of every image, as instance-dependent noise's features. */
async function backboneFeatures(model: string, flags: ModelLoadFlags, dataset: Dataset, io: CliIo, globals: GlobalOptions): Promise<FeatureMatrix> {
  await useBackend(globals.backend);
  const classifier = await loadClassifier(model, modelLoadOptions(flags));
  try {
    const backbone = classifier.backbone;
    ensure(backbone, `${classifier.info.file}: no embedding layer to take features from (a LayersModel needs a layer named 'embedding')`);
    const bar = progressBar(io, 'features', globals.quiet);
    const embeddings = await datasetEmbeddings({
      backbone,
      dataset,
      modelSha256: classifier.info.sha256,
      embeddingName: 'layers:embedding',
      cacheFolder: defaultEmbeddingCacheFolder(io.env),
      onProgress: bar.update,
      warn: (text) => io.stderr(`warning: ${text}\n`),
    });
    bar.finish();
    return { data: embeddings.features, dim: embeddings.dim };
  } finally {
    classifier.dispose();
  }
}

export function registerSplitCommand(program: Command, host: CommandHost): void {
  program
    .command('split')
    .description('write a split file (label noise, class imbalance or few-shot episodes) that other commands reuse exactly; or check one with --split-file')
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder or file, a .npy file or an image-folder tree', 'fashion-mnist')
    .addOption(new Option('--split <split>', 'which split of the data').choices(['train', 'test']).default('train'))
    .option('--noise <spec>', 'symmetric:<ε>, uniform-mix:<ε>, pair-flip:<ε>, asym:<fashion-mnist|mnist|cifar10|map.json>:<ε>, idn:<ε>[:<std>]')
    .addOption(new Option('--noise-sampling <how>', 'per-example draws, or exact per-class proportions').choices(NOISE_SAMPLINGS).default('per-example'))
    .option('--features <file.npy>', 'idn: features [n × d] (e.g. a backbone\'s embeddings); default: the flattened images, as Xia et al.')
    .option('--model <path|name>', 'idn: take the features from this backbone\'s embedding (cached like probe\'s; a .onnx file too)')
    .addOption(inputMeanOption())
    .addOption(inputStdOption())
    .option('--imbalance <spec>', 'longtail:<ρ> or step:<ρ>[:<μ>]')
    .option('--class-order <order>', 'imbalance: seeded, natural, or class names/indices head first, comma-separated', 'seeded')
    .option('--max-per-class <n>', 'imbalance: n_max, the head class\'s count (default: the most every class can supply)', parsePositiveInt)
    .addOption(new Option('--groups <rule>', 'imbalance: many/medium/few-shot class groups').choices(GROUP_RULES).default('terciles'))
    .option('--few-shot <spec>', 'episodes, e.g. 5way5shot or 5way20shot15query')
    .option('--queries <n>', 'few-shot: queries per class (default 15)', parsePositiveInt)
    .option('--episodes <n>', 'few-shot: number of episodes (default 600)', parsePositiveInt)
    .option('--out <file>', 'the split file to write')
    .option('--force', 'replace --out if it exists')
    .option('--split-file <file>', 'check an existing split file against --data and summarise it')
    .option('--image-size <n>', 'image folders: resize and centre-crop to n×n', parsePositiveInt, 28)
    .addOption(new Option('--channels <c>', 'image folders: 1 (gray) or 3 (RGB)').choices(['1', '3']))
    .option('--labels <file>', '.npy images: the labels file, when not found by name')
    .option('--json', 'print the split\'s recipe and statistics as one JSON object')
    .action(async (options: SplitOptions, command: Command) => {
      const { io, globals } = host.contextFor(command);
      const note = (text: string) => !globals.quiet && io.stderr(`${text}\n`);
      const makes = Boolean(options.noise || options.imbalance || options.fewShot);
      // An option that would do nothing is refused, never silently ignored.
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const needs = (names: string[], what: string, flag: string) => {
        for (const name of names) ensure(!given(name), `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for ${what}; give ${flag} too`);
      };
      if (!options.imbalance) needs(['classOrder', 'maxPerClass', 'groups'], 'class imbalance', '--imbalance');
      if (!options.fewShot) needs(['queries', 'episodes'], 'few-shot episodes', '--few-shot');
      if (!options.noise) needs(['noiseSampling', 'features', 'model'], 'label noise', '--noise');
      ensure(!(options.features && options.model), 'give the idn features either as --features or from --model, not both');
      if (options.splitFile) {
        ensure(!makes && !options.out, '--split-file checks an existing split; it takes no --noise, --imbalance, --few-shot or --out');
      } else {
        ensure(makes, 'nothing to split: give --noise, --imbalance or --few-shot (or --split-file to check a split)');
        ensure(options.out, 'give --out <file> for the split file');
        ensure(options.force || !existsSync(options.out), `${options.out} exists; pass --force to replace it`);
      }
      // Parse what needs no data first, so a bad spec fails before a large dataset is read.
      const imbalance = options.imbalance ? parseImbalanceSpec(options.imbalance) : undefined;
      const fewShot = options.fewShot
        ? {
            spec: options.fewShot,
            ...parseFewShotSpec(options.fewShot, {
              ...(options.queries ? { queries: options.queries } : {}),
              ...(options.episodes ? { episodes: options.episodes } : {}),
            }),
          }
        : undefined;

      const opened = await openDataset({
        spec: options.data,
        split: options.split,
        imageSize: options.imageSize,
        ...(options.channels ? { channels: Number(options.channels) as 1 | 3 } : {}),
        ...(options.labels ? { labelsFile: options.labels } : {}),
        env: io.env,
      });
      if (opened.note) note(opened.note);
      const { dataset } = opened;

      let split: SplitFile;
      let file: string;
      if (options.splitFile) {
        split = await readSplitFile(options.splitFile, dataset);
        file = options.splitFile;
      } else {
        const noise = options.noise ? parseNoiseSpec(options.noise, noiseSpecContext(dataset.classNames), options.noiseSampling) : undefined;
        ensure(!(options.features || options.model) || noise?.model.needsFeatures, '--features and --model are for instance-dependent noise (--noise idn:<ε>)');
        const features = !noise?.model.needsFeatures
          ? undefined
          : options.features
            ? await readFeaturesNpy(options.features)
            : options.model
              ? await backboneFeatures(options.model, options, dataset, io, globals)
              : undefined;
        const classOrder = parseClassOrder(options.classOrder, dataset.classNames);
        split = await makeSplit(dataset, {
          seed: globals.seed,
          ...(noise ? { noise } : {}),
          ...(features ? { features } : {}),
          ...(imbalance
            ? {
                imbalance: {
                  ...imbalance,
                  ...(classOrder ? { classOrder } : {}),
                  ...(options.maxPerClass ? { maxPerClass: options.maxPerClass } : {}),
                  groupRule: options.groups,
                },
              }
            : {}),
          ...(fewShot ? { fewShot } : {}),
        });
        file = options.out!;
        await writeSplitFile(file, split);
      }
      for (const warning of split.stats.noise?.warnings ?? []) io.stderr(`warning: ${warning}\n`);
      if (options.json) {
        const { schemaVersion, generator, seed, dataset: fingerprint, recipe, stats } = split;
        io.stdout(`${JSON.stringify({ file, schemaVersion, generator, seed, dataset: fingerprint, recipe, stats }, null, 2)}\n`);
        return;
      }
      printSummary(io, split, file);
    });
}
