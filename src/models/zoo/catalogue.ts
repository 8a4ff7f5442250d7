import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensure } from '../../errors.js';
import { assetPath } from '../../paths.js';
import type { LoadedClassifier } from '../contract.js';
import { loadClassifier } from '../load.js';
import { readCard, type ModelCard } from './card.js';

/** Where shipped zoo backbones live: assets/zoo/<name>/{model.json, weights.bin, card.json, card.md}. */
export function zooFolder(): string {
  return assetPath('zoo');
}

/** A zoo entry: its card and the folder holding its files. */
export interface ZooEntry {
  readonly folder: string;
  readonly card: ModelCard;
}

/** The shipped entries (folders under assets/zoo with a card.json), by name. Empty when none ship. */
export async function shippedEntries(root: string = zooFolder()): Promise<ZooEntry[]> {
  if (!existsSync(root)) return [];
  const folders = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory() && existsSync(join(root, name, 'card.json'))).sort();
  return Promise.all(folders.map(async (name) => ({ folder: join(root, name), card: await readCard(join(root, name)) })));
}

/** A shipped entry by name, or a zoo model folder by path (what `zoo train --out` writes). */
export async function resolveZooEntry(nameOrFolder: string, root: string = zooFolder()): Promise<ZooEntry> {
  if (!nameOrFolder.includes('/') && existsSync(join(root, nameOrFolder, 'card.json'))) {
    return { folder: join(root, nameOrFolder), card: await readCard(join(root, nameOrFolder)) };
  }
  if (existsSync(join(nameOrFolder, 'card.json'))) return { folder: nameOrFolder, card: await readCard(nameOrFolder) };
  const known = (await shippedEntries(root)).map((e) => e.card.name);
  ensure(false, `unknown zoo model '${nameOrFolder}' (${known.length ? `shipped: ${known.join(', ')}` : 'no backbones are shipped yet'}; or give a folder written by zoo train)`);
}

/** Loads a zoo model, refusing it unless its files hash to what its card says. The caller disposes it. */
export async function loadZooClassifier(entry: ZooEntry): Promise<LoadedClassifier> {
  const model = await loadClassifier(entry.folder);
  if (model.info.sha256 !== entry.card.files.sha256) {
    model.dispose();
    ensure(false, `${entry.folder}: the model files' sha256 ${model.info.sha256.slice(0, 16)}… does not match its card's ${entry.card.files.sha256.slice(0, 16)}…; the files were changed or damaged`);
  }
  return model;
}

/**
 * Loads any model the way the audit names it (a bundled name, a model.json or its folder), and
 * when its folder holds a zoo card, refuses it unless its files match the card's hash.
 */
export async function loadCheckedClassifier(path: string): Promise<LoadedClassifier> {
  const folder = path.endsWith('.json') ? dirname(path) : path;
  if (!existsSync(join(folder, 'card.json'))) return loadClassifier(path);
  return loadZooClassifier({ folder, card: await readCard(folder) });
}
