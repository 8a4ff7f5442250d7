import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import { checkNoiseInput, checkRate, drawFromRow, transitionStats, zeroMatrix } from '../matrix.js';
import { defineLabelNoise, type NoiseInput, type NoiseParams } from '../types.js';
import { checkArgCount, numberArg } from './args.js';

export interface InstanceDependentParams extends NoiseParams {
  /** Standard deviation of the per-example flip rates around ε (Xia et al. use 0.1). */
  readonly std?: number;
}

export const IDN_DEFAULT_STD = 0.1;

/** A draw from N(mean, std²) restricted to [0, 1], by rejection (accepts at least a third of draws for a mean in [0, 1]). */
export function truncatedNormal01(mean: number, std: number, random: RandomStream): number {
  if (std === 0) return mean;
  for (;;) {
    const x = mean + std * random.normal();
    if (x >= 0 && x <= 1) return x;
  }
}

/**
 * Instance-dependent ("part-dependent") noise after Xia et al. 2020's `get_instance_noisy_label`:
 * each example gets its own flip rate q ~ N(ε, std²) truncated to [0, 1]; a random projection
 * W[y] (d×K, standard normal entries, one per clean class) scores the other classes from the
 * example's features; the example keeps its label with probability 1 − q and otherwise moves to
 * class j with probability q·softmax(x·W[y])_j over j ≠ y. Features are used as given (Xia et al.
 * use the flattened normalised image), so their scale sets how peaked the softmax is.
 */
export const instanceDependentNoise = defineLabelNoise<InstanceDependentParams>({
  id: 'idn',
  summary: 'instance-dependent: per-example flip rate around ε, the wrong class scored from the example\'s features (Xia et al. 2020)',
  usage: 'idn:<rate>[:<std>]',
  needsFeatures: true,
  samplings: ['per-example'],
  parse(args) {
    ensure(args.length === 1 || args.length === 2, 'expected idn:<rate>[:<std>]');
    const rate = numberArg(args[0], 'noise rate', 'idn:<rate>[:<std>]');
    checkRate(rate);
    if (args.length === 1) return { rate };
    checkArgCount(args, 2, 'idn:<rate>[:<std>]');
    const std = numberArg(args[1], 'flip-rate std', 'idn:<rate>[:<std>]');
    ensure(std >= 0, `flip-rate std must be ≥ 0, got ${std}`);
    return { rate, std };
  },
  apply(input: NoiseInput, params: InstanceDependentParams, random: RandomStream) {
    checkRate(params.rate);
    checkNoiseInput(input);
    ensure((params.sampling ?? 'per-example') === 'per-example', `idn noise supports per-example sampling, not ${params.sampling}`);
    const std = params.std ?? IDN_DEFAULT_STD;
    ensure(Number.isFinite(std) && std >= 0, `flip-rate std must be a finite number ≥ 0, got ${std}`);
    const { labels, numClasses: k, features } = input;
    const n = labels.length;
    ensure(features, 'instance-dependent noise needs a features matrix (one row per example)');
    const d = features.dim;
    ensure(Number.isInteger(d) && d > 0 && features.data.length === n * d, `features: expected ${n} rows of ${d} values (${n * d}), got ${features.data.length} values`);

    const flipRates = random.derive('flip-rates');
    const q = Float64Array.from({ length: n }, () => truncatedNormal01(params.rate, std, flipRates));
    // W[y] is d×K, row-major, one block per clean class.
    const projection = random.derive('projection').fillNormal(new Float32Array(k * d * k));
    const draws = random.derive('labels');

    const clean = labels.slice();
    const noisy = new Int32Array(n);
    const rowSums = zeroMatrix(k);
    const scores = new Float64Array(k);
    const row = new Array<number>(k);
    for (let i = 0; i < n; i++) {
      const y = clean[i]!;
      const x = features.data.subarray(i * d, (i + 1) * d);
      const w = y * d * k;
      scores.fill(0);
      for (let f = 0; f < d; f++) {
        const xf = x[f]!;
        if (xf === 0) continue;
        const base = w + f * k;
        for (let j = 0; j < k; j++) scores[j] = scores[j]! + xf * projection[base + j]!;
      }
      let max = -Infinity;
      for (let j = 0; j < k; j++) if (j !== y && scores[j]! > max) max = scores[j]!;
      let total = 0;
      for (let j = 0; j < k; j++) {
        row[j] = j === y ? 0 : Math.exp(scores[j]! - max);
        total += row[j]!;
      }
      for (let j = 0; j < k; j++) row[j] = j === y ? 1 - q[i]! : (q[i]! * row[j]!) / total;
      noisy[i] = drawFromRow(row, draws.float());
      for (let j = 0; j < k; j++) rowSums[y]![j]! += row[j]!;
    }

    const stats = transitionStats(clean, noisy, k);
    const expectedTransition = rowSums.map((sums) => {
      const count = sums.reduce((a, b) => a + b, 0);
      return sums.map((s) => (count === 0 ? 0 : s / count));
    });
    return {
      model: 'idn',
      clean,
      noisy,
      expectedTransition,
      realisedTransition: stats.realised,
      transitionCounts: stats.counts,
      noiseRate: stats.rate,
      expectedNoiseRate: n === 0 ? 0 : q.reduce((a, b) => a + b, 0) / n,
      warnings: [],
    };
  },
});
