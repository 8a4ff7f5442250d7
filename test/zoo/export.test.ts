/** Export, model cards, content hashes and the zoo command, on tiny real runs. */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { BUNDLED_SUBSET_FOLDER, openDataset } from '../../src/data/open.js';
import { readModelFiles } from '../../src/models/files.js';
import { loadClassifier } from '../../src/models/load.js';
import { composeClassifier } from '../../src/models/zoo/architecture.js';
import type { ModelCard } from '../../src/models/zoo/card.js';
import { loadZooClassifier, shippedEntries } from '../../src/models/zoo/catalogue.js';
import { exportLayersModel, float16Bits } from '../../src/models/zoo/export.js';
import { TrainingRun } from '../../src/models/zoo/train-loop.js';
import { trainers } from '../../src/models/zoo/trainers/index.js';
import { cli } from '../helpers/cli.js';
import { expectClose } from '../helpers/kernels.js';
import { tempFolder } from '../helpers/files.js';

let data: Dataset;
let images: tf.Tensor4D;
beforeAll(async () => {
  await useBackend('wasm');
  data = (await openDataset({ spec: 'fashion-mnist-subset', split: 'test' })).dataset.take(64);
  images = tf.tensor4d(await data.read(Array.from({ length: 32 }, (_, i) => i)), [32, 28, 28, 1]);
});

describe('float16 weights', () => {
  it('encodes IEEE half precision with round-to-nearest-even', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(1e6)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});

describe('export', () => {
  const folder = tempFolder();

  it('writes a LayersModel that reloads with identical logits (float32) or close ones (float16), and exposes the backbone', async () => {
    const run = TrainingRun.create({
      recipe: { ...trainers.get('supervised').defaultRecipe, epochs: 1, batchSize: 16 },
      seed: 3, numClasses: 10, backend: 'wasm', data: { name: 'subset', source: 'test', size: 64 },
    });
    await run.trainEpoch(data);
    const classifier = composeClassifier(run.architecture, run.models.backbone, run.models.heads['classifier']!, 'test-export');
    const expected = await (classifier.apply(images, { training: false }) as tf.Tensor).data();
    const expectedEmbedding = await (run.models.backbone.apply(images, { training: false }) as tf.Tensor).data();
    await exportLayersModel(classifier, join(folder, 'f32'));
    await exportLayersModel(classifier, join(folder, 'f16'), { float16: true });
    run.dispose();
    classifier.dispose();

    // The files, built by tfjs-layers' own loader, give the same logits bit for bit.
    const standard = await tfl.loadLayersModel(tf.io.fromMemory((await readModelFiles(join(folder, 'f32', 'model.json'))).artifacts));
    expect(Array.from(await (standard.predict(images) as tf.Tensor).data())).toEqual(Array.from(expected));
    standard.dispose();
    // loadClassifier folds batch norm into the convolutions: the same up to float rounding.
    const reloaded = await loadClassifier(join(folder, 'f32'));
    expectClose(await reloaded.logits(images).data() as Float32Array, expected as Float32Array, 'logits');
    expect(reloaded.backbone?.embeddingSize).toBe(128);
    expectClose(await reloaded.backbone!.embed(images).data() as Float32Array, expectedEmbedding as Float32Array, 'embedding');
    const half = await loadClassifier(join(folder, 'f16'));
    const halfLogits = await half.logits(images).data();
    const spread = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    halfLogits.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(0.02 * spread));
    expect(readFileSync(join(folder, 'f16', 'weights.bin')).length * 2).toBe(readFileSync(join(folder, 'f32', 'weights.bin')).length);
    reloaded.dispose();
    half.dispose();
  });
});

describe('ssl-robust zoo', () => {
  const folder = tempFolder();
  const trainData = join(BUNDLED_SUBSET_FOLDER, 't10k-images-idx3-ubyte.gz');
  const trained = join(folder, 'trained');
  const tiny = ['--method', 'rotnet', '--epochs', '1', '--batch-size', '16', '--data', trainData, '--limit', '64',
    '--eval-data', 'fashion-mnist-subset', '--eval-limit', '100', '--probe-weight-decay', '0.001', '--out', trained];

  it('lists every shipped backbone with its measured accuracies and goal, and the methods', async () => {
    const out = await cli(['zoo', 'list']);
    expect(out.code).toBe(0);
    const shipped = await shippedEntries();
    if (shipped.length === 0) expect(out.stdout).toMatch(/No backbones are shipped/);
    for (const { card } of shipped) expect(out.stdout).toMatch(new RegExp(`${card.name}\\s+${card.method}\\s+${card.kind}`));
    for (const id of trainers.ids()) expect(out.stdout).toContain(id);
  });

  it('loads every shipped backbone offline and checks its content hash', async () => {
    for (const entry of await shippedEntries()) {
      const model = await loadZooClassifier(entry);
      expect(model.info.sha256).toBe(entry.card.files.sha256);
      expect(model.backbone?.embeddingSize).toBe(128);
      model.dispose();
    }
  });

  it('trains, probes, exports and writes a card whose numbers the exported model reproduces', async () => {
    const run = await cli(['--backend', 'wasm', '--quiet', 'zoo', 'train', ...tiny]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const card = JSON.parse(readFileSync(join(trained, 'card.json'), 'utf8')) as ModelCard;
    expect(card).toMatchObject({ method: 'rotnet', kind: 'ssl', epochs: 1, seed: 0, evaluationData: { size: 100 } });
    expect(card.metrics.classifierHead).toBe('linear-probe');
    expect(card.goal.met).toBe(card.goal.reached >= 0.85);
    expect(readFileSync(join(trained, 'card.md'), 'utf8')).toContain(card.files.sha256);

    // Rerunning a finished run resumes from its checkpoint and trains nothing more.
    const again = await cli(['--backend', 'wasm', '--quiet', 'zoo', 'train', ...tiny]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/^epoch/m);

    const exported = join(folder, 'exported');
    const exportRun = await cli(['--backend', 'wasm', 'zoo', 'export', trained, '--out', exported]);
    expect(exportRun.code).toBe(0);
    const evaluated = await cli(['--backend', 'wasm', 'eval', '--model', exported, '--data', 'fashion-mnist-subset', '--limit', '100', '--json']);
    expect(JSON.parse(evaluated.stdout).accuracy).toBe(card.metrics.classifierTop1);

    const backboneOnly = join(folder, 'backbone');
    expect((await cli(['--backend', 'wasm', 'zoo', 'export', trained, '--out', backboneOnly, '--backbone-only'])).code).toBe(0);
    expect(existsSync(join(backboneOnly, 'model.json'))).toBe(true);
    expect((await cli(['--backend', 'wasm', 'zoo', 'export', trained, '--out', exported])).code).toBe(2);
  });

  it('lists a zoo folder\'s entries and refuses one whose files do not match its hash', async () => {
    const root = join(folder, 'zoo-root');
    cpSync(trained, join(root, 'rotnet-tiny'), { recursive: true });
    const entries = await shippedEntries(root);
    expect(entries.map((e) => e.card.method)).toEqual(['rotnet']);
    const model = await loadZooClassifier(entries[0]!);
    model.dispose();
    const weights = join(root, 'rotnet-tiny', 'weights.bin');
    const bytes = readFileSync(weights);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(weights, bytes);
    await expect(loadZooClassifier(entries[0]!)).rejects.toThrow(/sha256 .* does not match/);
    const out = await cli(['--backend', 'wasm', 'zoo', 'export', join(root, 'rotnet-tiny'), '--out', join(folder, 'x')]);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    // The audit checks the same hash before it spends any time on the model.
    const audit = await cli(['--backend', 'wasm', 'audit', '--quick', '--model', `tiny=${join(root, 'rotnet-tiny')}:ssl`, '--model', 'fmnist-cnn', '--out', join(folder, 'audit')]);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toMatch(/sha256 .* does not match its card/);
  });

  it('rejects unknown methods and never overwrites a folder that holds a model', async () => {
    const unknown = await cli(['--backend', 'wasm', 'zoo', 'train', '--method', 'swav']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown training method 'swav' \(known: supervised, supervised-rotation, simclr, byol, rotnet\)/);
    const occupied = join(folder, 'occupied');
    cpSync(join(folder, 'exported'), occupied, { recursive: true });
    const out = await cli(['--backend', 'wasm', 'zoo', 'train', ...tiny.slice(0, -1), occupied]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/already holds a model/);
  });
});
