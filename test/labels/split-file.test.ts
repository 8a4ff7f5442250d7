/** Split files: made from a recipe and seed, written, read back, checked against their dataset, applied. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { makeSplit } from '../../src/labels/make-split.js';
import { noiseSpecContext, parseFewShotSpec, parseImbalanceSpec, parseNoiseSpec } from '../../src/labels/spec.js';
import { applySplit, episodeDatasets, readSplitFile, writeSplitFile, type SplitFile } from '../../src/labels/split-file.js';
import { tempFolder } from '../helpers/files.js';

let dataset: Dataset;
const folder = tempFolder();

beforeAll(async () => {
  ({ dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' }));
});

const noisyLongTail = () => ({
  seed: 7,
  imbalance: { ...parseImbalanceSpec('longtail:10'), groupRule: 'terciles' as const },
  noise: parseNoiseSpec('asym:fashion-mnist:0.4', noiseSpecContext(dataset.classNames)),
});

describe('split files', () => {
  it('round-trip, and applying one gives its examples with its labels', async () => {
    const labelsBefore = dataset.labels.slice();
    const split = await makeSplit(dataset, noisyLongTail());
    expect(dataset.labels).toEqual(labelsBefore);
    const file = join(folder, 'round-trip.json');
    await writeSplitFile(file, split);
    const read = await readSplitFile(file, dataset);
    expect(read).toEqual(JSON.parse(JSON.stringify(split)));
    expect(read.schemaVersion).toBe(1);
    expect(read.dataset).toMatchObject({ name: 'fashion-mnist-subset', size: 2000, numClasses: 10 });
    expect(read.stats.imbalance?.countsByRank).toEqual([200, 154, 119, 92, 71, 55, 43, 33, 25, 20]);
    expect(read.stats.size).toBe(812);

    const applied = applySplit(dataset, read);
    expect(applied.size).toBe(read.indices.length);
    expect(Array.from(applied.labels)).toEqual(read.labels);
    expect(read.cleanLabels).toEqual(read.indices.map((i) => dataset.labels[i]));
    // The images are the dataset's own, at the split's positions.
    const some = [0, 17, 811];
    expect(await applied.read(some)).toEqual(await dataset.read(some.map((p) => read.indices[p]!)));
    // Only mapped classes changed, and the statistics describe what is in the file.
    const changed = read.labels.filter((label, i) => label !== read.cleanLabels[i]).length;
    expect(read.stats.noise?.rate).toBeCloseTo(changed / read.indices.length, 12);
    expect(read.stats.noise?.transitionCounts.flat().reduce((a, b) => a + b, 0)).toBe(read.indices.length);
  });

  it('are byte-identical for the same seed and differ for another', async () => {
    const a = join(folder, 'a.json');
    const b = join(folder, 'b.json');
    const c = join(folder, 'c.json');
    await writeSplitFile(a, await makeSplit(dataset, noisyLongTail()));
    await writeSplitFile(b, await makeSplit(dataset, noisyLongTail()));
    await writeSplitFile(c, await makeSplit(dataset, { ...noisyLongTail(), seed: 8 }));
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    expect(readFileSync(a, 'utf8')).not.toBe(readFileSync(c, 'utf8'));
  });

  it('hold few-shot episodes that index the dataset', async () => {
    const split = await makeSplit(dataset, { seed: 1, fewShot: { spec: '5way1shot', ...parseFewShotSpec('5way1shot', { episodes: 10 }) } });
    const file = join(folder, 'episodes.json');
    await writeSplitFile(file, split);
    const read = await readSplitFile(file, dataset);
    expect(read.episodes).toHaveLength(10);
    const { classes, support, query } = episodeDatasets(dataset, read, 3);
    expect(support.size).toBe(5);
    expect(query.size).toBe(75);
    expect(Array.from(support.labels)).toEqual(classes);
  });

  describe('refuse', () => {
    let split: SplitFile;
    beforeAll(async () => {
      split = await makeSplit(dataset, { seed: 2, noise: parseNoiseSpec('symmetric:0.2', noiseSpecContext(dataset.classNames)) });
    });
    const write = (name: string, value: unknown) => {
      const file = join(folder, name);
      writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
      return file;
    };

    it('a split from another dataset', async () => {
      const other = dataset.take(1000);
      await expect(readSplitFile(write('other.json', split), other)).rejects.toThrow(
        /was made for dataset 'fashion-mnist-subset' \(test, 2000 examples, 10 classes, labels sha256 [0-9a-f]{12}…\), not this one 'fashion-mnist-subset' \(test, 1000 examples/,
      );
      expect(() => applySplit(other, split)).toThrow(/refusing to use it/);
      // Same size, other labels.
      const shuffled = dataset.select(Array.from({ length: 2000 }, (_, i) => (i * 7) % 2000));
      await expect(readSplitFile(write('shuffled.json', split), shuffled)).rejects.toThrow(/not this one/);
    });

    it.each([
      ['newer schema', (s: SplitFile) => ({ ...s, schemaVersion: 2 }), /schema version 2 is not supported \(this ssl-robust reads version 1\)/],
      ['no schema', (s: SplitFile) => ({ ...s, schemaVersion: undefined }), /not a split file \(no schemaVersion\)/],
      ['duplicate index', (s: SplitFile) => ({ ...s, indices: [0, ...s.indices.slice(0, -1).map(() => 0)] }), /index 0 appears twice/],
      ['index out of range', (s: SplitFile) => ({ ...s, indices: [...s.indices.slice(0, -1), 5000] }), /index 5000 is outside the dataset \(size 2000\)/],
      ['bad label', (s: SplitFile) => ({ ...s, labels: [10, ...s.labels.slice(1)] }), /label 10 of index 0 is not a class index/],
      ['tampered clean label', (s: SplitFile) => ({ ...s, cleanLabels: [(s.cleanLabels[0]! + 1) % 10, ...s.cleanLabels.slice(1)] }), /the clean label of index 0 is/],
      ['short labels', (s: SplitFile) => ({ ...s, labels: s.labels.slice(1) }), /must have the same length/],
      ['no fingerprint', (s: SplitFile) => ({ ...s, dataset: undefined }), /fingerprint is missing/],
    ])('a file with %s', async (_, tamper, message) => {
      await expect(readSplitFile(write('tampered.json', tamper(split)), dataset)).rejects.toThrow(message);
    });

    it('a file that is not JSON or not there', async () => {
      await expect(readSplitFile(write('bad.json', '{"schemaVersion": 1,'), dataset)).rejects.toThrow(/bad\.json: not valid JSON/);
      await expect(readSplitFile(join(folder, 'missing.json'), dataset)).rejects.toThrow(/cannot read the split file/);
    });
  });
});
