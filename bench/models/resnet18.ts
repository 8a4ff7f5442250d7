/**
 * A ResNet-18-size classifier for benchmarks: the CIFAR-style ResNet-18 (3×3 stem, no max-pool,
 * stages of 64/128/256/512 channels with two basic blocks each, global average pool, dense
 * logits; 11.2 M parameters at 32×32×3), with seeded random weights. Only its speed matters;
 * scripts/bench_attacks_torch.py builds the same network in PyTorch.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ImageShape } from '../../src/data/dataset.js';
import type { Classifier } from '../../src/models/contract.js';
import { foldedInference } from '../../src/models/folded-inference.js';
import { RandomStream } from '../../src/random/stream.js';

export interface BenchClassifier extends Classifier {
  readonly parameterCount: number;
  dispose(): void;
}

/** conv (no bias) → batch norm, as PyTorch's Conv2d(bias=False) + BatchNorm2d. */
function convBn(x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string): tfl.SymbolicTensor {
  const conv = tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, name }).apply(x);
  return tfl.layers.batchNormalization({ epsilon: 1e-5, name: `${name}_bn` }).apply(conv) as tfl.SymbolicTensor;
}

function basicBlock(x: tfl.SymbolicTensor, filters: number, stride: number, name: string): tfl.SymbolicTensor {
  const inChannels = x.shape[3];
  let out = tfl.layers.reLU().apply(convBn(x, filters, 3, stride, `${name}_conv1`)) as tfl.SymbolicTensor;
  out = convBn(out, filters, 3, 1, `${name}_conv2`);
  const shortcut = stride !== 1 || inChannels !== filters ? convBn(x, filters, 1, stride, `${name}_shortcut`) : x;
  return tfl.layers.reLU().apply(tfl.layers.add().apply([out, shortcut])) as tfl.SymbolicTensor;
}

/** He-normal kernels and zero biases from the stream; batch norm starts as the identity. */
function seededWeights(model: tfl.LayersModel, stream: RandomStream): tf.Tensor[] {
  return model.weights.map((weight) => {
    // Layer weights always have known dimensions (the Shape type allows null for batch axes).
    const shape = weight.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    const name = weight.originalName;
    if (name.endsWith('/kernel')) {
      const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const values = stream.fillNormal(new Float32Array(size));
      const scale = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) values[i]! *= scale;
      return tf.tensor(values, shape);
    }
    const identity = name.endsWith('/gamma') || name.endsWith('/moving_variance');
    return identity ? tf.ones(shape) : tf.zeros(shape);
  });
}

/** The network, built and filled with weights drawn from `seed`. */
export function buildResNet18(inputShape: ImageShape = [32, 32, 3], classes = 10, seed = 0): BenchClassifier {
  const input = tfl.input({ shape: [...inputShape] });
  let x = tfl.layers.reLU().apply(convBn(input, 64, 3, 1, 'stem')) as tfl.SymbolicTensor;
  [64, 128, 256, 512].forEach((filters, stage) => {
    x = basicBlock(x, filters, stage === 0 ? 1 : 2, `stage${stage + 1}_block1`);
    x = basicBlock(x, filters, 1, `stage${stage + 1}_block2`);
  });
  const pooled = tfl.layers.globalAveragePooling2d({}).apply(x);
  const logits = tfl.layers.dense({ units: classes, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits, name: 'resnet18' });
  const weights = seededWeights(model, RandomStream.fromSeed(seed).derive('resnet18-weights'));
  model.setWeights(weights);
  tf.dispose(weights);
  const folded = foldedInference(model);
  return {
    name: 'resnet18',
    inputShape,
    numClasses: classes,
    parameterCount: model.countParams(),
    // As loadClassifier runs a LayersModel: batch norm folded, input gradients only.
    logits: (images) => (folded ? folded.run(images, model.outputs[0]!) : model.apply(images, { training: false })) as tf.Tensor2D,
    dispose: () => {
      folded?.dispose();
      model.dispose();
    },
  };
}
