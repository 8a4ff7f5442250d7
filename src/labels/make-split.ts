import type { Dataset } from '../data/dataset.js';
import { ensure } from '../errors.js';
import { RandomStream } from '../random/stream.js';
import { sampleEpisodes, type FewShotParams } from './few-shot.js';
import type { GroupRule } from './imbalance/groups.js';
import { imbalancedSubset, type ImbalancedSubset } from './imbalance/subset.js';
import { classCounts } from './matrix.js';
import type { ParsedImbalance, ParsedNoise } from './spec.js';
import { fingerprintOf, SPLIT_GENERATOR, SPLIT_SCHEMA_VERSION, type SplitFile } from './split-file.js';
import type { FeatureMatrix, NoisyLabels } from './types.js';

export interface SplitRequest {
  readonly seed: number;
  readonly noise?: ParsedNoise;
  /** Features for instance-dependent noise, one row per dataset example; the flattened images when absent. */
  readonly features?: FeatureMatrix;
  readonly imbalance?: ParsedImbalance & {
    /** Classes head first; seeded when absent. */
    readonly classOrder?: readonly number[];
    readonly maxPerClass?: number;
    readonly groupRule?: GroupRule;
  };
  readonly fewShot?: FewShotParams & { readonly spec: string };
}

/** Rows of a features matrix at these positions. */
function featureRows(features: FeatureMatrix, positions: readonly number[]): FeatureMatrix {
  const { data, dim } = features;
  const out = new Float32Array(positions.length * dim);
  positions.forEach((p, i) => out.set(data.subarray(p * dim, (p + 1) * dim), i * dim));
  return { data: out, dim };
}

/** The flattened images at these positions, read a chunk at a time: Xia et al.'s own features. */
async function pixelFeatures(dataset: Dataset, positions: readonly number[]): Promise<FeatureMatrix> {
  const [h, w, c] = dataset.imageShape;
  const dim = h * w * c;
  const data = new Float32Array(positions.length * dim);
  const chunk = 4096;
  for (let start = 0; start < positions.length; start += chunk) {
    data.set(await dataset.read(positions.slice(start, start + chunk)), start * dim);
  }
  return { data, dim };
}

/**
 * Makes a split of a dataset from a recipe and a seed: imbalance subsampling first, then label
 * noise on what is kept, or few-shot episodes on their own. The same dataset, recipe and seed
 * always give the same split. The dataset is not modified.
 */
export async function makeSplit(dataset: Dataset, request: SplitRequest): Promise<SplitFile> {
  const { seed, noise, imbalance, fewShot } = request;
  ensure(noise || imbalance || fewShot, 'a split needs label noise, an imbalance profile or few-shot episodes');
  ensure(!fewShot || (!noise && !imbalance), 'few-shot episodes are a split of their own; make them without --noise or --imbalance');
  const root = RandomStream.fromSeed(seed).derive('split');
  const k = dataset.numClasses;

  let indices = Array.from({ length: dataset.size }, (_, i) => i);
  let subset: ImbalancedSubset | undefined;
  if (imbalance) {
    subset = imbalancedSubset(dataset.labels, k, {
      profile: imbalance.profile,
      params: imbalance.params,
      ...(imbalance.classOrder ? { classOrder: imbalance.classOrder } : {}),
      ...(imbalance.maxPerClass !== undefined ? { maxPerClass: imbalance.maxPerClass } : {}),
      ...(imbalance.groupRule ? { groupRule: imbalance.groupRule } : {}),
    }, root.derive('imbalance', imbalance.profile.id));
    indices = subset.indices;
  }

  const episodes = fewShot ? sampleEpisodes(dataset.labels, k, fewShot, root.derive('few-shot')) : undefined;
  if (episodes) {
    const used = new Set(episodes.episodes.flatMap((e) => [...e.support.flat(), ...e.query.flat()]));
    indices = [...used].sort((a, b) => a - b);
  }

  const clean = Int32Array.from(indices, (i) => dataset.labels[i]!);
  let noisy: NoisyLabels | undefined;
  if (noise) {
    let features: FeatureMatrix | undefined;
    if (noise.model.needsFeatures) {
      if (request.features) {
        ensure(
          request.features.data.length === dataset.size * request.features.dim,
          `features: expected ${dataset.size} rows (one per example) of ${request.features.dim} values`,
        );
        features = featureRows(request.features, indices);
      } else {
        features = await pixelFeatures(dataset, indices);
      }
    }
    noisy = noise.model.apply({ labels: clean, numClasses: k, ...(features ? { features } : {}) }, noise.params, root.derive('noise', noise.model.id));
  }
  const labels = noisy ? noisy.noisy : clean;

  return {
    schemaVersion: SPLIT_SCHEMA_VERSION,
    generator: SPLIT_GENERATOR,
    seed,
    dataset: fingerprintOf(dataset),
    recipe: {
      noise: noise ? { spec: noise.spec, model: noise.model.id, params: noise.params } : null,
      imbalance: imbalance && subset
        ? { spec: imbalance.spec, profile: imbalance.profile.id, params: { ...imbalance.params }, classOrder: subset.classOrder, maxPerClass: subset.maxPerClass }
        : null,
      fewShot: fewShot ? { ...fewShot } : null,
    },
    indices,
    labels: Array.from(labels),
    cleanLabels: Array.from(clean),
    stats: {
      size: indices.length,
      classCounts: classCounts(clean, k),
      labelCounts: classCounts(labels, k),
      noise: noisy
        ? {
            model: noisy.model,
            rate: noisy.noiseRate,
            expectedRate: noisy.expectedNoiseRate,
            transitionCounts: noisy.transitionCounts,
            realisedTransition: noisy.realisedTransition,
            expectedTransition: noisy.expectedTransition,
            warnings: noisy.warnings,
          }
        : null,
      imbalance: subset
        ? { countsByRank: subset.countsByRank, countsByClass: subset.countsByClass, realisedRatio: subset.realisedRatio, groups: subset.groups }
        : null,
      fewShot: episodes ? { eligibleClasses: episodes.eligibleClasses } : null,
    },
    episodes: episodes ? episodes.episodes : null,
  };
}
