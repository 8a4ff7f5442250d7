/**
 * The native kernels (oneDNN convolutions, OpenBLAS matrix products) against the cpu
 * backend, over random shapes, strides, paddings, dilations, rounding modes, channel
 * multipliers, batch broadcasting, biases and activations.
 *
 * The same properties run twice: with the native kernels registered on wasm (skipped, with
 * the reason in the test name, where the addon is not built) and with them unregistered,
 * i.e. on the wasm kernels they fall back to. In native mode every property also checks that
 * the addon really computed the result (a spy on its entry points), so a silent fallback fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { loadNativeAddon, registerNativeKernels, unregisterNativeKernels, isNativeKernelRegistered, NATIVE_KERNELS } from '../../src/backend/native/index.js';
import { planMatMul } from '../../src/backend/native/kernels/batch-mat-mul.js';
import { registerWasmGradientKernels } from '../../src/backend/wasm-kernels/index.js';
import { expectClose, on, values } from '../helpers/kernels.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

const load = loadNativeAddon();
const nativeSkipReason = load.ok ? undefined : load.reason;

beforeAll(async () => {
  registerWasmGradientKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const padArb: fc.Arbitrary<Pad> = fc.oneof(
  fc.constant<Pad>('same'),
  fc.constant<Pad>('valid'),
  fc.integer({ min: 0, max: 2 }),
  fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)).map(([t, b, l, r]): Pad => [[0, 0], [t, b], [l, r], [0, 0]]),
);

interface ConvCase {
  readonly x: Shape4;
  readonly filter: Shape4;
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly pad: Pad;
  readonly rounding: Rounding;
  readonly seed: number;
}

function convInfoOf(c: ConvCase, depthwise: boolean): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.stride, c.dilation, c.pad, c.rounding, depthwise);
}

/**
 * A convolution with at least one output pixel. tfjs-core 4.22 sizes a numeric pad's output
 * width with the filter height, which makes XNNPACK (the wasm fallback) write out of range,
 * so numeric pads come with square filters; rounding modes only mean something with them.
 */
function convCaseArb(opts: { maxStride: number; dilations: boolean; maxOut: number; depthwise: boolean; native: boolean }): fc.Arbitrary<ConvCase> {
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      height: fc.integer({ min: 1, max: 10 }),
      width: fc.integer({ min: 1, max: 10 }),
      inC: fc.integer({ min: 1, max: 6 }),
      outC: fc.integer({ min: 1, max: opts.maxOut }),
      fh: fc.integer({ min: 1, max: 4 }),
      fw: fc.integer({ min: 1, max: 4 }),
      sh: fc.integer({ min: 1, max: opts.maxStride }),
      sw: fc.integer({ min: 1, max: opts.maxStride }),
      dh: opts.dilations ? fc.integer({ min: 1, max: 3 }) : fc.constant(1),
      dw: opts.dilations ? fc.integer({ min: 1, max: 3 }) : fc.constant(1),
      pad: padArb,
      rounding: fc.constantFrom<Rounding>(undefined, 'floor', 'round', 'ceil'),
      seed: fc.nat(),
    })
    .map((r): ConvCase => ({
      x: [r.batch, r.height, r.width, r.inC],
      filter: [r.fh, typeof r.pad === 'number' ? r.fh : r.fw, r.inC, r.outC],
      stride: [r.sh, r.sw],
      dilation: [r.dh, r.dw],
      pad: r.pad,
      rounding: typeof r.pad === 'number' ? r.rounding : undefined,
      seed: r.seed,
    }))
    .filter((c) => {
      const info = convInfoOf(c, opts.depthwise);
      return info.outHeight > 0 && info.outWidth > 0 && (opts.native || wasmSafe(c));
    });
}

function convAttrs(c: ConvCase): Record<string, unknown> {
  return { strides: c.stride, pad: c.pad, dilations: c.dilation, dataFormat: 'NHWC', ...(c.rounding ? { dimRoundingMode: c.rounding } : {}) };
}

/**
 * What the wasm backend's own kernels survive: its Conv2D kernel ignores dimRoundingMode and
 * mis-sizes dilated convolutions with a stride or a numeric pad (XNNPACK then writes out of
 * range and corrupts the heap), and gets some non-square filters and strides wrong (e.g.
 * SAME, x 5×1, filter 1×2, strides [3, 1]), so the fallback runs keep to square, uniform
 * geometries; the native kernels take them all.
 */
function wasmSafe(c: ConvCase): boolean {
  const dilated = c.dilation[0] > 1 || c.dilation[1] > 1;
  const strided = c.stride[0] > 1 || c.stride[1] > 1;
  const uniform = c.filter[0] === c.filter[1] && c.stride[0] === c.stride[1] && c.dilation[0] === c.dilation[1];
  return uniform && c.rounding === undefined && !(dilated && (strided || typeof c.pad === 'number'));
}

/** Runs one kernel directly on wasm and on cpu with the same inputs; returns [wasm, cpu]. */
async function both(kernel: string, inputs: Record<string, { shape: number[]; data: Float32Array }>, attrs: Record<string, unknown>): Promise<[Float32Array, Float32Array]> {
  const run = () => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
    return [tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor];
  };
  const [wasm] = await on('wasm', run);
  const [cpu] = await on('cpu', run);
  return [wasm!, cpu!];
}

const MODES = [
  { mode: 'native', skip: nativeSkipReason },
  { mode: 'wasm fallback', skip: undefined },
] as const;

for (const { mode, skip } of MODES) {
  const title = skip ? `${mode} kernels (skipped: ${skip})` : `${mode} kernels`;
  describe.skipIf(skip !== undefined)(title, () => {
    const native = mode === 'native';
    let convSpy: MockInstance | undefined;
    let gemmSpy: MockInstance | undefined;
    let tileSpy: MockInstance | undefined;

    beforeAll(() => {
      if (mode === 'native') {
        expect(registerNativeKernels()).toBe(true);
        if (load.ok) {
          convSpy = vi.spyOn(load.addon, 'conv');
          gemmSpy = vi.spyOn(load.addon, 'gemm');
          tileSpy = vi.spyOn(load.addon, 'tile');
        }
      } else {
        unregisterNativeKernels();
      }
      for (const k of NATIVE_KERNELS) expect(isNativeKernelRegistered(k.kernelName), k.kernelName).toBe(mode === 'native');
    });
    afterAll(() => {
      convSpy?.mockRestore();
      gemmSpy?.mockRestore();
      tileSpy?.mockRestore();
      unregisterNativeKernels();
    });

    /** Forgets the addon calls seen so far: each property run starts with this. */
    function freshSpies(): void {
      convSpy?.mockClear();
      gemmSpy?.mockClear();
    }

    /** In native mode: the addon ran since freshSpies() and computed every call itself (no silent fallback). */
    function expectAddonRan(spy: () => MockInstance | undefined): void {
      const s = spy();
      if (mode !== 'native' || s === undefined) return;
      expect(s.mock.calls.length, 'native kernel calls').toBeGreaterThan(0);
      for (const r of s.mock.results) expect(r.value, 'the addon refused a geometry').toBeUndefined();
    }

    it('Conv2D matches cpu (strides, dilations, SAME/VALID/explicit/numeric pads, rounding)', async () => {
      await fc.assert(
        fc.asyncProperty(convCaseArb({ maxStride: 3, dilations: true, maxOut: 6, depthwise: false, native }), async (c) => {
          freshSpies();
          const [wasm, cpu] = await both('Conv2D', { x: { shape: c.x, data: values(c.x, c.seed) }, filter: { shape: c.filter, data: values(c.filter, c.seed + 1) } }, convAttrs(c));
          expectClose(wasm, cpu, `Conv2D ${JSON.stringify(c)}`);
          expectAddonRan(() => convSpy);
        }),
        { numRuns: 60 },
      );
    });

    it('FusedConv2D with a bias and each activation matches cpu', async () => {
      const activations = ['linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'] as const;
      await fc.assert(
        fc.asyncProperty(
          convCaseArb({ maxStride: 2, dilations: true, maxOut: 5, depthwise: false, native }),
          fc.constantFrom(...activations),
          // The wasm kernel takes only a per-channel bias; the native one also a single value.
          native ? fc.boolean() : fc.constant(false),
          async (c, activation, scalarBias) => {
            freshSpies();
            const biasShape = scalarBias ? [1] : [c.filter[3]];
            const [wasm, cpu] = await both(
              'FusedConv2D',
              {
                x: { shape: c.x, data: values(c.x, c.seed) },
                filter: { shape: c.filter, data: values(c.filter, c.seed + 1) },
                bias: { shape: biasShape, data: values(biasShape, c.seed + 2) },
              },
              { ...convAttrs(c), activation, leakyreluAlpha: 0.15 },
            );
            expectClose(wasm, cpu, `FusedConv2D ${activation} ${JSON.stringify(c)}`);
            expectAddonRan(() => convSpy);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('Conv2DBackpropInput matches cpu (strides up to 3, all pads, rounding)', async () => {
      await fc.assert(
        fc.asyncProperty(convCaseArb({ maxStride: 3, dilations: false, maxOut: 6, depthwise: false, native }), async (c) => {
          freshSpies();
          const dy = convInfoOf(c, false).outShape as number[];
          const { dilations: _, ...attrs } = convAttrs(c);
          const [wasm, cpu] = await both(
            'Conv2DBackpropInput',
            { dy: { shape: dy, data: values(dy, c.seed) }, filter: { shape: c.filter, data: values(c.filter, c.seed + 1) } },
            { ...attrs, inputShape: c.x },
          );
          expectClose(wasm, cpu, `Conv2DBackpropInput ${JSON.stringify(c)}`);
          expectAddonRan(() => convSpy);
        }),
        { numRuns: 60 },
      );
    });

    it('Conv2DBackpropFilter matches cpu (strides up to 3, all pads, rounding)', async () => {
      await fc.assert(
        fc.asyncProperty(convCaseArb({ maxStride: 3, dilations: false, maxOut: 6, depthwise: false, native }), async (c) => {
          freshSpies();
          const dy = convInfoOf(c, false).outShape as number[];
          const { dilations: _, ...attrs } = convAttrs(c);
          const [wasm, cpu] = await both(
            'Conv2DBackpropFilter',
            { x: { shape: c.x, data: values(c.x, c.seed) }, dy: { shape: dy, data: values(dy, c.seed + 1) } },
            { ...attrs, filterShape: c.filter },
          );
          expectClose(wasm, cpu, `Conv2DBackpropFilter ${JSON.stringify(c)}`);
          expectAddonRan(() => convSpy);
        }),
        { numRuns: 60 },
      );
    });

    it('tf.grad through conv2d matches cpu on a training-size layer (dx and dW)', async () => {
      freshSpies();
      const x: Shape4 = [8, 14, 14, 16];
      const filter: Shape4 = [3, 3, 16, 24];
      const grads = () =>
        tf.grads((a: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'))))([
          tf.tensor4d(values(x, 1), x),
          tf.tensor4d(values(filter, 2), filter),
        ]);
      const [wasmDx, wasmDw] = await on('wasm', grads);
      const [cpuDx, cpuDw] = await on('cpu', grads);
      // dW sums 392 pixels × dy values of size ~10: compare relative to the gradient's scale.
      const scale = (v: Float32Array) => v.reduce((m, e) => Math.max(m, Math.abs(e)), 0);
      for (const [a, b, what] of [[wasmDx!, cpuDx!, 'dx'], [wasmDw!, cpuDw!, 'dW']] as const) {
        const s = scale(b);
        for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]`).toBeLessThanOrEqual(1e-4 * (1 + s));
      }
      expectAddonRan(() => convSpy);
    });

    it('DepthwiseConv2dNative matches cpu (multipliers, strides, dilations, pads)', async () => {
      await fc.assert(
        fc.asyncProperty(convCaseArb({ maxStride: 3, dilations: true, maxOut: 3, depthwise: true, native }), async (c) => {
          freshSpies();
          // tfjs allows dilation > 1 only with stride 1 here (the cpu kernel asserts it).
          fc.pre((c.stride[0] === 1 && c.stride[1] === 1) || (c.dilation[0] === 1 && c.dilation[1] === 1));
          const [wasm, cpu] = await both(
            'DepthwiseConv2dNative',
            { x: { shape: c.x, data: values(c.x, c.seed) }, filter: { shape: c.filter, data: values(c.filter, c.seed + 1) } },
            convAttrs(c),
          );
          expectClose(wasm, cpu, `DepthwiseConv2dNative ${JSON.stringify(c)}`);
          expectAddonRan(() => convSpy);
        }),
        { numRuns: 50 },
      );
    });

    it('the depthwise gradients match cpu (multipliers, strides, pads, rounding)', async () => {
      await fc.assert(
        fc.asyncProperty(convCaseArb({ maxStride: 3, dilations: false, maxOut: 3, depthwise: true, native }), async (c) => {
          freshSpies();
          const dy = convInfoOf(c, true).outShape as number[];
          const attrs = convAttrs(c);
          const [wasmDx, cpuDx] = await both(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: { shape: dy, data: values(dy, c.seed) }, filter: { shape: c.filter, data: values(c.filter, c.seed + 1) } },
            { ...attrs, inputShape: c.x },
          );
          expectClose(wasmDx, cpuDx, `DepthwiseConv2dNativeBackpropInput ${JSON.stringify(c)}`);
          const [wasmDw, cpuDw] = await both(
            'DepthwiseConv2dNativeBackpropFilter',
            { x: { shape: c.x, data: values(c.x, c.seed + 2) }, dy: { shape: dy, data: values(dy, c.seed) } },
            { ...attrs, filterShape: c.filter },
          );
          expectClose(wasmDw, cpuDw, `DepthwiseConv2dNativeBackpropFilter ${JSON.stringify(c)}`);
          expectAddonRan(() => convSpy);
        }),
        { numRuns: 50 },
      );
    });

    it('BatchMatMul matches cpu (transposes, batch broadcasting, ranks 2–4)', async () => {
      const dims = fc.integer({ min: 1, max: 9 });
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            m: dims, n: dims, k: dims, transposeA: fc.boolean(), transposeB: fc.boolean(), seed: fc.nat(),
            batchA: fc.array(fc.constantFrom(1, 2, 3), { maxLength: 2 }),
            broadcastB: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
          }),
          async (r) => {
            freshSpies();
            // b's batch axes: a's, with some set to 1 (broadcast) and possibly fewer of them.
            // b's batch axes: a's, a trailing part of them, or all 1 (broadcast).
            const batchB = r.broadcastB[0] ? r.batchA.map(() => 1) : r.batchA.slice(r.broadcastB[1] ? 1 : 0);
            const aShape = [...r.batchA, ...(r.transposeA ? [r.k, r.m] : [r.m, r.k])];
            const bShape = [...batchB, ...(r.transposeB ? [r.n, r.k] : [r.k, r.n])];
            const [wasm, cpu] = await both(
              'BatchMatMul',
              { a: { shape: aShape, data: values(aShape, r.seed) }, b: { shape: bShape, data: values(bShape, r.seed + 1) } },
              { transposeA: r.transposeA, transposeB: r.transposeB },
            );
            expectClose(wasm, cpu, `BatchMatMul ${JSON.stringify({ aShape, bShape, ...r })}`);
            expectAddonRan(() => gemmSpy);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('_FusedMatMul with a bias and each activation matches cpu', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          // The wasm kernel gets transposeB wrong here (e.g. m = n = 2, k = 1); the native one does not.
          native ? fc.boolean() : fc.constant(false),
          fc.constantFrom('linear', 'relu', 'relu6', 'leakyrelu', 'sigmoid', 'elu'),
          // The wasm kernel reads a bias of any other shape out of range; the native one takes [1], [n] and [1, n].
          native ? fc.constantFrom<number[]>([1], [-1], [1, -1]) : fc.constant([-1]),
          fc.nat(),
          async (m, n, k, transposeB, activation, biasForm, seed) => {
            freshSpies();
            const biasShape = biasForm.map((d) => (d === -1 ? n : d));
            // Rank 3, as the fused.matMul op hands them to the kernel.
            const bShape = transposeB ? [1, n, k] : [1, k, n];
            const [wasm, cpu] = await both(
              '_FusedMatMul',
              {
                a: { shape: [1, m, k], data: values([m, k], seed) },
                b: { shape: bShape, data: values(bShape, seed + 1) },
                bias: { shape: biasShape, data: values(biasShape, seed + 2) },
              },
              { transposeA: false, transposeB, activation, leakyreluAlpha: 0.3 },
            );
            expectClose(wasm, cpu, `_FusedMatMul ${activation} ${JSON.stringify({ m, n, k, biasShape })}`);
            expectAddonRan(() => gemmSpy);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('Tile matches cpu (ranks 0–5, zero and repeated reps, float32 and int32)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 })), { maxLength: 5 }),
          fc.constantFrom('float32' as const, 'int32' as const),
          fc.nat(),
          async (axes, dtype, seed) => {
            freshSpies();
            tileSpy?.mockClear();
            const shape = axes.map(([d]) => d);
            const reps = axes.map(([, r]) => r);
            const data = Array.from(values(shape, seed), (v) => (dtype === 'int32' ? Math.round(v * 1000) : v));
            const run = () => [tf.cast(tf.tile(tf.tensor(data, shape, dtype), reps), 'float32')];
            const [wasm] = await on('wasm', run);
            const [cpu] = await on('cpu', run);
            expectClose(wasm!, cpu!, `Tile ${dtype} ${JSON.stringify({ shape, reps })}`);
            expectAddonRan(() => tileSpy);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('Identity and same-dtype Cast keep their values through disposal of the source and reassignment of a variable', async () => {
      await tf.setBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const before = backend.numDataIds();
        const source = tf.tensor(Array.from(values([2, 3, 4], 5), (v) => (dtype === 'float32' ? v : v > 0 ? 1 : 0)), [2, 3, 4], dtype);
        const expected = Array.from(source.dataSync());
        const ids = backend.numDataIds();
        const clone = tf.clone(source);
        const cast = tf.cast(source, dtype);
        // With the native kernels they alias the source's data; the wasm kernels copy it.
        expect(backend.numDataIds() - ids, `${dtype}: new buffers`).toBe(native ? 0 : 2);
        source.dispose();
        expect(Array.from(clone.dataSync()), `${dtype} clone`).toEqual(expected);
        expect(Array.from(cast.dataSync()), `${dtype} cast`).toEqual(expected);
        expect([clone.shape, cast.shape, clone.dtype, cast.dtype]).toEqual([[2, 3, 4], [2, 3, 4], dtype, dtype]);
        tf.dispose([clone, cast]);
        expect(backend.numDataIds(), `${dtype}: every buffer freed`).toBe(before);
      }
      const variable = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3])));
      const snapshot = tf.clone(variable);
      tf.tidy(() => variable.assign(tf.tensor1d([7, 8, 9])));
      expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3]);
      expect(Array.from(variable.dataSync())).toEqual([7, 8, 9]);
      // Casts that convert, and strings, still reach the wasm kernels.
      expect(Array.from(tf.tidy(() => tf.cast(tf.tensor1d([1.7, -2.2]), 'int32').dataSync()))).toEqual([1, -2]);
      expect(tf.tidy(() => tf.clone(tf.tensor1d(['a', 'b'], 'string')).dataSync())).toEqual(['a', 'b']);
      tf.dispose([variable, snapshot]);
    });

    it('a large-channel layer on a tiny image (the native kernels\' blocked-layout path) matches cpu: forward with bias and relu, plain forward, dx', async () => {
      freshSpies();
      const x: Shape4 = [2, 4, 4, 512];
      const filter: Shape4 = [3, 3, 512, 512];
      const data = { x: values(x, 21), filter: values(filter, 22).map((v) => v / 48), bias: values([512], 23) };
      const run = () => {
        const [xt, ft] = [tf.tensor4d(data.x, x), tf.tensor4d(data.filter, filter)];
        const y = tf.fused.conv2d({ x: xt, filter: ft, bias: tf.tensor1d(data.bias), strides: 1, pad: 'same', activation: 'relu' });
        const dy = tf.tensor4d(values(y.shape, 24), y.shape);
        return [y, tf.conv2dTranspose(dy, ft, x, 1, 'same'), tf.conv2d(xt, ft, 1, 'same')];
      };
      const wasm = await on('wasm', run);
      const cpu = await on('cpu', run);
      wasm.forEach((w, i) => expectClose(w, cpu[i]!, ['fused forward', 'dx', 'forward'][i]!));
      expectAddonRan(() => convSpy);
    });

    it('takes a depthwise convolution whose caller passes no dilations (as tfjs gradients do)', async () => {
      freshSpies();
      const x = [2, 7, 7, 3];
      const f = [3, 3, 3, 2];
      for (const kernel of ['DepthwiseConv2dNative']) {
        const [wasm, cpu] = await both(kernel, { x: { shape: x, data: values(x, 1) }, filter: { shape: f, data: values(f, 2) } }, { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: null });
        expectClose(wasm, cpu, `${kernel} without dilations`);
      }
      expectAddonRan(() => convSpy);
    });

    it('leaves the tensor count and the backend memory flat over repeated forward and gradient calls', async () => {
      await tf.setBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      const x = tf.tensor4d(values([4, 12, 12, 3], 1), [4, 12, 12, 3]);
      const w = tf.tensor4d(values([3, 3, 3, 8], 2), [3, 3, 3, 8]);
      const m = tf.tensor2d(values([32, 16], 3), [32, 16]);
      const step = () =>
        tf.tidy(() => {
          const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.relu(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'))))([x, w]);
          return [tf.sum(dx!), tf.sum(dw!), tf.sum(tf.matMul(m, m, false, true))].map((t) => t.dataSync()[0]);
        });
      const first = step();
      const tensors = tf.memory().numTensors;
      const dataIds = backend.numDataIds();
      for (let i = 0; i < 5; i++) expect(step()).toEqual(first);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backend.numDataIds()).toBe(dataIds);
      tf.dispose([x, w, m]);
    });

    it('stays correct when allocating the output grows (and so replaces) the wasm heap', async () => {
      freshSpies();
      await tf.setBackend('wasm');
      const backend = tf.backend() as BackendWasm;
      const heapBytes = () => (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
      // An output larger than the whole heap so far: makeOutput must grow memory.
      const channels = 64;
      const side = Math.ceil(Math.sqrt(heapBytes() / 4 / channels)) + 8;
      const xShape: Shape4 = [1, side, side, 1];
      const fShape: Shape4 = [1, 1, 1, channels];
      const before = heapBytes();
      const run = () => [tf.slice(tf.conv2d(tf.tensor4d(values(xShape, 4), xShape), tf.tensor4d(values(fShape, 5), fShape), 1, 'valid'), [0, side - 3, side - 3, 0], [1, 3, 3, channels])];
      const [wasm] = await on('wasm', run);
      expect(heapBytes()).toBeGreaterThan(before);
      const [cpu] = await on('cpu', run);
      expectClose(wasm!, cpu!, 'conv2d output that grew the heap');
      expectAddonRan(() => convSpy);
    });
  });
}

describe('planMatMul (batch broadcasting as tfjs kernels do it)', () => {
  it('maps each output batch to the operand matrices the cpu kernel reads', () => {
    const plan = planMatMul([2, 3, 3, 4], [3, 4, 5], false, false)!;
    expect(plan.outShape).toEqual([2, 3, 3, 5]);
    // Flattened batch i reads a's i and b's i mod 3.
    expect(Array.from(plan.aOffsets)).toEqual([0, 12, 24, 36, 48, 60]);
    expect(Array.from(plan.bOffsets)).toEqual([0, 20, 40, 0, 20, 40]);
    const transposed = planMatMul([1, 4, 3], [2, 5, 4], true, true)!;
    expect([transposed.m, transposed.n, transposed.k, ...transposed.outShape]).toEqual([3, 5, 4, 2, 3, 5]);
    expect(Array.from(transposed.aOffsets)).toEqual([0, 0]);
  });

  it('leaves to the wasm kernel the shapes where the modulo indexing and the output shape of tfjs disagree', () => {
    expect(planMatMul([2, 1, 3, 4], [3, 4, 5], false, false)).toBeUndefined();
  });

  it('refuses mismatched inner or batch dimensions', () => {
    expect(planMatMul([3, 4], [5, 6], false, false)).toBeUndefined();
    expect(planMatMul([2, 3, 4], [3, 4, 5], false, false)).toBeUndefined();
    expect(planMatMul([4], [4, 5], false, false)).toBeUndefined();
  });
});

describe('fallback for what the native kernels do not cover', () => {
  it.skipIf(nativeSkipReason !== undefined)(`prelu and int32 still reach the wasm kernels${nativeSkipReason ? ` (skipped: ${nativeSkipReason})` : ''}`, async () => {
    registerNativeKernels();
    try {
      const x = [1, 6, 6, 2] as Shape4;
      const f = [3, 3, 2, 3] as Shape4;
      const run = () => [
        tf.fused.conv2d({
          x: tf.tensor4d(values(x, 1), x),
          filter: tf.tensor4d(values(f, 2), f),
          strides: 1,
          pad: 'same',
          activation: 'prelu',
          preluActivationWeights: tf.tensor1d(values([3], 3)),
        }),
      ];
      const [wasm] = await on('wasm', run);
      const [cpu] = await on('cpu', run);
      expectClose(wasm!, cpu!, 'prelu conv2d');
      // The wasm kernel's own refusal proves the int32 product reached it.
      await tf.setBackend('wasm');
      expect(() => tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32')))).toThrow(/non-float32/);
    } finally {
      unregisterNativeKernels();
    }
  });

  it(`says why the addon is unavailable when it is (${load.ok ? 'it is available here' : load.reason})`, () => {
    if (load.ok) {
      expect(load.addon.info().library).toMatch(/oneDNN .*OpenBLAS/);
      expect(load.addon.info().threads).toBeGreaterThan(0);
    } else {
      expect(load.reason).toMatch(/addon/);
      // Without the addon, registering changes nothing and reports it.
      expect(registerNativeKernels()).toBe(false);
      for (const k of NATIVE_KERNELS) expect(isNativeKernelRegistered(k.kernelName)).toBe(false);
    }
  });
});
