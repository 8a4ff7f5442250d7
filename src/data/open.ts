import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensure } from '../errors.js';
import { assetPath } from '../paths.js';
import type { Dataset } from './dataset.js';
import { findIdxPair, loadIdxFiles, loadIdxFolder } from './idx.js';
import { loadImageFolder } from './image-folder.js';
import { loadNpyPair } from './npy.js';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** Where Debian's dataset-fashion-mnist package puts the full set; SSL_ROBUST_FASHION_MNIST overrides it. */
export function systemFashionMnistFolder(env: NodeJS.ProcessEnv = process.env): string {
  return env['SSL_ROBUST_FASHION_MNIST'] ?? '/usr/share/datasets/fashion-mnist';
}

/** The 2,000-image stratified subset of the Fashion-MNIST test split that ships in the package. */
export const BUNDLED_SUBSET_FOLDER: string = assetPath('data', 'fashion-mnist-subset');

export type Split = 'train' | 'test';

export interface DataRequest {
  /** `fashion-mnist`, `fashion-mnist-subset`, or a path (IDX folder or file, .npy file, image-folder tree). */
  readonly spec: string;
  readonly split: Split;
  /** For image folders: the square size images are resized and cropped to. */
  readonly imageSize?: number;
  /** For image folders: 1 (gray) or 3 (RGB). */
  readonly channels?: 1 | 3;
  /** For .npy images: the labels file, when not found by name. */
  readonly labelsFile?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface OpenedDataset {
  readonly dataset: Dataset;
  /** Which data was actually used, when the spec left a choice (full set or bundled subset). */
  readonly note?: string;
}

/** Opens a dataset from the user's --data value. */
export async function openDataset(request: DataRequest): Promise<OpenedDataset> {
  const { spec, split } = request;
  if (spec === 'fashion-mnist') return openFashionMnist(request);
  if (spec === 'fashion-mnist-subset') return { dataset: await openBundledSubset(split) };
  ensure(existsSync(spec), `--data ${spec}: no such file or folder (or use fashion-mnist / fashion-mnist-subset)`);
  if (statSync(spec).isFile()) return { dataset: await openDataFile(spec, request) };
  return { dataset: await openDataFolder(spec, request) };
}

async function openFashionMnist(request: DataRequest): Promise<OpenedDataset> {
  const folder = systemFashionMnistFolder(request.env);
  if (existsSync(folder) && findIdxPair(folder, request.split)) {
    const dataset = await loadIdxFolder(folder, request.split, { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASSES });
    return { dataset, note: `using the full Fashion-MNIST ${request.split} split from ${folder}` };
  }
  const dataset = await openBundledSubset(request.split);
  return {
    dataset,
    note: `full Fashion-MNIST not found at ${folder} (apt-get install dataset-fashion-mnist); using the bundled ${dataset.size}-image subset`,
  };
}

async function openBundledSubset(split: Split): Promise<Dataset> {
  ensure(
    split === 'test',
    'the bundled Fashion-MNIST subset holds only test images; for the train split install dataset-fashion-mnist (apt-get install dataset-fashion-mnist) and use --data fashion-mnist',
  );
  return loadIdxFolder(BUNDLED_SUBSET_FOLDER, 'test', { name: 'fashion-mnist-subset', classNames: FASHION_MNIST_CLASSES });
}

async function openDataFile(file: string, request: DataRequest): Promise<Dataset> {
  if (file.endsWith('.npy')) {
    return loadNpyPair(file, { split: request.split, ...(request.labelsFile ? { labelsFile: request.labelsFile } : {}) });
  }
  if (/-images[-.]idx3-ubyte(\.gz)?$/.test(file)) {
    const labels = file.replace(/-images([-.])idx3/, '-labels$1idx1');
    ensure(existsSync(labels), `${file}: no matching labels file ${labels}`);
    return loadIdxFiles(file, labels, request.split);
  }
  ensure(false, `--data ${file}: unknown file type (expected an IDX images file, an images .npy, or a folder)`);
}

async function openDataFolder(folder: string, request: DataRequest): Promise<Dataset> {
  const { split } = request;
  if (findIdxPair(folder, split)) return loadIdxFolder(folder, split);
  const npy = [`${split}_images.npy`, `${split}-images.npy`, 'images.npy'].map((name) => join(folder, name)).find(existsSync);
  if (npy) return openDataFile(npy, request);
  // ImageNet-style trees keep one folder per split above the class folders.
  const splitFolder = [split, split === 'test' ? 'val' : 'train'].map((name) => join(folder, name)).find(isImageTree);
  const root = splitFolder ?? folder;
  ensure(request.imageSize, `${root}: an image folder needs an image size (--image-size, or a model whose input size is known)`);
  return loadImageFolder(root, { size: request.imageSize, channels: request.channels ?? 3, split });
}

/** A folder whose visible entries include at least one folder. */
function isImageTree(folder: string): boolean {
  return existsSync(folder) && statSync(folder).isDirectory() &&
    readdirSync(folder).some((name) => !name.startsWith('.') && statSync(join(folder, name)).isDirectory());
}
