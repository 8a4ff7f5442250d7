/** Spec strings: what users type after --noise, --imbalance, --few-shot and --class-order. */
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/data/open.js';
import { noiseSpecContext, parseClassOrder, parseFewShotSpec, parseImbalanceSpec, parseNoiseSpec } from '../../src/labels/spec.js';

const context = noiseSpecContext(FASHION_MNIST_CLASSES);

describe('specs', () => {
  it.each([
    ['symmetric:0.4', 'symmetric', { rate: 0.4 }],
    ['sym:0.2', 'symmetric', { rate: 0.2 }],
    ['uniform:0.5', 'uniform-mix', { rate: 0.5 }],
    ['pairflip:0.45', 'pair-flip', { rate: 0.45 }],
    ['asymmetric:cifar-10:0.4', 'asym', { rate: 0.4, map: { name: 'cifar10', flips: [[9, 1], [2, 0], [4, 7], [3, 5], [5, 3]] } }],
    ['idn:0.2:0.05', 'idn', { rate: 0.2, std: 0.05 }],
  ])('%s is %s', (text, id, params) => {
    const parsed = parseNoiseSpec(text, { ...context, classNames: text.includes('cifar') ? ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] : FASHION_MNIST_CLASSES });
    expect(parsed.model.id).toBe(id);
    expect(parsed.params).toEqual({ ...params, sampling: 'per-example' });
  });

  it('parses imbalance, few-shot and class-order specs', () => {
    expect(parseImbalanceSpec('longtail:100').params).toEqual({ ratio: 100 });
    expect(parseImbalanceSpec('step:50:0.3')).toMatchObject({ profile: { id: 'step' }, params: { ratio: 50, minorityFraction: 0.3 } });
    expect(parseFewShotSpec('5way5shot')).toEqual({ ways: 5, shots: 5, queries: 15, episodes: 600 });
    expect(parseFewShotSpec('5-way-20-shot-10-query', { episodes: 100 })).toEqual({ ways: 5, shots: 20, queries: 10, episodes: 100 });
    expect(() => parseFewShotSpec('5way5shot10query', { queries: 15 })).toThrow(/says 10 queries but --queries says 15/);
    expect(parseClassOrder('seeded', FASHION_MNIST_CLASSES)).toBeUndefined();
    expect(parseClassOrder('natural', ['a', 'b', 'c'])).toEqual([0, 1, 2]);
    expect(parseClassOrder('Bag, 0,ankle boot', FASHION_MNIST_CLASSES)).toEqual([8, 0, 9]);
  });

  it('refuses malformed specs with the expected form', () => {
    expect(() => parseNoiseSpec('symmetric', context)).toThrow(/--noise symmetric: expected symmetric:<rate>, got 0 arguments/);
    expect(() => parseNoiseSpec('symmetric:0.1:0.2', context)).toThrow(/expected symmetric:<rate>, got 2 arguments/);
    expect(() => parseNoiseSpec('asym:0.3', context)).toThrow(/expected asym:<fashion-mnist\|mnist\|cifar10\|map\.json>:<rate>/);
    expect(() => parseNoiseSpec('asym:missing.json:0.3', context)).toThrow(/missing\.json: cannot read the class map/);
    expect(() => parseNoiseSpec(':0.3', context)).toThrow(/empty spec/);
    expect(() => parseImbalanceSpec('step:10:2')).toThrow(/minority fraction μ must be in \(0, 1\), got 2/);
  });
});
