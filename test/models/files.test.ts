import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSaveHandler } from '../../src/models/files.js';
import { loadClassifier } from '../../src/models/load.js';
import { tempFolder } from '../helpers/files.js';

const root = tempFolder();

function smallCnn(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 1] });
  const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(input);
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'embedding' }).apply(conv);
  const logits = tfl.layers.dense({ units: 3, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

/** Copies a saved model into a new folder, letting the test tamper with model.json or the weights. */
function variant(name: string, edit: (json: any, weights: Buffer) => { json?: any; weights?: Buffer | null }): string {
  const folder = join(root, name);
  mkdirSync(folder, { recursive: true });
  const json = JSON.parse(readFileSync(join(root, 'good', 'model.json'), 'utf8'));
  const weights = readFileSync(join(root, 'good', 'weights.bin'));
  const out = edit(json, weights);
  writeFileSync(join(folder, 'model.json'), JSON.stringify(out.json ?? json));
  if (out.weights !== null) writeFileSync(join(folder, 'weights.bin'), out.weights ?? weights);
  return folder;
}

const images = () => tf.tensor4d(Array.from({ length: 2 * 64 }, (_, i) => (i % 17) / 17), [2, 8, 8, 1]);
let expected: number[][];

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = smallCnn();
  expected = (model.predict(images()) as tf.Tensor).arraySync() as number[][];
  await model.save(folderSaveHandler(join(root, 'good')));
});

describe('LayersModel files', () => {
  it('round-trips through save and load with identical logits and an embedding', async () => {
    const classifier = await loadClassifier(join(root, 'good'));
    expect(classifier.inputShape).toEqual([8, 8, 1]);
    expect(classifier.numClasses).toBe(3);
    expect(classifier.logits(images()).arraySync()).toEqual(expected);
    expect(classifier.backbone?.embeddingSize).toBe(4);
    expect(classifier.backbone?.embed(images()).shape).toEqual([2, 4]);
    expect(classifier.info.parameterCount).toBe(3 * 3 * 4 + 4 + 4 * 3 + 3);
    expect(classifier.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(classifier.info.warnings).toEqual([]);
    classifier.dispose();
  });

  it('refuses weight paths outside the model folder', async () => {
    for (const path of ['../weights.bin', '/etc/passwd', 'sub/../../x.bin', 'file:///etc/passwd']) {
      const folder = variant(`escape-${path.replace(/\W/g, '')}`, (json) => {
        json.weightsManifest[0].paths = [path];
        return { json };
      });
      await expect(loadClassifier(folder)).rejects.toThrow(/points outside the model folder; refusing to load/);
    }
  });

  it('refuses missing and short weight files', async () => {
    await expect(loadClassifier(variant('missing', () => ({ weights: null })))).rejects.toThrow(/weights\.bin is missing/);
    await expect(loadClassifier(variant('short', (_, w) => ({ weights: w.subarray(0, w.length - 8) })))).rejects.toThrow(/truncated download/);
  });

  it('warns about NaN or Inf weights', async () => {
    const folder = variant('nan', (_, w) => {
      const copy = Buffer.from(w);
      copy.writeFloatLE(Number.NaN, 0);
      return { weights: copy };
    });
    const classifier = await loadClassifier(folder);
    expect(classifier.info.warnings).toEqual([expect.stringMatching(/conv.*NaN or Inf/)]);
    classifier.dispose();
  });

  it('refuses files that are not TF.js models, in one clear line', async () => {
    const folder = join(root, 'junk');
    mkdirSync(folder);
    writeFileSync(join(folder, 'model.json'), '{"hello": 1}');
    await expect(loadClassifier(folder)).rejects.toThrow(/no modelTopology/);
    writeFileSync(join(folder, 'model.json'), '{not json');
    await expect(loadClassifier(folder)).rejects.toThrow(/not valid JSON/);
    await expect(loadClassifier(join(root, 'absent'))).rejects.toThrow(/no such file or folder/);
  });
});

describe('GraphModel files', () => {
  it('loads a graph model and runs it', async () => {
    // x [-1,2,2,1] → Reshape [-1,4] → MatMul w [4,3]: a minimal frozen graph as the converter writes it.
    const folder = join(root, 'graph');
    mkdirSync(folder);
    const node = (name: string, op: string, input: string[], attr: object = {}) => ({ name, op, input, attr });
    const modelTopology = {
      node: [
        node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '2' }, { size: '2' }, { size: '1' }] } } }),
        node('shape', 'Const', [], { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } } }),
        node('w', 'Const', [], { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '4' }, { size: '3' }] } } } }),
        node('flat', 'Reshape', ['x', 'shape'], { T: { type: 'DT_FLOAT' } }),
        node('logits', 'MatMul', ['flat', 'w'], { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } }),
      ],
      versions: { producer: 1 },
    };
    const shape = Int32Array.from([-1, 4]);
    const w = Float32Array.from({ length: 12 }, (_, i) => i);
    writeFileSync(join(folder, 'model.json'), JSON.stringify({
      format: 'graph-model',
      modelTopology,
      weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'shape', shape: [2], dtype: 'int32' }, { name: 'w', shape: [4, 3], dtype: 'float32' }] }],
    }));
    writeFileSync(join(folder, 'w.bin'), Buffer.concat([Buffer.from(shape.buffer), Buffer.from(w.buffer)]));
    const classifier = await loadClassifier(folder);
    expect(classifier.info.format).toBe('graph-model');
    expect(classifier.inputShape).toEqual([2, 2, 1]);
    expect(classifier.numClasses).toBe(3);
    const logits = classifier.logits(tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1]));
    expect(logits.arraySync()).toEqual([[0 + 9, 1 + 10, 2 + 11]]);
    classifier.dispose();
  });
});
