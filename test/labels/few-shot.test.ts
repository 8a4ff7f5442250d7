/** Few-shot episodes: shape, disjointness, reproducibility, a second domain, bad input. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../src/data/open.js';
import { sampleEpisodes } from '../../src/labels/few-shot.js';
import { RandomStream } from '../../src/random/stream.js';
import { idxBytes, tempFolder } from '../helpers/files.js';
import { coveredLabelSet, sameLabels, seedArb } from './arbitraries.js';

const caseArb = coveredLabelSet(12, 4, 300).chain((set) =>
  fc.record({
    set: fc.constant(set),
    ways: fc.integer({ min: 2, max: set.numClasses }),
    shots: fc.integer({ min: 1, max: 3 }),
    queries: fc.integer({ min: 1, max: 3 }),
    episodes: fc.integer({ min: 1, max: 20 }),
    seed: seedArb,
  }).filter(({ shots, queries }) => shots + queries <= 4));

describe('few-shot episodes', () => {
  test.prop([caseArb], { numRuns: 150 })(
    'hold N distinct classes with K support and Q query examples each, all distinct and of their class',
    ({ set, seed, ...params }) => {
      const before = set.labels.slice();
      const { episodes } = sampleEpisodes(set.labels, set.numClasses, params, RandomStream.fromSeed(seed));
      expect(sameLabels(set.labels, before)).toBe(true);
      expect(episodes).toHaveLength(params.episodes);
      for (const episode of episodes) {
        expect(new Set(episode.classes).size).toBe(params.ways);
        const all = [...episode.support.flat(), ...episode.query.flat()];
        expect(new Set(all).size).toBe(all.length);
        episode.classes.forEach((c, w) => {
          expect(episode.support[w]).toHaveLength(params.shots);
          expect(episode.query[w]).toHaveLength(params.queries);
          for (const i of [...episode.support[w]!, ...episode.query[w]!]) expect(set.labels[i]).toBe(c);
        });
      }
    },
  );

  test.prop([caseArb], { numRuns: 60 })('are the same for the same seed, and episode e does not depend on how many are drawn', ({ set, seed, ...params }) => {
    const a = sampleEpisodes(set.labels, set.numClasses, params, RandomStream.fromSeed(seed));
    const b = sampleEpisodes(set.labels, set.numClasses, { ...params, episodes: params.episodes + 5 }, RandomStream.fromSeed(seed));
    expect(b.episodes.slice(0, params.episodes)).toEqual(a.episodes);
  });

  it('draws from classes large enough, and refuses K + Q beyond every class', () => {
    const labels = Int32Array.from([...Array(30).fill(0), ...Array(30).fill(1), ...Array(30).fill(2), ...Array(5).fill(3)]);
    const { eligibleClasses, episodes } = sampleEpisodes(labels, 4, { ways: 3, shots: 5, queries: 15, episodes: 50 }, RandomStream.fromSeed(0));
    expect(eligibleClasses).toEqual([0, 1, 2]);
    expect(episodes.every((e) => !e.classes.includes(3))).toBe(true);
    expect(() => sampleEpisodes(labels, 4, { ways: 2, shots: 20, queries: 15, episodes: 1 }, RandomStream.fromSeed(0)))
      .toThrow(/2-way 20-shot with 15 queries needs 35 examples in each of 2 classes; 0 of 4 classes have that many \(the largest has 30\)/);
    expect(() => sampleEpisodes(labels, 4, { ways: 1, shots: 1, queries: 1, episodes: 1 }, RandomStream.fromSeed(0))).toThrow(/at least 2 ways/);
  });

  it('samples a second domain given as IDX files (cross-domain few-shot)', async () => {
    // A stand-in second domain: 6 classes of bright squares at class-specific positions, written as MNIST-layout IDX.
    const folder = tempFolder();
    const n = 6 * 25;
    const labels = Array.from({ length: n }, (_, i) => i % 6);
    const pixels = new Uint8Array(n * 28 * 28);
    labels.forEach((c, i) => {
      for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) pixels[i * 784 + (4 * c + y) * 28 + 3 + x + (i % 5)] = 255;
    });
    writeFileSync(join(folder, 't10k-images-idx3-ubyte.gz'), idxBytes(pixels, [n, 28, 28], true));
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte.gz'), idxBytes(labels, [n], true));
    const { dataset } = await openDataset({ spec: folder, split: 'test' });
    const { episodes } = sampleEpisodes(dataset.labels, dataset.numClasses, { ways: 5, shots: 5, queries: 15, episodes: 30 }, RandomStream.fromSeed(3));
    expect(episodes).toHaveLength(30);
    for (const e of episodes) for (const [w, c] of e.classes.entries()) for (const i of e.query[w]!) expect(dataset.labels[i]).toBe(c);
  });
});
