import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node entry registers no gradients; tfjs-layers registers all of core's on import.
import '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerWasmGradientKernels, wasmGradientKernels } from '../../src/backend/wasm-kernels/index.js';
import { expectClose, on, values } from '../helpers/kernels.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

beforeAll(async () => {
  registerWasmGradientKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

function outShape(xShape: Shape4, filterShape: Shape4, strides: number, pad: Pad, depthwise: boolean, dilation = 1, rounding?: 'floor' | 'round' | 'ceil'): Shape4 {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, dilation, pad, rounding, depthwise).outShape as Shape4;
}

/** A convolution geometry with at least one output pixel. */
interface Geometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  /** outChannels for conv2d, the channel multiplier for depthwise. */
  readonly outDepth: number;
  readonly stride: number;
  readonly pad: Pad;
  readonly seed: number;
}

const padArb: fc.Arbitrary<Pad> = fc.oneof(
  fc.constant<Pad>('same'),
  fc.constant<Pad>('valid'),
  fc.integer({ min: 0, max: 2 }),
  fc
    .tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2))
    .map(([t, b, l, r]): Pad => [[0, 0], [t, b], [l, r], [0, 0]]),
);

/**
 * tfjs-core 4.22 sizes a numeric pad's output width with the filter *height*
 * (computeOutputShape2D), so a forward conv with a numeric pad and a non-square filter
 * gets a wrong output shape; on wasm XNNPACK then writes past the output buffer and
 * corrupts the heap. Geometries that run the forward op (tf.grad) avoid that combination;
 * the gradient kernels themselves follow the same convInfo as cpu either way.
 */
function forwardSafe(g: Geometry): boolean {
  return typeof g.pad !== 'number' || g.filterHeight === g.filterWidth;
}

function geometryArb(maxOutDepth: number, strides: readonly number[] = [1, 2], maxInChannels = 5): fc.Arbitrary<Geometry> {
  return fc
    .record({
      batch: fc.integer({ min: 1, max: 3 }),
      height: fc.integer({ min: 1, max: 9 }),
      width: fc.integer({ min: 1, max: 9 }),
      inChannels: fc.integer({ min: 1, max: maxInChannels }),
      filterHeight: fc.integer({ min: 1, max: 4 }),
      filterWidth: fc.integer({ min: 1, max: 4 }),
      outDepth: fc.integer({ min: 1, max: maxOutDepth }),
      stride: fc.constantFrom(...strides),
      pad: padArb,
      seed: fc.nat(),
    })
    .filter((g) => {
      const [, oh, ow] = outShape([g.batch, g.height, g.width, g.inChannels], [g.filterHeight, g.filterWidth, g.inChannels, g.outDepth], g.stride, g.pad, false);
      return oh > 0 && ow > 0;
    });
}

function shapesOf(g: Geometry, depthwise: boolean) {
  const x: Shape4 = [g.batch, g.height, g.width, g.inChannels];
  const filter: Shape4 = [g.filterHeight, g.filterWidth, g.inChannels, g.outDepth];
  return { x, filter, dy: outShape(x, filter, g.stride, g.pad, depthwise) };
}

describe('wasm Conv2DBackpropFilter', () => {
  // Up to 12 input channels: filters with K = fh·fw·ci on both sides of the kernel's
  // switch between its two strategies (K ≤ 32 and K > 32).
  it('tf.grad of conv2d w.r.t. the filter matches cpu (random shapes, strides, paddings)', async () => {
    await fc.assert(
      fc.asyncProperty(geometryArb(5, [1, 2], 12).filter(forwardSafe), async (g) => {
        const s = shapesOf(g, false);
        const [xv, wv, dyv] = [values(s.x, g.seed), values(s.filter, g.seed + 1), values(s.dy, g.seed + 2)];
        const grad = () => {
          const x = tf.tensor4d(xv, s.x);
          const f = (w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, g.stride, g.pad);
          return [tf.grad(f)(tf.tensor4d(wv, s.filter), tf.tensor4d(dyv, s.dy))];
        };
        const [wasm] = await on('wasm', grad);
        const [cpu] = await on('cpu', grad);
        expectClose(wasm!, cpu!, `dW ${JSON.stringify(g)}`);
      }),
      { numRuns: 60 },
    );
  });

  it('handles dimRoundingMode with numeric padding (kernel called directly)', async () => {
    await fc.assert(
      fc.asyncProperty(
        geometryArb(4, [2, 3], 12).filter((g) => typeof g.pad === 'number'),
        fc.constantFrom('floor' as const, 'round' as const, 'ceil' as const),
        async (g, rounding) => {
          const s = shapesOf(g, false);
          const dyShape = outShape(s.x, s.filter, g.stride, g.pad, false, 1, rounding);
          fc.pre(dyShape[1] > 0 && dyShape[2] > 0);
          const attrs = { strides: g.stride, pad: g.pad, dataFormat: 'NHWC', dimRoundingMode: rounding, filterShape: s.filter };
          const run = () => {
            const inputs = { x: tf.tensor4d(values(s.x, g.seed), s.x), dy: tf.tensor4d(values(dyShape, g.seed + 2), dyShape) };
            return [tf.engine().runKernel('Conv2DBackpropFilter', inputs, attrs) as tf.Tensor];
          };
          const [wasm] = await on('wasm', run);
          const [cpu] = await on('cpu', run);
          expectClose(wasm!, cpu!, `dW ${rounding} ${JSON.stringify(g)}`);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('matches cpu on a realistic layer (batch 8, 14×14×16 → 3×3×16×24, same)', async () => {
    const s = { x: [8, 14, 14, 16] as Shape4, filter: [3, 3, 16, 24] as Shape4, dy: [8, 14, 14, 24] as Shape4 };
    const grad = () => {
      const x = tf.tensor4d(values(s.x, 1), s.x);
      return [tf.grad((w: tf.Tensor) => tf.conv2d(x, w as tf.Tensor4D, 1, 'same'))(tf.tensor4d(values(s.filter, 2), s.filter), tf.tensor4d(values(s.dy, 3), s.dy))];
    };
    const [wasm] = await on('wasm', grad);
    const [cpu] = await on('cpu', grad);
    // 1568 products per element: allow float32 accumulation error of that many terms.
    let worst = 0;
    for (let i = 0; i < cpu!.length; i++) worst = Math.max(worst, Math.abs(wasm![i]! - cpu![i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it('matches cpu when the patch matrix spans several chunks (8×96×96×3 → 3×3×3×1, stride 1 and 2)', async () => {
    for (const stride of [1, 2]) {
      const x: Shape4 = [8, 96, 96, 3];
      const filter: Shape4 = [3, 3, 3, 1];
      const dyShape = outShape(x, filter, stride, 'same', false);
      const run = () => [
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor4d(values(x, 5), x), dy: tf.tensor4d(values(dyShape, 6), dyShape) },
          { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: filter },
        ) as tf.Tensor,
      ];
      const [wasm] = await on('wasm', run);
      const [cpu] = await on('cpu', run);
      // Up to 73728 products per element.
      for (let i = 0; i < cpu!.length; i++) expect(Math.abs(wasm![i]! - cpu![i]!)).toBeLessThan(1e-3 * (1 + Math.abs(cpu![i]!)));
    }
  });

  it('rejects NCHW with a clear error', () => {
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 5, 5]);
    expect(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] }),
    ).toThrow(/dataFormat 'NHWC'/);
    tf.dispose([x, dy]);
  });
});

describe('wasm DepthwiseConv2dNativeBackprop{Filter,Input}', () => {
  it('tf.grads of depthwiseConv2d w.r.t. input and filter match cpu (random shapes, strides, paddings, multipliers)', async () => {
    await fc.assert(
      fc.asyncProperty(geometryArb(3, [1, 2, 3]).filter(forwardSafe), async (g) => {
        const s = shapesOf(g, true);
        const [xv, wv, dyv] = [values(s.x, g.seed), values(s.filter, g.seed + 1), values(s.dy, g.seed + 2)];
        const grads = () => {
          const f = (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, g.stride, g.pad);
          return tf.grads(f)([tf.tensor4d(xv, s.x), tf.tensor4d(wv, s.filter)], tf.tensor4d(dyv, s.dy));
        };
        const [wasmDx, wasmDw] = await on('wasm', grads);
        const [cpuDx, cpuDw] = await on('cpu', grads);
        expectClose(wasmDx!, cpuDx!, `dx ${JSON.stringify(g)}`);
        expectClose(wasmDw!, cpuDw!, `dW ${JSON.stringify(g)}`);
      }),
      { numRuns: 60 },
    );
  });

  it('handles dilations (stride 1), strides up to 3 and dimRoundingMode (kernels called directly)', async () => {
    // tf.grad refuses dilated depthwise convolutions and the cpu kernels ignore dilations,
    // so the reference is the undilated cpu kernel with the equivalent zero-stuffed
    // filter of size (f − 1)·d + 1: the same convolution, hence the same gradients.
    await fc.assert(
      fc.asyncProperty(
        geometryArb(3, [1, 2, 3]),
        fc.constantFrom(1, 2),
        fc.constantFrom(undefined, 'floor' as const, 'ceil' as const),
        async (g, dilation, rounding) => {
          // tfjs allows dilation > 1 only with stride 1; a pad-free rounding mode is meaningless.
          fc.pre(dilation === 1 || g.stride === 1);
          fc.pre(rounding === undefined || typeof g.pad === 'number');
          const s = shapesOf(g, true);
          const eff: Shape4 = [(g.filterHeight - 1) * dilation + 1, (g.filterWidth - 1) * dilation + 1, g.inChannels, g.outDepth];
          const dyShape = outShape(s.x, s.filter, g.stride, g.pad, true, dilation, rounding);
          fc.pre(dyShape[1] > 0 && dyShape[2] > 0);
          const xv = values(s.x, g.seed);
          const wv = values(s.filter, g.seed + 1);
          const dyv = values(dyShape, g.seed + 2);
          // Zero-stuffed filter: tap (fh, fw) moves to (fh·d, fw·d).
          const block = g.inChannels * g.outDepth;
          const stuffed = new Float32Array(eff.reduce((a, b) => a * b, 1));
          for (let fh = 0; fh < g.filterHeight; fh++) {
            for (let fw = 0; fw < g.filterWidth; fw++) {
              const from = (fh * g.filterWidth + fw) * block;
              stuffed.set(wv.subarray(from, from + block), (fh * dilation * eff[1] + fw * dilation) * block);
            }
          }
          const common = { strides: g.stride, pad: g.pad, ...(rounding === undefined ? {} : { dimRoundingMode: rounding }) };
          const [wasmDw, wasmDx] = await on('wasm', () => [
            tf.engine().runKernel(
              'DepthwiseConv2dNativeBackpropFilter',
              { x: tf.tensor4d(xv, s.x), dy: tf.tensor4d(dyv, dyShape) },
              { ...common, dilations: dilation, filterShape: s.filter },
            ) as tf.Tensor,
            tf.engine().runKernel(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: tf.tensor4d(dyv, dyShape), filter: tf.tensor4d(wv, s.filter) },
              { ...common, dilations: dilation, inputShape: s.x },
            ) as tf.Tensor,
          ]);
          const [cpuDwStuffed, cpuDx] = await on('cpu', () => [
            tf.engine().runKernel(
              'DepthwiseConv2dNativeBackpropFilter',
              { x: tf.tensor4d(xv, s.x), dy: tf.tensor4d(dyv, dyShape) },
              { ...common, dilations: 1, filterShape: eff },
            ) as tf.Tensor,
            tf.engine().runKernel(
              'DepthwiseConv2dNativeBackpropInput',
              { dy: tf.tensor4d(dyv, dyShape), filter: tf.tensor4d(stuffed, eff) },
              { ...common, dilations: 1, inputShape: s.x },
            ) as tf.Tensor,
          ]);
          const cpuDw = new Float32Array(wasmDw!.length);
          for (let fh = 0; fh < g.filterHeight; fh++) {
            for (let fw = 0; fw < g.filterWidth; fw++) {
              const from = (fh * dilation * eff[1] + fw * dilation) * block;
              cpuDw.set(cpuDwStuffed!.subarray(from, from + block), (fh * g.filterWidth + fw) * block);
            }
          }
          const what = `dilation ${dilation} rounding ${rounding} ${JSON.stringify(g)}`;
          expectClose(wasmDw!, cpuDw, `dW ${what}`);
          expectClose(wasmDx!, cpuDx!, `dx ${what}`);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('matches cpu when the padding is wider than the filter and when stride skips input rows', async () => {
    const cases: Array<{ x: Shape4; filter: Shape4; stride: number; pad: Pad }> = [
      { x: [2, 5, 6, 3], filter: [2, 2, 3, 2], stride: 1, pad: [[0, 0], [3, 0], [0, 4], [0, 0]] },
      { x: [1, 7, 7, 2], filter: [1, 1, 2, 3], stride: 2, pad: 'valid' },
      { x: [2, 8, 8, 2], filter: [2, 2, 2, 1], stride: 3, pad: 'valid' },
      { x: [1, 3, 3, 4], filter: [4, 4, 4, 1], stride: 1, pad: 'same' },
    ];
    for (const c of cases) {
      const dyShape = outShape(c.x, c.filter, c.stride, c.pad, true);
      const grads = () =>
        tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad))(
          [tf.tensor4d(values(c.x, 1), c.x), tf.tensor4d(values(c.filter, 2), c.filter)],
          tf.tensor4d(values(dyShape, 3), dyShape),
        );
      const [wasmDx, wasmDw] = await on('wasm', grads);
      const [cpuDx, cpuDw] = await on('cpu', grads);
      expectClose(wasmDx!, cpuDx!, `dx ${JSON.stringify(c)}`);
      expectClose(wasmDw!, cpuDw!, `dW ${JSON.stringify(c)}`);
    }
  });
});

/** Size of the wasm module's linear memory (it only ever grows). */
function heapBytes(backend: BackendWasm): number {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
}

describe('registration and memory', () => {
  it('registerWasmGradientKernels is idempotent and registers all three kernels for wasm', () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      registerWasmGradientKernels();
      registerWasmGradientKernels();
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    expect(wasmGradientKernels.map((k) => k.kernelName).sort()).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ]);
    for (const k of wasmGradientKernels) {
      expect(k.backendName).toBe('wasm');
      expect(tf.getKernel(k.kernelName, 'wasm')).toBe(k);
    }
  });

  it('leaves tensor count, backend buffers and wasm heap flat over 50 gradient calls', () => {
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor4d(values([4, 12, 12, 6], 1), [4, 12, 12, 6]);
    const w = tf.tensor4d(values([3, 3, 6, 8], 2), [3, 3, 6, 8]);
    const small = tf.tensor4d(values([2, 2, 6, 4], 4), [2, 2, 6, 4]); // K = 24: the patches strategy
    const dw = tf.tensor4d(values([3, 3, 6, 2], 3), [3, 3, 6, 2]);
    const step = () => {
      const conv = (ww: tf.Tensor) => (xx: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same'));
      const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => conv(ww)(xx))([x, w]);
      const g2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => conv(ww)(xx))([x, small]);
      const h = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same')))([x, dw]);
      tf.dispose([...g, ...g2, ...h]);
    };
    // IS_TEST makes the engine check, after every kernel, that it left no buffers behind.
    const wasTest = tf.env().getBool('IS_TEST');
    tf.env().set('IS_TEST', true);
    try {
      for (let i = 0; i < 5; i++) step(); // warm-up: the heap grows to its working size
      const tensors = tf.memory().numTensors;
      const buffers = backend.numDataIds();
      const heap = heapBytes(backend);
      for (let i = 0; i < 50; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backend.numDataIds()).toBe(buffers);
      expect(heapBytes(backend)).toBe(heap);
    } finally {
      tf.env().set('IS_TEST', wasTest);
      tf.dispose([x, w, small, dw]);
    }
  });
});
