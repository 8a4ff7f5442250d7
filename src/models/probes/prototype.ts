import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import { meanConfidenceInterval } from '../../runner/metrics.js';
import { checkFeatureSet, ensurePositiveInteger, refuseOtherSettings, type ProbeProtocol, type ProbeSettingName, type ProbeSettings } from './types.js';

type PrototypeSettings = {
  readonly ways: number;
  readonly shots: number;
  readonly queries: number;
  readonly episodes: number;
};

const ACCEPTS: readonly ProbeSettingName[] = ['ways', 'shots', 'queries', 'episodes'];

/** The few-shot protocol of Ericsson et al. 2021: 5-way 5-shot, 15 queries per class, 600 episodes. */
export const PROTOTYPE_DEFAULTS: PrototypeSettings = { ways: 5, shots: 5, queries: 15, episodes: 600 };

function resolvePrototype(settings: ProbeSettings): PrototypeSettings {
  refuseOtherSettings('prototype', ACCEPTS, settings);
  const resolved = { ...PROTOTYPE_DEFAULTS, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) } as PrototypeSettings;
  for (const name of ACCEPTS) ensurePositiveInteger(name, resolved[name as keyof PrototypeSettings]);
  ensure(resolved.ways >= 2, `an episode needs at least 2 ways (classes), got ${resolved.ways}`);
  return resolved;
}

/** `count` distinct items drawn uniformly (a partial Fisher–Yates shuffle of a copy). */
function sample(items: readonly number[], count: number, random: RandomStream): number[] {
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const j = random.int(i, pool.length - 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

function positionsByClass(labels: Int32Array, numClasses: number): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((label, i) => byClass[label]!.push(i));
  return byClass;
}

/**
 * Prototype (nearest-centroid) classification in few-shot episodes: each episode picks `ways`
 * classes, averages `shots` training embeddings per class (by the training labels, noisy ones
 * included) into prototypes, and assigns `queries` test images per class to the nearest
 * prototype by squared Euclidean distance, as ProtoNets do. Accuracy is reported as the mean
 * over episodes with a 95% confidence interval, 1.96·sd/√episodes.
 */
export const prototypeProbe: ProbeProtocol = {
  id: 'prototype',
  description: 'few-shot episodes: nearest class prototype (mean support embedding), mean accuracy over episodes with a 95% confidence interval',
  accepts: ACCEPTS,
  resolve: resolvePrototype,
  async run(data, rawSettings, random) {
    const settings = resolvePrototype(rawSettings);
    const { ways, shots, queries, episodes } = settings;
    const { dim, numClasses, train, test } = data;
    checkFeatureSet('train', train, dim, numClasses);
    checkFeatureSet('test', test, dim, numClasses);
    const supportPool = positionsByClass(train.labels, numClasses);
    const queryPool = positionsByClass(test.labels, numClasses);
    const eligible = supportPool.map((_, c) => c).filter((c) => supportPool[c]!.length >= shots && queryPool[c]!.length >= queries);
    ensure(
      eligible.length >= ways,
      `only ${eligible.length} classes have ${shots} training and ${queries} test examples, fewer than the ${ways} ways an episode needs; lower --ways, --shots or --queries`,
    );
    const predictions = new Int32Array(episodes * ways * queries);
    const labels = new Int32Array(predictions.length);
    const accuracies = new Float64Array(episodes);
    const prototypes = new Float64Array(ways * dim);
    for (let episode = 0; episode < episodes; episode++) {
      // One stream per episode: an episode's draw does not depend on the ones before it.
      const stream = random.derive('episode', episode);
      const classes = sample(eligible, ways, stream);
      prototypes.fill(0);
      classes.forEach((c, w) => {
        for (const p of sample(supportPool[c]!, shots, stream)) {
          for (let d = 0; d < dim; d++) prototypes[w * dim + d]! += train.features[p * dim + d]! / shots;
        }
      });
      let correct = 0;
      classes.forEach((c, w) => {
        sample(queryPool[c]!, queries, stream).forEach((p, q) => {
          let best = 0;
          let bestDistance = Infinity;
          for (let v = 0; v < ways; v++) {
            let distance = 0;
            for (let d = 0; d < dim; d++) distance += (test.features[p * dim + d]! - prototypes[v * dim + d]!) ** 2;
            if (distance < bestDistance) [best, bestDistance] = [v, distance];
          }
          const slot = (episode * ways + w) * queries + q;
          predictions[slot] = classes[best]!;
          labels[slot] = c;
          if (best === w) correct++;
        });
      });
      accuracies[episode] = correct / (ways * queries);
    }
    return {
      predictions,
      labels,
      settings,
      episodes: meanConfidenceInterval(accuracies),
      details: { eligibleClasses: eligible.length },
    };
  },
};
