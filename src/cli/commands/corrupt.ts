import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { corruptBatch, parseProfile } from '../../corruptions/apply.js';
import { corruptions } from '../../corruptions/catalogue.js';
import { selectCorruptions, selectSeverities } from '../../corruptions/select.js';
import type { Image, ProfileName, SampledParameters } from '../../corruptions/types.js';
import { openDataset, type Split } from '../../data/open.js';
import { ensure } from '../../errors.js';
import { encodeImage, readImageFile, type ImageFormat } from '../../io/images.js';
import { renderGrid, type GridRow } from '../../io/preview-grid.js';
import { writeFileAtomic } from '../../models/files.js';
import { parsePositiveInt, type CommandContext } from '../options.js';
import type { CommandHost } from '../program.js';
import { progressBar } from '../progress.js';
import { VERSION } from '../version.js';

interface CorruptOptions {
  data?: string;
  split: Split;
  corruption: string;
  severity: string;
  out?: string;
  format: ImageFormat;
  profile?: string;
  limit?: number;
  imageSize?: number;
  channels?: '1' | '3';
  preview?: string;
  scale?: number;
}

export function registerCorruptCommand(program: Command, host: CommandHost): void {
  program
    .command('corrupt')
    .description('write corrupted copies of a dataset (image-folder layout plus manifest.json), or draw a preview grid of one image')
    .option('--data <path|name>', 'fashion-mnist, fashion-mnist-subset, an IDX folder, a .npy file or an image-folder tree')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'test']).default('test'))
    .option('--corruption <ids>', 'corruption ids, groups (noise, blur, weather, digital, holdout, mnist-c), common or all; comma-separated', 'all')
    .option('--severity <levels>', '1–5, comma-separated, or all', 'all')
    .option('--out <path>', 'output folder (dataset mode), or the grid\'s file with --preview (.png, or .jpg for large grids)')
    .addOption(new Option('--format <format>', 'image format of written files').choices(['png', 'jpg']).default('png'))
    .option('--profile <name>', 'severity table: imagenet224, cifar32 or mnist28 (default: from the image size)')
    .option('--limit <n>', 'only the first n images, in file order', parsePositiveInt)
    .option('--image-size <n>', 'image folders: resize and centre-crop to n×n', parsePositiveInt)
    .addOption(new Option('--channels <c>', 'image folders and previews: 1 (gray) or 3 (RGB)').choices(['1', '3']))
    .option('--preview <image>', 'draw one image under every selected corruption and severity: an image file, or fashion-mnist:N for image N of the bundled subset')
    .option('--scale <k>', 'previews: enlarge each pixel k times (default: to about 96 px a cell)', parsePositiveInt)
    .action(async (options: CorruptOptions, command: Command) => {
      const context = host.contextFor(command);
      ensure(options.out, '--out is required (a folder, or a PNG file with --preview)');
      const profile = options.profile ? parseProfile(options.profile) : undefined;
      const selected = selectCorruptions(corruptions, options.corruption);
      const severities = selectSeverities(options.severity);
      if (options.preview) {
        ensure(!options.data, '--preview and --data are alternatives: give one');
        await writePreview(context, options.preview, options, selected.map((c) => c.id), severities, profile);
        return;
      }
      ensure(options.data, '--data is required (or --preview <image>)');
      await writeCorruptedDataset(context, options, selected.map((c) => c.id), severities, profile);
    });
}

/** Folder-safe class names: class folders must not nest ("T-shirt/top" → "T-shirt-top"). */
function folderName(name: string): string {
  return name.replace(/[/\\]/g, '-');
}

async function writeCorruptedDataset(
  { io, globals }: CommandContext,
  options: CorruptOptions,
  ids: readonly string[],
  severities: readonly number[],
  profile: ProfileName | undefined,
): Promise<void> {
  const opened = await openDataset({
    spec: options.data!,
    split: options.split,
    ...(options.imageSize ? { imageSize: options.imageSize } : {}),
    ...(options.channels ? { channels: Number(options.channels) as 1 | 3 } : {}),
    env: io.env,
  });
  if (opened.note && !globals.quiet) io.stderr(`${opened.note}\n`);
  const dataset = options.limit ? opened.dataset.take(options.limit) : opened.dataset;
  const out = options.out!;
  const bar = progressBar(io, 'corrupt', globals.quiet);
  const total = dataset.size * ids.length * severities.length;
  const sampled: { corruption: string; severity: number; image: string; parameters: SampledParameters }[] = [];
  const cells: { corruption: string; severity: number; profile: string; folder: string }[] = [];
  let done = 0;
  for await (const batch of dataset.batches(64)) {
    const [, height, width, channels] = batch.shape;
    for (const id of ids) {
      for (const severity of severities) {
        const result = await corruptBatch(corruptions, batch, id, severity, {
          seed: globals.seed,
          imageIndices: batch.indices,
          ...(profile ? { profile } : {}),
        });
        const folder = join(id, String(severity));
        if (batch.indices[0] === 0) cells.push({ corruption: id, severity, profile: result.profile, folder });
        const size = height * width * channels;
        for (let i = 0; i < batch.indices.length; i++) {
          const position = batch.indices[i]!;
          const className = folderName(dataset.classNames[batch.labels[i]!]!);
          const name = `${dataset.imageName(position).replace(/\.[^.]+$/, '')}.${options.format}`;
          const image: Image = { data: result.images.subarray(i * size, (i + 1) * size), height, width, channels };
          await mkdir(join(out, folder, className), { recursive: true });
          await writeFile(join(out, folder, className, name), await encodeImage(image, options.format));
          const parameters = result.sampled[i];
          if (parameters) sampled.push({ corruption: id, severity, image: join(folder, className, name), parameters });
        }
        done += batch.indices.length;
        bar.update(done, total);
      }
    }
  }
  bar.finish();
  const manifest = {
    tool: { name: 'ssl-robust', version: VERSION },
    createdAt: new Date().toISOString(),
    seed: globals.seed,
    dataset: { ...dataset.info, size: dataset.size, imageShape: dataset.imageShape, classNames: dataset.classNames },
    format: options.format,
    layout: '<corruption>/<severity>/<class>/<image>',
    cells: cells.map((cell) => ({ ...cell, parameters: corruptions.get(cell.corruption).table[cell.profile as ProfileName][cell.severity - 1] })),
    sampled,
  };
  await writeFileAtomic(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  io.stdout(`wrote ${total} images (${dataset.size} × ${ids.length} corruptions × ${severities.length} severities) and manifest.json to ${out}\n`);
}

/** One image: a bundled Fashion-MNIST image (fashion-mnist:N) or an image file. */
async function previewImage(spec: string, options: CorruptOptions, io: CommandContext['io']): Promise<Image> {
  const bundled = /^fashion-mnist(?:-subset)?(?::(\d+))?$/.exec(spec);
  if (!bundled) {
    return readImageFile(spec, {
      ...(options.imageSize ? { size: options.imageSize } : {}),
      ...(options.channels ? { channels: Number(options.channels) as 1 | 3 } : {}),
    });
  }
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test', env: io.env });
  const index = Number(bundled[1] ?? 0);
  ensure(index < dataset.size, `fashion-mnist:${index}: the bundled subset has ${dataset.size} images`);
  const [height, width, channels] = dataset.imageShape;
  return { data: await dataset.read([index]), height, width, channels };
}

async function writePreview(
  { io, globals }: CommandContext,
  spec: string,
  options: CorruptOptions,
  ids: readonly string[],
  severities: readonly number[],
  profile: ProfileName | undefined,
): Promise<void> {
  const image = await previewImage(spec, options, io);
  const batch = { images: image.data, shape: [1, image.height, image.width, image.channels] as const };
  const rows: GridRow[] = [];
  let usedProfile = profile;
  for (const id of ids) {
    if (corruptions.get(id).channels === 'rgb' && image.channels !== 3) {
      if (!globals.quiet) io.stderr(`${id}: acts on colour, left out of a gray preview\n`);
      continue;
    }
    const cells: Image[] = [image];
    for (const severity of severities) {
      const result = await corruptBatch(corruptions, batch, id, severity, { seed: globals.seed, ...(profile ? { profile } : {}) });
      usedProfile = result.profile;
      cells.push({ ...image, data: result.images });
    }
    rows.push({ label: id, cells });
  }
  ensure(rows.length > 0, 'no selected corruption applies to this image');
  const scale = options.scale ?? Math.max(1, Math.round(96 / image.width));
  const format = /\.jpe?g$/i.test(options.out!) ? 'jpg' : 'png';
  await writeFileAtomic(options.out!, await renderGrid(rows, ['clean', ...severities.map((s) => `severity ${s}`)], scale, format));
  io.stdout(`wrote ${options.out} (${rows.length} corruptions × ${severities.length} severities, profile ${usedProfile})\n`);
}
