import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema, parseModelFlag, readConfigFile, resolveAuditConfig } from '../../src/runner/audit/config.js';
import { assetPath } from '../../src/paths.js';
import { tempFolder } from '../helpers/files.js';

const folder = tempFolder();

function writeConfig(name: string, text: string): string {
  const file = join(folder, name);
  writeFileSync(file, text);
  return file;
}

describe('audit configuration', () => {
  it('defaults to every bundled model on the bundled subset with the full grid', () => {
    const config = resolveAuditConfig({}, {});
    expect(config.backbones).toEqual(expect.arrayContaining([{ id: 'fmnist-cnn', path: 'fmnist-cnn', kind: 'supervised', method: 'cross-entropy' }]));
    expect(config.data).toEqual({ spec: 'fashion-mnist-subset', split: 'test', limit: 500 });
    expect(config.families).toEqual(['clean', 'corruption', 'attack', 'label-noise', 'imbalance', 'few-shot']);
    expect(config.grids['corruption']!['severities']).toEqual([1, 2, 3, 4, 5]);
    expect(config.grids['corruption']!['corruptions']).toHaveLength(15);
    const quick = resolveAuditConfig({}, { quick: true });
    expect(quick.data.limit).toBe(200);
    expect(quick.grids['corruption']!['severities']).toEqual([1, 3, 5]);
  });

  it('takes flags over the file and the file over the defaults, key by key within a family', () => {
    const file = readConfigFile(writeConfig('a.yaml', [
      'models:',
      '  - { id: mine, path: fmnist-cnn, kind: ssl, method: simclr }',
      'limit: 64',
      'seed: 5',
      'corruption:',
      '  corruptions: [fog, contrast]',
      '  severities: [2, 4]',
      'gate: ["clean.accuracy>=0.5"]',
    ].join('\n')));
    const config = resolveAuditConfig(file, { seed: 9, corruption: { severities: [1] } });
    expect(config.seed).toBe(9);
    expect(config.data.limit).toBe(64);
    expect(config.backbones).toEqual([{ id: 'mine', path: 'fmnist-cnn', kind: 'ssl', method: 'simclr' }]);
    expect(config.grids['corruption']).toMatchObject({ corruptions: ['fog', 'contrast'], severities: [1] });
    expect(config.gate).toEqual(['clean.accuracy>=0.5']);
  });

  it('reads JSON configs too', () => {
    const file = readConfigFile(writeConfig('b.json', JSON.stringify({ families: ['corruption'], protocol: 'knn' })));
    const config = resolveAuditConfig(file, {});
    expect(config.families).toEqual(['clean', 'corruption']);
    expect(config.protocol).toBe('knn');
  });

  it('gives one clear line per mistake in a config file', () => {
    const file = writeConfig('bad.yaml', [
      'limt: 5',
      'seed: -1',
      'protocol: svm',
      'corruption:',
      '  severities: [0, 3]',
      '  colour: red',
      'attack:',
      '  attacks: [{ attack: pgd, eps: [0.1] }]',
    ].join('\n'));
    let message = '';
    try {
      readConfigFile(file);
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/bad\.yaml: \(top level\): unknown key 'limt' \(known: models, data, split, limit,/),
      `${file}: seed: must be >= 0`,
      `${file}: protocol: must be one of "linear", "knn"`,
      `${file}: corruption.severities.0: must be >= 1`,
      expect.stringMatching(/corruption: unknown key 'colour' \(known: corruptions, severities, profile\)/),
      `${file}: attack.attacks.0: missing 'norm'`,
    ]));
    expect(lines).toHaveLength(6);
  });

  it.each([
    ['c.yaml', 'limit: [1', /c\.yaml: not valid YAML/],
    ['d.yaml', '- a\n- b', /expected a mapping of settings/],
    ['e.json', '{"corruption": {"corruptions": ["fgo"]}}', null],
  ])('refuses %s', (name, text, pattern) => {
    const file = writeConfig(name, text);
    if (pattern) expect(() => readConfigFile(file)).toThrow(pattern);
    else expect(() => resolveAuditConfig(readConfigFile(file), {})).toThrow(/unknown corruption 'fgo' \(known: gaussian_noise/);
  });

  it('parses --model name=path[:kind] and insists on a kind when the model has no card', () => {
    expect(parseModelFlag('a=some/dir:ssl')).toEqual({ id: 'a', path: 'some/dir', kind: 'ssl' });
    expect(parseModelFlag('fmnist-cnn')).toEqual({ path: 'fmnist-cnn' });
    expect(() => resolveAuditConfig({}, { models: ['x=/no/such/model'] })).toThrow(/no such file or folder/);
    expect(() => resolveAuditConfig({}, { models: ['a=fmnist-cnn', 'a=fmnist-cnn'] })).toThrow(/'a' is used twice/);
    expect(() => resolveAuditConfig({}, { models: ['fmnist-cnn'], reference: 'nope' })).toThrow(/--reference nope: not one of the backbones/);
  });

  it('reads kind and method from a model card (card.json next to model.json)', () => {
    const model = join(folder, 'my-simclr');
    cpSync(assetPath('models', 'fmnist-cnn'), model, { recursive: true });
    writeFileSync(join(model, 'card.json'), JSON.stringify({ name: 'my-simclr', kind: 'ssl', method: 'simclr' }));
    const config = resolveAuditConfig({}, { models: [model, `again=${join(model, 'model.json')}:supervised`] });
    expect(config.backbones).toEqual([
      { id: 'my-simclr', path: model, kind: 'ssl', method: 'simclr' },
      { id: 'again', path: join(model, 'model.json'), kind: 'supervised', method: 'unknown' },
    ]);
    writeFileSync(join(model, 'card.json'), '{}');
    expect(() => resolveAuditConfig({}, { models: [model] })).toThrow(/is it self-supervised or supervised\? .*write my-simclr=.*:ssl or :supervised/);
  });

  it('publishes a config schema that knows every family section', () => {
    const schema = configSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['models', 'corruption', 'attack', 'gate']));
  });
});
