/** MaxPool, AveragePool and the global pools, on NHWC activations. */
import * as tf from '@tensorflow/tfjs-core';
import { host } from '../host-tensor.js';
import { run } from './common.js';
import { nhwcPads, outputSizes, spatialPads, tfPadding, windowOf, type SpatialPads, type Window } from './padding.js';
import { ALL_OPSETS, type NodeContext, type OpConverter } from './types.js';

function poolSetup(ctx: NodeContext) {
  const x = ctx.input(0);
  if (x.shape.length !== 4) ctx.fail(`only 2-D pooling on NCHW images is supported, got rank ${x.shape.length}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const window = windowOf(ctx, ctx.ints('kernel_shape'));
  if (window.kernel.length !== 2) ctx.fail(`kernel_shape [${window.kernel.join(', ')}] is not 2-D`);
  if (window.dilations.some((d) => d !== 1)) ctx.fail('dilated pooling is not supported');
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) ctx.fail('the indices output is not supported');
  const pads = spatialPads(ctx, [h, w], window, ctx.int('ceil_mode', 0) === 1);
  const [oh, ow] = outputSizes([h, w], window, pads) as [number, number];
  return { n, c, h, w, window, pads, oh, ow };
}

/** How many input (or input-plus-explicit-pad) positions each output window covers, as [1, oh, ow, 1]. */
function windowCounts(h: number, w: number, window: Window, pads: SpatialPads, explicitPads: SpatialPads | undefined, oh: number, ow: number): Float32Array {
  const counts = new Float32Array(oh * ow);
  const [kh, kw] = window.kernel as [number, number];
  const [sh, sw] = window.strides as [number, number];
  // With count_include_pad the explicit pads count, but not ceil_mode's extra end padding.
  const lowH = explicitPads ? -explicitPads[0]![0] : 0;
  const highH = explicitPads ? h + explicitPads[0]![1] : h;
  const lowW = explicitPads ? -explicitPads[1]![0] : 0;
  const highW = explicitPads ? w + explicitPads[1]![1] : w;
  for (let i = 0; i < oh; i++) {
    const top = i * sh - pads[0]![0];
    const rows = Math.min(top + kh, highH) - Math.max(top, lowH);
    for (let j = 0; j < ow; j++) {
      const left = j * sw - pads[1]![0];
      const cols = Math.min(left + kw, highW) - Math.max(left, lowW);
      counts[i * ow + j] = Math.max(0, rows) * Math.max(0, cols);
    }
  }
  return counts;
}

const maxPool: OpConverter = {
  id: 'MaxPool',
  opsets: ALL_OPSETS,
  layout: 'nhwc',
  lower(ctx) {
    const { n, c, window, pads, oh, ow } = poolSetup(ctx);
    const size = window.kernel as [number, number];
    const strides = window.strides as [number, number];
    const out = [{ shape: [n, c, oh, ow], dtype: 'float32' as const }];
    // Equal pads on every side are tfjs's numeric padding, which never picks a padded cell.
    const even = tfPadding(pads);
    if (even !== undefined) return run(out, ([x]) => [tf.maxPool(x as tf.Tensor4D, size, strides, even)]);
    const padding = nhwcPads(pads);
    return run(out, ([x]) => [tf.maxPool(tf.pad(x as tf.Tensor4D, padding, -3.4e38), size, strides, 'valid')]);
  },
};

const averagePool: OpConverter = {
  id: 'AveragePool',
  opsets: ALL_OPSETS,
  layout: 'nhwc',
  lower(ctx) {
    const { n, c, h, w, window, pads, oh, ow } = poolSetup(ctx);
    const size = window.kernel as [number, number];
    const strides = window.strides as [number, number];
    const out = [{ shape: [n, c, oh, ow], dtype: 'float32' as const }];
    if (tfPadding(pads) === 'valid') return run(out, ([x]) => [tf.avgPool(x as tf.Tensor4D, size, strides, 'valid')]);
    // Padded windows: sum over the window (zeros in the padding), divided by ONNX's count.
    const includePad = ctx.int('count_include_pad', 0) === 1;
    const explicit = spatialPads(ctx, [h, w], window, false);
    const counts = windowCounts(h, w, window, pads, includePad ? explicit : undefined, oh, ow);
    const area = size[0] * size[1];
    const scale = ctx.derived(`pool-scale-${oh}x${ow}`, () => host('float32', [1, oh, ow, 1], counts.map((k) => area / k)));
    return run(out, ([x]) => [tf.mul(tf.avgPool(tf.pad(x as tf.Tensor4D, nhwcPads(pads)), size, strides, 'valid'), scale)]);
  },
};

function globalPool(id: string, reduce: (x: tf.Tensor) => tf.Tensor): OpConverter {
  return {
    id,
    opsets: ALL_OPSETS,
    layout: (_, inputs) => (inputs[0]?.shape.length === 4 ? 'nhwc' : 'onnx'),
    lower(ctx) {
      const x = ctx.input(0);
      if (x.shape.length !== 4) ctx.fail(`only NCHW images are supported, got rank ${x.shape.length}`);
      const [n, c] = x.shape as [number, number];
      return run([{ shape: [n, c, 1, 1], dtype: 'float32' }], ([input]) => [reduce(input!)]);
    },
  };
}

export const POOL_OPS: readonly OpConverter[] = [
  maxPool,
  averagePool,
  globalPool('GlobalAveragePool', (x) => tf.mean(x, [1, 2], true)),
  globalPool('GlobalMaxPool', (x) => tf.max(x, [1, 2], true)),
];
