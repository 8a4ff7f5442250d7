/**
 * .onnx files through the CLI: inspect, eval and attack on a small classifier; and every kind of
 * bad file refused in one line with exit code 2 (never a stack trace).
 */
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../../src/models/onnx/proto/builder.js';
import { DataType } from '../../src/models/onnx/proto/schema.js';
import { cli } from '../helpers/cli.js';
import { tempFolder } from '../helpers/files.js';
import { normals } from './harness.js';

const folder = tempFolder('ssl-robust-onnx-');

/** A small Fashion-MNIST-shaped classifier: conv → relu → max pool → global pool → flatten → gemm. */
function tinyClassifier(options: { opset?: number; inputDims?: (number | string)[]; extra?: (b: OnnxBuilder, x: string) => string } = {}): Uint8Array {
  const b = new OnnxBuilder(options.opset ?? 17);
  b.input('images', options.inputDims ?? ['batch', 1, 28, 28]);
  const conv = b.node('Conv', ['images', b.weight('w', [8, 1, 3, 3], normals(72, 'cli-w', 0.5)), b.weight('b', [8], normals(8, 'cli-b', 0.1))], { pads: [1, 1, 1, 1] });
  let x = b.node('MaxPool', [b.node('Relu', [conv])], { kernel_shape: [2, 2], strides: [2, 2] });
  if (options.extra) x = options.extra(b, x);
  const flat = b.node('Flatten', [b.node('GlobalAveragePool', [x])], {}, { name: 'features' });
  b.node('Gemm', [flat, b.weight('fc', [10, 8], normals(80, 'cli-fc')), b.weight('fcb', [10], normals(10, 'cli-fcb'))], { transB: 1 }, { outputs: ['logits'] });
  b.output('logits', ['batch', 10]);
  return b.build();
}

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

/** The one-line error a command prints, with its exit code. */
async function refusal(args: string[]): Promise<{ code: number; line: string }> {
  const run = await cli(['--backend', 'wasm', '--quiet', ...args]);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return { code: run.code, line: lines[0]! };
}

describe('ssl-robust inspect', () => {
  it('prints inputs, outputs, ops, parameters and support for an .onnx file', async () => {
    const file = write('tiny.onnx', tinyClassifier());
    const run = await cli(['--backend', 'wasm', 'inspect', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/input\s+images \[batch, 1, 28, 28\] float/);
    expect(run.stdout).toMatch(/outputs\s+logits \[batch, 10\]/);
    expect(run.stdout).toMatch(/parameters\s+170\n/);
    expect(run.stdout).toMatch(/Conv ×1, .*Gemm ×1/);
    expect(run.stdout).toMatch(/embedding\s+features_out0/);
    expect(run.stdout).toMatch(/supported\s+yes/);
    const json = JSON.parse((await cli(['--backend', 'wasm', 'inspect', file, '--json'])).stdout) as { supported: boolean; parameterCount: number; ops: unknown[] };
    expect(json).toMatchObject({ supported: true, parameterCount: 170 });
    expect(json.ops).toHaveLength(6);
  });

  it('says which ops are unsupported and where, without failing', async () => {
    const file = write('fancy.onnx', tinyClassifier({ extra: (b, x) => b.node('FancyOp', [b.node('Inverse', [x], {}, { domain: 'com.microsoft', name: 'inv' })], {}, { name: 'fancy' }) }));
    const run = await cli(['--backend', 'wasm', 'inspect', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/supported\s+no: .*unsupported ONNX ops: com\.microsoft\.Inverse \(domain com\.microsoft; node inv\); FancyOp \(no converter; node fancy\)/);
  });

  it('describes a TF.js model too', async () => {
    const run = await cli(['--backend', 'wasm', 'inspect', 'fmnist-cnn']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/format\s+layers-model/);
  });
});

describe('.onnx models through eval and attack', () => {
  it('evaluates and attacks with PGD', async () => {
    const file = write('classifier.onnx', tinyClassifier());
    const evaluated = await cli(['--backend', 'wasm', '--quiet', 'eval', '--model', file, '--data', 'fashion-mnist-subset', '--limit', '40', '--input-mean', '0.5', '--input-std', '0.5', '--json']);
    expect(evaluated.code).toBe(0);
    const result = JSON.parse(evaluated.stdout) as { model: { format: string }; total: number; warnings: string[] };
    expect(result.model.format).toBe('onnx');
    expect(result.total).toBe(40);
    expect(result.warnings).toEqual([]);
    const attacked = await cli(['--backend', 'wasm', '--quiet', 'attack', '--model', file, '--data', 'fashion-mnist-subset', '--limit', '16', '--attack', 'pgd', '--eps', '0.1', '--steps', '3', '--checks', 'none', '--json']);
    expect(attacked.code).toBe(0);
    const robust = JSON.parse(attacked.stdout) as { cleanAccuracy: number; results: { robustAccuracy: number; maxNorm: number }[] };
    expect(robust.results[0]!.maxNorm).toBeLessThanOrEqual(0.1 + 1e-6);
    expect(robust.results[0]!.robustAccuracy).toBeLessThanOrEqual(robust.cleanAccuracy);
  });

  it('refuses --input-mean on a TF.js model and malformed lists', async () => {
    expect(await refusal(['eval', '--model', 'fmnist-cnn', '--data', 'fashion-mnist-subset', '--input-mean', '0.5'])).toMatchObject({ code: 2, line: expect.stringMatching(/apply to \.onnx models only/) });
    const badList = await cli(['eval', '--model', 'x.onnx', '--input-std', '0.5,,1']);
    expect(badList.code).toBe(2);
    expect(badList.stderr).toMatch(/--input-std.*must be comma-separated numbers/);
  });
});

describe('bad ONNX files: one line, exit code 2', () => {
  const evalWith = (file: string) => refusal(['eval', '--model', file, '--data', 'fashion-mnist-subset', '--limit', '4']);

  it('a truncated protobuf', async () => {
    const bytes = tinyClassifier();
    const file = write('truncated.onnx', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const { code, line } = await evalWith(file);
    expect(code).toBe(2);
    expect(line).toMatch(/truncated\.onnx: not a valid ONNX file: malformed protobuf at byte \d+: .*truncated/);
  });

  it('garbage and empty files', async () => {
    expect(await evalWith(write('garbage.onnx', 'this is not protobuf at all'))).toMatchObject({ code: 2, line: expect.stringMatching(/not a valid ONNX file/) });
    expect(await evalWith(write('empty.onnx', new Uint8Array(0)))).toMatchObject({ code: 2, line: expect.stringMatching(/not an ONNX model: no graph/) });
  });

  it('an unknown op, listing the ops and their nodes', async () => {
    const file = write('unknown.onnx', tinyClassifier({ extra: (b, x) => b.node('Add', [b.node('FancyOp', [x], {}, { name: 'fancy_a' }), b.node('FancyOp', [x], {}, { name: 'fancy_b' })]) }));
    const { code, line } = await evalWith(file);
    expect(code).toBe(2);
    expect(line).toMatch(/unknown\.onnx: unsupported ONNX ops: FancyOp \(no converter; nodes fancy_a, fancy_b\)/);
  });

  it('an op at an opset its converter does not cover', async () => {
    const file = write('old-gelu.onnx', tinyClassifier({ extra: (b, x) => b.node('Gelu', [x], {}, { name: 'gelu' }) }));
    expect((await evalWith(file)).line).toMatch(/Gelu \(opset 17 \(supported 20–21\); node gelu\)/);
  });

  it('IR and opset versions out of range', async () => {
    const b = new OnnxBuilder(5);
    b.input('images', [1, 1, 28, 28]);
    b.node('Relu', ['images'], {}, { outputs: ['y'] });
    b.output('y');
    expect((await evalWith(write('opset5.onnx', b.build()))).line).toMatch(/opset 5 is not supported/);
    const future = new OnnxBuilder(17, 99);
    future.input('images', [1, 1, 28, 28]);
    future.node('Relu', ['images'], {}, { outputs: ['y'] });
    future.output('y');
    expect((await evalWith(write('ir99.onnx', future.build()))).line).toMatch(/IR version 99 is not supported/);
  });

  it('external data pointing outside the folder, by path or through a link', async () => {
    const external = (name: string, location: string) => {
      const b = new OnnxBuilder(17);
      b.input('images', ['batch', 1, 28, 28]);
      const flat = b.node('Flatten', [b.node('GlobalAveragePool', ['images'])]);
      b.initializer({ name: 'fc', dims: [10, 1], dataType: DataType.FLOAT, externalData: { location, offset: '0', length: '40' } });
      b.node('Gemm', [flat, 'fc'], { transB: 1 }, { outputs: ['logits'] });
      b.output('logits');
      return write(name, b.build());
    };
    expect(await evalWith(external('escape.onnx', '../secret.bin'))).toMatchObject({ code: 2, line: expect.stringMatching(/external data location '\.\.\/secret\.bin' points outside the model folder/) });
    expect((await evalWith(external('absolute.onnx', '/etc/passwd'))).line).toMatch(/points outside the model folder/);
    const outside = write('outside.bin', new Uint8Array(40));
    const inner = join(folder, 'inner');
    mkdirSync(inner);
    symlinkSync(outside, join(inner, 'link.bin'));
    copyFileSync(external('linked.onnx', 'link.bin'), join(inner, 'linked.onnx'));
    expect((await evalWith(join(inner, 'linked.onnx'))).line).toMatch(/resolves outside the model folder/);
    writeFileSync(join(inner, 'short.bin'), new Uint8Array(12));
    copyFileSync(external('short.onnx', 'short.bin'), join(inner, 'short.onnx'));
    expect((await evalWith(join(inner, 'short.onnx'))).line).toMatch(/has 12 bytes, needs 40 \(truncated\?\)/);
    // Inside the folder, external data loads.
    writeFileSync(join(inner, 'fine.bin'), new Uint8Array(new Float32Array(10).fill(0.5).buffer));
    copyFileSync(external('fine.onnx', 'fine.bin'), join(inner, 'fine.onnx'));
    const ok = await cli(['--backend', 'wasm', '--quiet', 'inspect', join(inner, 'fine.onnx')]);
    expect(ok.stdout).toMatch(/supported\s+yes/);
    expect(readFileSync(join(inner, 'fine.bin')).length).toBe(40);
  });

  it('a shape computed at run time that cannot be folded', async () => {
    // Reshape to a shape read from the image's values: nothing static to fold.
    const file = write('dynamic.onnx', tinyClassifier({
      extra: (b, x) => {
        const size = b.node('Cast', [b.node('ReduceMax', [b.node('Shape', [x]), b.ints([0])], { keepdims: 1 })], { to: DataType.INT64 });
        const data = b.node('Cast', [b.node('ReduceMax', [x], { keepdims: 0 })], { to: DataType.INT64 }, { name: 'from_pixels' });
        const shape = b.node('Concat', [b.node('Unsqueeze', [data, b.ints([0])]), b.ints([-1]), size, size], { axis: 0 });
        return b.node('Reshape', [x, shape], {}, { name: 'reshape_dynamic' });
      },
    }));
    const { code, line } = await evalWith(file);
    expect(code).toBe(2);
    expect(line).toMatch(/node 'reshape_dynamic' \(Reshape\): its shape \(input '.*'\) is computed at run time and cannot be folded/);
  });

  it('an input without a fixed image size, and more than one input', async () => {
    expect((await evalWith(write('spatial.onnx', tinyClassifier({ inputDims: ['batch', 1, 'height', 'width'] })))).line).toMatch(/must be NCHW images with a fixed channel count and size, got \[batch, 1, height, width\]/);
    const b = new OnnxBuilder(17);
    b.input('a', [1, 1, 28, 28]).input('b', [1, 1, 28, 28]);
    b.node('Add', ['a', 'b'], {}, { outputs: ['y'] });
    b.output('y');
    expect((await evalWith(write('two.onnx', b.build()))).line).toMatch(/expected one image input, found 2 \(a, b\)/);
  });

  it('a malformed sidecar', async () => {
    const file = write('sidecar.onnx', tinyClassifier());
    write('sidecar.onnx.json', '{"mean": [0.5], "sdt": [0.5]}');
    expect((await evalWith(file)).line).toMatch(/sidecar\.onnx\.json: unknown key sdt/);
    write('sidecar.onnx.json', '{"mean": [0.5, 0.4], "std": [0.5]}');
    expect((await evalWith(file)).line).toMatch(/the input mean has 2 values, the model has 1 input channels/);
  });
});
