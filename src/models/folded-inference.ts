import * as tf from '@tensorflow/tfjs-core';
import { Conv2D, DepthwiseConv2dNativeBackpropInput, FusedConv2D, FusedDepthwiseConv2D } from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * A LayersModel run for evaluation and attacks, faster than `model.apply(x, { training: false })`
 * and equal to it within float rounding: each convolution (plain or depthwise) absorbs the
 * inference batch norm after it (W·s, (b − mean)·s + beta with s = gamma / sqrt(var + eps)) and a
 * ReLU after that, and runs as one fused kernel; its gradient is taken with respect to its input
 * only. tfjs's fused convolution op computes the filter gradient on every backward pass whether
 * anyone needs it or not, a third of an attack step's convolution time, and an unfolded batch
 * norm costs one pass forward and five backward; PyTorch's attacks pay neither. So these outputs
 * are differentiable in the images, which is all the Classifier contract promises, but not in
 * the model's weights. Every other layer runs through its own `apply`.
 */
export interface FoldedInference {
  /** The value of `output` (a symbolic tensor of the model, among those it was built for) on `images`. */
  run(images: tf.Tensor4D, output: tfl.SymbolicTensor): tf.Tensor;
  /** Frees the folded weights (the model's own weights stay with the model). */
  dispose(): void;
}

type Symbolic = tfl.SymbolicTensor;

/** A convolution with what it absorbed: the batch norm after it, and a ReLU after that. */
interface FoldedConv {
  readonly conv: tfl.layers.Layer;
  batchNorm?: tfl.layers.Layer;
  relu: boolean;
  filter?: tf.Tensor4D;
  bias?: tf.Tensor1D | null;
}

const layerConfig = (layer: tfl.layers.Layer) => layer.getConfig() as Record<string, unknown>;
const allOnes = (v: unknown) => (Array.isArray(v) ? v : [v]).every((d) => d === 1);

/** A channels-last, undilated Conv2D or DepthwiseConv2D with a linear or ReLU activation. */
function foldableConv(layer: tfl.layers.Layer): boolean {
  const config = layerConfig(layer);
  return ['Conv2D', 'DepthwiseConv2D'].includes(layer.getClassName()) && config['dataFormat'] === 'channelsLast' &&
    allOnes(config['dilationRate']) && ['same', 'valid'].includes(config['padding'] as string) && ['linear', 'relu'].includes(config['activation'] as string);
}

function isPlainRelu(layer: tfl.layers.Layer): boolean {
  const config = layerConfig(layer);
  return (layer.getClassName() === 'Activation' && config['activation'] === 'relu') || (layer.getClassName() === 'ReLU' && config['maxValue'] == null);
}

/** Inference batch norm over the channels (last) axis, with its moving statistics. */
function foldableBatchNorm(layer: tfl.layers.Layer): boolean {
  if (layer.getClassName() !== 'BatchNormalization') return false;
  const axis = layerConfig(layer)['axis'];
  const names = layer.weights.map((w) => w.originalName.split('/').pop());
  return (axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))) &&
    names.includes('moving_mean') && names.includes('moving_variance');
}

/** The folded filter and bias of one convolution (new tensors where batch norm was folded in). */
function foldWeights(plan: FoldedConv): { filter: tf.Tensor4D; bias: tf.Tensor1D | null } {
  const [kernel, convBias] = plan.conv.getWeights() as [tf.Tensor4D, tf.Tensor1D | undefined];
  const norm = plan.batchNorm;
  if (!norm) return { filter: kernel, bias: convBias ?? null };
  const weight = (suffix: string) => norm.weights.find((w) => w.originalName.split('/').pop() === suffix)?.read();
  const epsilon = layerConfig(norm)['epsilon'] as number;
  const scale = tf.mul(weight('gamma') ?? 1, tf.rsqrt(tf.add(weight('moving_variance')!, epsilon)));
  // A plain filter is [h, w, in, out]; a depthwise one [h, w, in, multiplier] feeds output channel in·multiplier + m.
  const filter = (plan.conv.getClassName() === 'DepthwiseConv2D'
    ? tf.reshape(tf.mul(tf.reshape(kernel, [...kernel.shape.slice(0, 2), -1]), scale), kernel.shape)
    : tf.mul(kernel, scale)) as tf.Tensor4D;
  const bias = tf.add(tf.mul(tf.sub(convBias ?? 0, weight('moving_mean')!), scale), weight('beta') ?? 0) as tf.Tensor1D;
  return { filter, bias };
}

/** One folded convolution: a fused kernel forward, only the input gradient backward. */
function runFoldedConv(x: tf.Tensor4D, plan: FoldedConv): tf.Tensor4D {
  const config = layerConfig(plan.conv);
  const strides = config['strides'] as [number, number];
  const pad = config['padding'] as 'same' | 'valid';
  const depthwise = plan.conv.getClassName() === 'DepthwiseConv2D';
  const { filter, bias } = plan as Required<FoldedConv>;
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: plan.relu ? 'relu' : 'linear' };
  const forward = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    // Kernels called directly: the fused ops would split themselves up under a gradient tape.
    const kernel = depthwise ? FusedDepthwiseConv2D : bias === null && !plan.relu ? Conv2D : FusedConv2D;
    const inputs = { x: input, filter, ...(bias ? { bias } : {}) };
    const y = tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, [saved]: tf.Tensor[]) => {
        const dz = (plan.relu ? tf.mul(dy, tf.step(saved!)) : dy) as tf.Tensor4D;
        const inputShape = input.shape;
        return depthwise
          ? (tf.engine().runKernel(DepthwiseConv2dNativeBackpropInput, { dy: dz, filter }, { strides, pad, dilations: [1, 1], inputShape } as unknown as tf.NamedAttrMap) as tf.Tensor)
          : tf.conv2dTranspose(dz, filter, inputShape, strides, pad);
      },
    };
  });
  return forward(x) as tf.Tensor4D;
}

/**
 * Plans the folded run of a functional LayersModel with one input (each layer used once, one
 * output each) for its output and `extraOutputs`; undefined when the model has no convolution
 * to fold or a shape this does not take (the caller then uses model.apply).
 */
export function foldedInference(model: tfl.LayersModel, extraOutputs: readonly Symbolic[] = []): FoldedInference | undefined {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || layers.some((l) => l.inboundNodes.length !== 1 || l.inboundNodes[0]!.outputTensors.length !== 1)) return undefined;
  const uses = new Map<number, number>();
  const use = (t: Symbolic) => uses.set(t.id, (uses.get(t.id) ?? 0) + 1);
  for (const layer of layers) layer.inboundNodes[0]!.inputTensors.forEach(use);
  [...model.outputs, ...extraOutputs].forEach(use);
  const usedOnce = (t: Symbolic) => uses.get(t.id) === 1;

  // Walk in topological order, growing conv → batch norm → ReLU chains; an absorbed output is never computed.
  const plans = new Map<number, FoldedConv>();
  for (const layer of layers) {
    const { inputTensors: [input], outputTensors: [output] } = layer.inboundNodes[0]!;
    const before = input && plans.get(input.id);
    if (foldableConv(layer)) {
      plans.set(output!.id, { conv: layer, relu: layerConfig(layer)['activation'] === 'relu' });
    } else if (before && usedOnce(input) && !before.relu && !before.batchNorm && foldableBatchNorm(layer)) {
      plans.delete(input.id);
      plans.set(output!.id, { ...before, batchNorm: layer });
    } else if (before && usedOnce(input) && !before.relu && isPlainRelu(layer)) {
      plans.delete(input.id);
      plans.set(output!.id, { ...before, relu: true });
    }
  }
  if (plans.size === 0) return undefined;
  const owned: tf.Tensor[] = [];
  tf.tidy(() => {
    for (const plan of plans.values()) {
      Object.assign(plan, foldWeights(plan));
      if (plan.batchNorm) owned.push(tf.keep(plan.filter!), tf.keep(plan.bias!));
    }
  });
  const inputId = model.inputs[0]!.id;

  return {
    run: (images, target) => tf.tidy(() => {
      const values = new Map<number, tf.Tensor>([[inputId, images]]);
      const valueOf = (t: Symbolic): tf.Tensor => {
        const known = values.get(t.id);
        if (known) return known;
        const plan = plans.get(t.id);
        const layer = t.sourceLayer;
        const inputs = plan ? [] : layer.inboundNodes[0]!.inputTensors.map(valueOf);
        const value = plan
          ? runFoldedConv(valueOf(plan.conv.inboundNodes[0]!.inputTensors[0]!) as tf.Tensor4D, plan)
          : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor);
        values.set(t.id, value);
        return value;
      };
      return valueOf(target);
    }),
    dispose: () => tf.dispose(owned),
  };
}
