import * as tf from '@tensorflow/tfjs-core';
import { attacks } from '../../attacks/catalogue.js';
import { exampleStream } from '../../attacks/evaluate.js';
import type { AttackOptions } from '../../attacks/types.js';
import { corruptBatch, profileForSize } from '../../corruptions/apply.js';
import { corruptions } from '../../corruptions/catalogue.js';
import type { ProfileName } from '../../corruptions/types.js';
import type { Dataset } from '../../data/dataset.js';
import { encodeImage } from '../../io/images.js';
import type { Classifier } from '../../models/contract.js';
import { RandomStream } from '../../random/stream.js';
import type { CellSpec, ResolvedAuditConfig } from './types.js';

/** A grid of example images for the HTML report: PNG data URIs, so the page stays one file. */
export interface PreviewSection {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly { readonly label: string; readonly images: readonly string[] }[];
}

const EXAMPLES = 4;

async function dataUris(pixels: Float32Array, shape: readonly [number, number, number, number]): Promise<string[]> {
  const [n, height, width, channels] = shape;
  const size = height * width * channels;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const png = await encodeImage({ data: pixels.subarray(i * size, (i + 1) * size), height, width, channels }, 'png');
    out.push(`data:image/png;base64,${png.toString('base64')}`);
  }
  return out;
}

/**
 * Example images for the report: the first few test images under one corruption per group of
 * the grid at its highest severity, and each backbone's adversarial images under the grid's
 * strongest attack. Drawn from the same seeded streams as the audit's cells.
 */
export async function makePreviews(
  config: ResolvedAuditConfig,
  cells: readonly CellSpec[],
  dataset: Dataset,
  classifiers: ReadonlyMap<string, Classifier>,
): Promise<PreviewSection[]> {
  const count = Math.min(EXAMPLES, dataset.size);
  const positions = Array.from({ length: count }, (_, i) => i);
  const [height, width, channels] = dataset.imageShape;
  const shape = [count, height, width, channels] as const;
  const clean = await dataset.read(positions);
  const columns = positions.map((p) => dataset.classNames[dataset.labels[p]!] ?? String(p));
  const sections: PreviewSection[] = [];

  const corruptionCells = cells.filter((c) => c.family === 'corruption' && c.backbone === config.backbones[0]?.id);
  if (corruptionCells.length > 0) {
    const byGroup = new Map<string, CellSpec>();
    for (const cell of corruptionCells) {
      const group = String(cell.params['group']);
      const current = byGroup.get(group);
      if (!current || (current.name === cell.name && (cell.level ?? 0) > (current.level ?? 0))) byGroup.set(group, cell);
    }
    const rows = [{ label: 'clean', images: await dataUris(clean, shape) }];
    for (const cell of byGroup.values()) {
      const corrupted = await corruptBatch(corruptions, { images: clean, shape }, cell.name, cell.level as number, {
        seed: config.seed,
        profile: (cell.params['profile'] as ProfileName | null) ?? profileForSize(height, width),
        imageIndices: positions,
      });
      rows.push({ label: `${cell.name} s${cell.level}`, images: await dataUris(corrupted.images, shape) });
    }
    sections.push({ title: 'Corrupted examples', columns, rows });
  }

  const attackCells = cells.filter((c) => c.family === 'attack' && !String(c.params['attack']).startsWith('min-eps'));
  const strongest = attackCells.reduce<CellSpec | undefined>((best, c) => (!best || (c.level ?? 0) > (best.level ?? 0) || ((c.level ?? 0) === (best.level ?? 0) && c.params['attack'] === 'pgd') ? c : best), undefined);
  if (strongest) {
    const attack = attacks.get(strongest.params['attack'] as string);
    const params = attack.resolve(strongest.level as number, strongest.params['options'] as AttackOptions);
    const root = RandomStream.fromSeed(config.seed);
    const rows = [{ label: 'clean', images: await dataUris(clean, shape) }];
    for (const backbone of config.backbones) {
      const classifier = classifiers.get(backbone.id);
      if (!classifier) continue;
      const images = tf.tensor4d(clean, [...shape]);
      try {
        const output = await attack.run(classifier, {
          images,
          labels: dataset.labels.slice(0, count),
          random: positions.map((p) => exampleStream(root, params.eps, p)),
        }, params);
        const pixels = (await output.adversarial.data()) as Float32Array;
        output.adversarial.dispose();
        rows.push({ label: `${backbone.id}: ${attack.id} ε=${params.eps}`, images: await dataUris(pixels, shape) });
      } finally {
        images.dispose();
      }
    }
    sections.push({ title: 'Adversarial examples', columns, rows });
  }
  return sections;
}
