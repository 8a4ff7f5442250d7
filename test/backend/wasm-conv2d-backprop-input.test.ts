import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node entry registers no gradients; tfjs-layers registers all of core's on import.
import '@tensorflow/tfjs-layers';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropInputWasmConfig, registerWasmGradientKernels } from '../../src/backend/wasm-kernels/index.js';
import { expectClose, on, values } from '../helpers/kernels.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];
type Rounding = 'floor' | 'round' | 'ceil';

beforeAll(async () => {
  registerWasmGradientKernels();
  expect(await tf.setBackend('wasm')).toBe(true);
});

afterEach(async () => {
  await tf.setBackend('wasm');
});

function outShape(xShape: Shape4, filterShape: Shape4, strides: [number, number], pad: Pad, rounding?: Rounding): Shape4 {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, rounding).outShape as Shape4;
}

interface Geometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strides: [number, number];
  readonly pad: Pad;
  readonly seed: number;
}

const padArb: fc.Arbitrary<Pad> = fc.oneof(
  fc.constant<Pad>('same'),
  fc.constant<Pad>('valid'),
  fc.integer({ min: 0, max: 4 }),
  fc
    .tuple(fc.nat(4), fc.nat(4), fc.nat(4), fc.nat(4))
    .map(([t, b, l, r]): Pad => [[0, 0], [t, b], [l, r], [0, 0]]),
);

const geometryArb: fc.Arbitrary<Geometry> = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    height: fc.integer({ min: 1, max: 10 }),
    width: fc.integer({ min: 1, max: 10 }),
    // Both sides of the ≥ 16-channel block-copy switch in the phase interleave.
    inChannels: fc.constantFrom(1, 2, 3, 5, 16, 17),
    outChannels: fc.integer({ min: 1, max: 6 }),
    filterHeight: fc.integer({ min: 1, max: 4 }),
    filterWidth: fc.integer({ min: 1, max: 4 }),
    strides: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    pad: padArb,
    seed: fc.nat(),
  })
  .filter((g) => {
    const [, oh, ow] = outShape([g.batch, g.height, g.width, g.inChannels], [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels], g.strides, g.pad);
    return oh > 0 && ow > 0;
  });

/**
 * tf.grad runs the forward conv2d on wasm too, and tfjs-backend-wasm 4.22's forward Conv2D
 * is itself wrong (and can corrupt the wasm heap) for some geometries: numeric pads (tfjs
 * sizes a numeric pad's output width with the filter height), and strides no smaller than
 * the filter. The gradient only needs the forward op to run, so tf.grad geometries keep to
 * 'same'/'valid'/explicit pads of at most 2 with strides below the filter size; the
 * conv2dTranspose property (no forward op) covers the rest.
 */
function forwardSafe(g: Geometry): boolean {
  const explicitSmall = Array.isArray(g.pad) && g.pad.flat().every((p) => p <= 2);
  const strideOk = (s: number, f: number) => s === 1 || s < f;
  return (g.pad === 'same' || g.pad === 'valid' || explicitSmall) && strideOk(g.strides[0], g.filterHeight) && strideOk(g.strides[1], g.filterWidth);
}

function shapesOf(g: Geometry, rounding?: Rounding) {
  const x: Shape4 = [g.batch, g.height, g.width, g.inChannels];
  const filter: Shape4 = [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
  return { x, filter, dy: outShape(x, filter, g.strides, g.pad, rounding) };
}

describe('wasm Conv2DBackpropInput (replacing tfjs-backend-wasm 4.22\'s slow one)', () => {
  it('is registered in place of the backend\'s own kernel', () => {
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputWasmConfig.kernelFunc);
  });

  it('tf.grad of conv2d w.r.t. its input matches cpu (random shapes, strides, paddings)', async () => {
    await fc.assert(
      fc.asyncProperty(geometryArb.filter(forwardSafe), async (g) => {
        const s = shapesOf(g);
        const [xv, wv, dyv] = [values(s.x, g.seed), values(s.filter, g.seed + 1), values(s.dy, g.seed + 2)];
        const grad = () => {
          const w = tf.tensor4d(wv, s.filter);
          const f = (x: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w, g.strides, g.pad);
          return [tf.grad(f)(tf.tensor4d(xv, s.x), tf.tensor4d(dyv, s.dy))];
        };
        const [wasm] = await on('wasm', grad);
        const [cpu] = await on('cpu', grad);
        expectClose(wasm!, cpu!, `dx ${JSON.stringify(g)}`);
      }),
      { numRuns: 60 },
    );
  });

  it('tf.conv2dTranspose matches cpu, with dimRoundingMode for numeric pads', async () => {
    await fc.assert(
      fc.asyncProperty(geometryArb, fc.constantFrom(undefined, 'floor' as const, 'round' as const, 'ceil' as const), async (g, rounding) => {
        const r = typeof g.pad === 'number' ? rounding : undefined;
        const s = shapesOf(g, r);
        fc.pre(s.dy[1] > 0 && s.dy[2] > 0);
        const run = () => [
          tf.conv2dTranspose(tf.tensor4d(values(s.dy, g.seed), s.dy), tf.tensor4d(values(s.filter, g.seed + 1), s.filter), s.x, g.strides, g.pad, r),
        ];
        const [wasm] = await on('wasm', run);
        const [cpu] = await on('cpu', run);
        expectClose(wasm!, cpu!, `conv2dTranspose ${r ?? ''} ${JSON.stringify(g)}`);
      }),
      { numRuns: 60 },
    );
  });

  it('reads only the covered part of a larger dy, as cpu does (conv2dTranspose, valid, stride 2)', async () => {
    // 7×7 dy into 14×14 with a 3×3 'valid' stride-2 geometry: the convolution output is 6×6.
    const run = () => [
      tf.conv2dTranspose(tf.tensor4d(values([2, 7, 7, 3], 1), [2, 7, 7, 3]), tf.tensor4d(values([3, 3, 4, 3], 2), [3, 3, 4, 3]), [2, 14, 14, 4], 2, 'valid'),
    ];
    const [wasm] = await on('wasm', run);
    const [cpu] = await on('cpu', run);
    expectClose(wasm!, cpu!, 'cropped dy');
  });

  it('refuses a dy smaller than the convolution output', () => {
    const dy = tf.zeros([1, 3, 3, 2]);
    const w = tf.zeros([3, 3, 2, 2]);
    try {
      expect(() => tf.conv2dTranspose(dy as tf.Tensor4D, w as tf.Tensor4D, [1, 8, 8, 2], 1, 'same')).toThrow(/dy has shape \[1, 3, 3, 2\]/);
    } finally {
      tf.dispose([dy, w]);
    }
  });

  it('handles NCHW by transposing (kernel called directly), matching cpu', async () => {
    for (const pad of ['same', 'valid', 1, [[0, 0], [0, 0], [2, 0], [1, 3]]] as const) {
      const xShape: Shape4 = [2, 3, 9, 8];
      const filter: Shape4 = [3, 2, 3, 5];
      const nhwcPad = Array.isArray(pad) ? [[0, 0], pad[2], pad[3], [0, 0]] as Pad : (pad as Pad);
      const [b, oh, ow, co] = outShape([2, 9, 8, 3], filter, [2, 2], nhwcPad);
      const dyShape: Shape4 = [b, co, oh, ow];
      const run = () => [
        tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy: tf.tensor4d(values(dyShape, 3), dyShape), filter: tf.tensor4d(values(filter, 4), filter) },
          { strides: [2, 2], pad: pad as unknown as tf.NamedAttrMap[string], dataFormat: 'NCHW', inputShape: xShape },
        ) as tf.Tensor,
      ];
      const [wasm] = await on('wasm', run);
      const [cpu] = await on('cpu', run);
      expectClose(wasm!, cpu!, `NCHW ${JSON.stringify(pad)}`);
    }
  });

  it('matches cpu on a realistic layer (batch 4, 28×28×32 → 3×3×32×32, stride 1 and 2, same)', async () => {
    for (const stride of [1, 2]) {
      const x: Shape4 = [4, 28, 28, 32];
      const filter: Shape4 = [3, 3, 32, 32];
      const dyShape = outShape(x, filter, [stride, stride], 'same');
      const run = () => [tf.conv2dTranspose(tf.tensor4d(values(dyShape, 7), dyShape), tf.tensor4d(values(filter, 8), filter), x, stride, 'same')];
      const [wasm] = await on('wasm', run);
      const [cpu] = await on('cpu', run);
      // Up to 288 products per element.
      expectClose(wasm!, cpu!, `realistic stride ${stride}`);
    }
  });

  it('leaves tensor count, backend buffers and wasm heap flat over 50 calls', () => {
    const backend = tf.backend() as BackendWasm;
    const x = tf.tensor4d(values([2, 11, 11, 6], 1), [2, 11, 11, 6]);
    const w = tf.tensor4d(values([3, 3, 6, 8], 2), [3, 3, 6, 8]);
    const step = () => {
      // Stride 1 (single convolution), stride 2 (phases), and a cropped dy.
      const g1 = tf.grad((xx: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, w, 1, 'same')))(x);
      const g2 = tf.grad((xx: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, w, 2, 'same')))(x);
      const t = tf.tidy(() => tf.conv2dTranspose(tf.ones([2, 6, 6, 8]) as tf.Tensor4D, w, [2, 11, 11, 6], 2, 'valid'));
      tf.dispose([g1, g2, t]);
    };
    const heapBytes = () => (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
    // IS_TEST makes the engine check, after every kernel, that it left no buffers behind.
    const wasTest = tf.env().getBool('IS_TEST');
    tf.env().set('IS_TEST', true);
    try {
      for (let i = 0; i < 5; i++) step(); // warm-up: the heap grows to its working size
      const tensors = tf.memory().numTensors;
      const buffers = backend.numDataIds();
      const heap = heapBytes();
      for (let i = 0; i < 50; i++) step();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(backend.numDataIds()).toBe(buffers);
      expect(heapBytes()).toBe(heap);
    } finally {
      tf.env().set('IS_TEST', wasTest);
      tf.dispose([x, w]);
    }
  });
});
