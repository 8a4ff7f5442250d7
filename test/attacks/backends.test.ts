/**
 * Every attack gives the same robust accuracy on wasm, cpu and webgpu, within one image: the
 * same small trained model, data, seed and parameters on each backend. (The model is a pooled
 * linear classifier so that even the pure-JS cpu backend runs every attack in seconds.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRobustness } from '../../src/attacks/evaluate.js';
import type { AttackOptions } from '../../src/attacks/types.js';
import { backendProvider, probeBackends, type BackendAvailability } from '../../src/backend/index.js';
import type { Dataset } from '../../src/data/dataset.js';
import { openDataset } from '../../src/data/open.js';
import { tinyClassifier, trainTinyModel, type TinyWeights } from '../helpers/tiny-model.js';

const requireWebgpu = process.env['SSL_ROBUST_REQUIRE_WEBGPU'] === '1';
const EPS = [0.03, 0.08];
let data: Dataset;
let weights: TinyWeights;
let found: BackendAvailability[] = [];

const ATTACKS: readonly [string, AttackOptions][] = [
  ['fgsm', {}],
  ['pgd', { steps: 5 }],
  ['pgd', { steps: 5, norm: 'l2' }],
  ['apgd-ce', { steps: 8 }],
  ['apgd-t', { steps: 5, targetClasses: 2 }],
  ['square', { queries: 60 }],
  ['ensemble', { steps: 5, targetClasses: 2, queries: 40 }],
];

beforeAll(async () => {
  found = await probeBackends();
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  await backendProvider('wasm').activate();
  const train = dataset.select(Array.from({ length: 600 }, (_, i) => 400 + i));
  weights = await trainTinyModel(await train.read(Array.from({ length: 600 }, (_, i) => i)), train.labels);
  data = dataset.take(24);
});

/** Robust counts per attack and ε on one backend. */
async function robustCounts(backend: 'wasm' | 'cpu' | 'webgpu'): Promise<number[][]> {
  await backendProvider(backend).activate();
  const model = tinyClassifier(weights);
  try {
    const counts: number[][] = [];
    for (const [attack, options] of ATTACKS) {
      const eps = options.norm === 'l2' ? EPS.map((e) => e * 10) : EPS;
      const result = await evaluateRobustness(model, data, { attack, eps, options, seed: 11, checks: 'none' });
      counts.push(result.results.map((r) => r.robustCount));
    }
    return counts;
  } finally {
    model.dispose();
  }
}

describe('attacks agree across backends', () => {
  let wasm: number[][];
  beforeAll(async () => {
    wasm = await robustCounts('wasm');
  });
  afterAll(async () => {
    await backendProvider('wasm').activate();
  });

  it('the model is worth attacking: well above chance, and the attacks break some of it', () => {
    expect(wasm[0]![0]).toBeGreaterThan(0);
    expect(wasm.flat().some((count) => count < 20)).toBe(true);
  });

  it.for(['cpu', 'webgpu'] as const)('%s matches wasm within one image for every attack and ε', async (backend, context) => {
    const availability = found.find((b) => b.name === backend)!;
    if (!availability.available) {
      if (backend === 'webgpu' && requireWebgpu) throw new Error(`webgpu is required here but unavailable: ${availability.note}`);
      context.skip();
    }
    const counts = await robustCounts(backend);
    counts.forEach((perEps, k) => perEps.forEach((count, j) => {
      expect(Math.abs(count - wasm[k]![j]!), `${ATTACKS[k]![0]} at ε #${j}: ${backend} ${count}, wasm ${wasm[k]![j]}`).toBeLessThanOrEqual(1);
    }));
  });
});
