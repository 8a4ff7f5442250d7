import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageShape } from '../../data/dataset.js';
import { RandomStream } from '../../random/stream.js';

/** One stage of the residual network: a basic block (two 3×3 convolutions) at this width and stride. */
export interface StageSpec {
  readonly width: number;
  readonly stride: 1 | 2;
}

/** The zoo's one backbone architecture, as data, so cards and benchmarks can state it exactly. */
export interface ArchitectureSpec {
  readonly id: string;
  readonly inputShape: ImageShape;
  readonly stemWidth: number;
  readonly stages: readonly StageSpec[];
  /** Batch-norm moving-average momentum: 0.9 rather than Keras's 0.99, so short runs get usable statistics. */
  readonly batchNormMomentum: number;
}

/**
 * A small ResNet for 28×28 gray images: a 3×3 stem, then one basic block per stage at
 * 28, 14, 7 and 4 pixels, global average pooling to a 128-d embedding. About 0.3M parameters;
 * downsampling early keeps an epoch over 60,000 images affordable on two CPU cores.
 */
export const RESNET_FMNIST: ArchitectureSpec = {
  id: 'resnet-fm10',
  inputShape: [28, 28, 1],
  stemWidth: 16,
  stages: [
    { width: 16, stride: 1 },
    { width: 32, stride: 2 },
    { width: 64, stride: 2 },
    { width: 128, stride: 2 },
  ],
  batchNormMomentum: 0.9,
};

/** The name of the layer whose output is the embedding: models/load.ts finds the backbone by it. */
export const EMBEDDING_LAYER = 'embedding';

export function embeddingSize(spec: ArchitectureSpec): number {
  return spec.stages[spec.stages.length - 1]?.width ?? spec.stemWidth;
}

/** Builds layers with seeded initialisers: every layer's seed is derived from its name. */
class LayerFactory {
  constructor(private readonly random: RandomStream, private readonly spec: ArchitectureSpec) {}

  private seed(name: string): number {
    return this.random.derive('init', name).tfjsSeed();
  }

  conv(name: string, filters: number, kernelSize: number, strides: number): tfl.layers.Layer {
    return tfl.layers.conv2d({
      name, filters, kernelSize, strides, padding: 'same', useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: this.seed(name) }),
    });
  }

  batchNorm(name: string, zeroGamma = false): tfl.layers.Layer {
    return tfl.layers.batchNormalization({
      name, momentum: this.spec.batchNormMomentum, epsilon: 1e-5,
      // The last batch norm of each residual branch starts at zero, so every block starts as the identity.
      ...(zeroGamma ? { gammaInitializer: 'zeros' as const } : {}),
    });
  }
}

/** The backbone alone: images NHWC in [0, 1] → embedding (the `embedding` layer's output). */
export function buildBackbone(spec: ArchitectureSpec, random: RandomStream, name = 'backbone'): tfl.LayersModel {
  const make = new LayerFactory(random, spec);
  const input = tfl.input({ shape: [...spec.inputShape], name: 'images' });
  const relu = (layerName: string) => tfl.layers.activation({ activation: 'relu', name: layerName });
  let x = make.conv('stem_conv', spec.stemWidth, 3, 1).apply(input) as tfl.SymbolicTensor;
  x = make.batchNorm('stem_bn').apply(x) as tfl.SymbolicTensor;
  x = relu('stem_relu').apply(x) as tfl.SymbolicTensor;
  let width = spec.stemWidth;
  spec.stages.forEach((stage, i) => {
    const p = `block${i + 1}`;
    let y = make.conv(`${p}_conv1`, stage.width, 3, stage.stride).apply(x) as tfl.SymbolicTensor;
    y = make.batchNorm(`${p}_bn1`).apply(y) as tfl.SymbolicTensor;
    y = relu(`${p}_relu1`).apply(y) as tfl.SymbolicTensor;
    y = make.conv(`${p}_conv2`, stage.width, 3, 1).apply(y) as tfl.SymbolicTensor;
    y = make.batchNorm(`${p}_bn2`, true).apply(y) as tfl.SymbolicTensor;
    let shortcut = x;
    if (stage.stride !== 1 || stage.width !== width) {
      shortcut = make.conv(`${p}_shortcut_conv`, stage.width, 1, stage.stride).apply(x) as tfl.SymbolicTensor;
      shortcut = make.batchNorm(`${p}_shortcut_bn`).apply(shortcut) as tfl.SymbolicTensor;
    }
    x = tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor;
    x = relu(`${p}_out`).apply(x) as tfl.SymbolicTensor;
    width = stage.width;
  });
  const embedding = tfl.layers.globalAveragePooling2d({ name: EMBEDDING_LAYER }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: embedding, name });
}

/** A dense layer with a seeded Glorot initialiser. */
export function seededDense(random: RandomStream, name: string, units: number, useBias = true): tfl.layers.Layer {
  return tfl.layers.dense({
    name, units, useBias,
    kernelInitializer: tfl.initializers.glorotUniform({ seed: random.derive('init', name).tfjsSeed() }),
  });
}

/**
 * Backbone plus a linear classification head (`classifier`), as one flat LayersModel with the
 * `embedding` layer at top level: the form the zoo ships and exports, which `loadClassifier`
 * reads as a classifier with a backbone. Weights are copied by layer name, so the result
 * shares no variables with the models it came from.
 */
export function composeClassifier(spec: ArchitectureSpec, backbone: tfl.LayersModel, head: tfl.layers.Layer, name: string): tfl.LayersModel {
  const [units] = head.getWeights()[0]!.shape.slice(1);
  // Its initial weights are overwritten below, so the seed does not matter.
  const fresh = buildBackbone(spec, RandomStream.fromSeed(0), name);
  const logits = tfl.layers.dense({ name: CLASSIFIER_LAYER, units: units! }).apply(fresh.outputs[0]!) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: fresh.inputs, outputs: logits, name });
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const source = layer.name === CLASSIFIER_LAYER ? head : backbone.getLayer(layer.name);
    layer.setWeights(source.getWeights());
  }
  return model;
}

/** The classification head's layer name in exported models. */
export const CLASSIFIER_LAYER = 'classifier';

/** Number of values in the model's weights (trainable or not), as cards and `zoo list` report it. */
export function parameterCount(model: tfl.LayersModel): number {
  return model.weights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
