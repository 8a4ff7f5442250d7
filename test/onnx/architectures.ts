/**
 * Full-size backbones written as ONNX graphs by our builder, with seeded random weights, in the
 * patterns PyTorch exports: torchvision's ResNet-18 (and its CIFAR variant for the benchmark) and
 * a timm/DINO-style ViT-S/16. They let CI check the acceptance models against
 * onnxruntime-node without PyTorch installed.
 */
import { floatAttr, OnnxBuilder } from '../../src/models/onnx/proto/builder.js';
import { RandomStream } from '../../src/random/stream.js';

export interface ResNetLayout {
  /** 'imagenet': 7×7/2 stem and 3×3/2 max pool (torchvision); 'cifar': 3×3/1 stem, no pool. */
  readonly stem: 'imagenet' | 'cifar';
  readonly imageSize: number;
  readonly classes: number;
  /** Random running statistics in batch norm (tests), or the identity (benchmarks). */
  readonly randomBatchNorm: boolean;
}

/** ResNet-18: Conv (no bias) → BatchNormalization → Relu, basic blocks, GlobalAveragePool, Flatten, Gemm. */
export function resnet18Onnx(layout: ResNetLayout, seed = 0): Uint8Array {
  const stream = RandomStream.fromSeed(seed).derive('onnx-resnet18');
  const b = new OnnxBuilder(17);
  let id = 0;
  const convBn = (x: string, cin: number, cout: number, k: number, stride: number): string => {
    const n = id++;
    const fanIn = cin * k * k;
    const w = stream.derive('w', n).fillNormal(new Float32Array(cout * fanIn)).map((v) => v * Math.sqrt(2 / fanIn));
    const pad = (k - 1) / 2;
    const conv = b.node('Conv', [x, b.weight(`conv${n}.weight`, [cout, cin, k, k], w)], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
    const bn = stream.derive('bn', n);
    const param = (make: () => number) => (layout.randomBatchNorm ? Float32Array.from({ length: cout }, make) : undefined);
    const scale = param(() => 0.5 + 0.5 * bn.float()) ?? new Float32Array(cout).fill(1);
    const shift = param(() => 0.1 * bn.normal()) ?? new Float32Array(cout);
    const mean = param(() => 0.1 * bn.normal()) ?? new Float32Array(cout);
    const variance = param(() => 0.5 + bn.float()) ?? new Float32Array(cout).fill(1);
    return b.node('BatchNormalization', [conv, b.weight(`bn${n}.weight`, [cout], scale), b.weight(`bn${n}.bias`, [cout], shift), b.weight(`bn${n}.mean`, [cout], mean), b.weight(`bn${n}.var`, [cout], variance)], { epsilon: floatAttr(1e-5) });
  };
  const block = (x: string, cin: number, cout: number, stride: number): string => {
    const out = convBn(b.node('Relu', [convBn(x, cin, cout, 3, stride)]), cout, cout, 3, 1);
    const shortcut = stride !== 1 || cin !== cout ? convBn(x, cin, cout, 1, stride) : x;
    return b.node('Relu', [b.node('Add', [out, shortcut])]);
  };
  b.input('images', ['batch', 3, layout.imageSize, layout.imageSize]);
  let x = layout.stem === 'imagenet'
    ? b.node('MaxPool', [b.node('Relu', [convBn('images', 3, 64, 7, 2)])], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })
    : b.node('Relu', [convBn('images', 3, 64, 3, 1)]);
  let cin = 64;
  [64, 128, 256, 512].forEach((width, stage) => {
    x = block(x, cin, width, stage === 0 ? 1 : 2);
    x = block(x, width, width, 1);
    cin = width;
  });
  const pooled = b.node('Flatten', [b.node('GlobalAveragePool', [x])], { axis: 1 }, { name: 'flatten' });
  const fc = stream.derive('fc').fillNormal(new Float32Array(layout.classes * 512)).map((v) => v * Math.sqrt(1 / 512));
  b.node('Gemm', [pooled, b.weight('fc.weight', [layout.classes, 512], fc), b.weight('fc.bias', [layout.classes], new Float32Array(layout.classes))], { transB: 1 }, { outputs: ['logits'] });
  b.output('logits', ['batch', layout.classes]);
  return b.build();
}

export interface VitLayout {
  readonly imageSize: number;
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly classes: number;
}

/** ViT-S/16: 224×224, 16×16 patches, width 384, 12 blocks of 6 heads. */
export const VIT_S16: VitLayout = { imageSize: 224, patch: 16, width: 384, depth: 12, heads: 6, classes: 1000 };

/**
 * A timm-style ViT as torch.onnx exports it at opset 17 with a dynamic batch: patch Conv, the class
 * token expanded to the batch through Shape → Gather → Concat → Expand, LayerNormalization, one qkv
 * MatMul split by Reshape/Transpose/Gather, Softmax attention, erf-GELU MLP, and a Gemm head on the
 * class token.
 */
export function vitOnnx(layout: VitLayout, seed = 0): Uint8Array {
  const stream = RandomStream.fromSeed(seed).derive('onnx-vit');
  const { width: d, heads, patch } = layout;
  const tokens = (layout.imageSize / patch) ** 2;
  const b = new OnnxBuilder(17);
  let id = 0;
  const param = (dims: number[], scale: number) => {
    const n = id++;
    return b.weight(`p${n}`, dims, stream.derive('p', n).fillNormal(new Float32Array(dims.reduce((a, c) => a * c, 1))).map((v) => v * scale));
  };
  const linear = (x: string, cin: number, cout: number) => b.node('Add', [b.node('MatMul', [x, param([cin, cout], 1 / Math.sqrt(cin))]), param([cout], 0.02)]);
  const layerNorm = (x: string) => b.node('LayerNormalization', [x, b.weight(`ln${id++}`, [d], Float32Array.from({ length: d }, () => 1 + 0.1 * stream.normal())), param([d], 0.02)], { axis: -1, epsilon: floatAttr(1e-6) });
  const gelu = (x: string) => b.node('Mul', [b.node('Mul', [x, b.node('Add', [b.node('Erf', [b.node('Div', [x, b.weight(`sqrt2_${id++}`, [], [Math.SQRT2])])]), b.weight(`one_${id++}`, [], [1])])]), b.weight(`half_${id++}`, [], [0.5])]);

  b.input('images', ['batch', 3, layout.imageSize, layout.imageSize]);
  const patches = b.node('Conv', ['images', param([d, 3, patch, patch], 1 / Math.sqrt(3 * patch * patch)), param([d], 0.02)], { kernel_shape: [patch, patch], strides: [patch, patch] });
  const sequence = b.node('Transpose', [b.node('Reshape', [patches, b.ints([0, d, -1])])], { perm: [0, 2, 1] });
  const batch = b.node('Gather', [b.node('Shape', [sequence]), b.ints([0])], { axis: 0 });
  const clsShape = b.node('Concat', [batch, b.ints([-1, -1])], { axis: 0 });
  const cls = b.node('Expand', [param([1, 1, d], 0.02), b.node('Where', [b.node('Equal', [clsShape, b.ints([-1, -1, -1])]), b.ints([1, 1, d]), clsShape])]);
  let x = b.node('Add', [b.node('Concat', [cls, sequence], { axis: 1 }), param([1, tokens + 1, d], 0.02)]);
  const perHead = d / heads;
  for (let block = 0; block < layout.depth; block++) {
    const qkv = b.node('Transpose', [b.node('Reshape', [linear(layerNorm(x), d, 3 * d), b.ints([0, tokens + 1, 3, heads, perHead])])], { perm: [2, 0, 3, 1, 4] });
    const [q, k, v] = [0, 1, 2].map((i) => b.node('Gather', [qkv, b.weight(`qkv_index_${id++}`, [], [i], 'int64')], { axis: 0 }));
    const scores = b.node('Mul', [b.node('MatMul', [q!, b.node('Transpose', [k!], { perm: [0, 1, 3, 2] })]), b.weight(`scale_${id++}`, [], [1 / Math.sqrt(perHead)])]);
    const attended = b.node('MatMul', [b.node('Softmax', [scores], { axis: -1 }), v!]);
    const merged = b.node('Reshape', [b.node('Transpose', [attended], { perm: [0, 2, 1, 3] }), b.ints([0, tokens + 1, d])]);
    x = b.node('Add', [x, linear(merged, d, d)]);
    x = b.node('Add', [x, linear(gelu(linear(layerNorm(x), d, 4 * d)), 4 * d, d)]);
  }
  const clsToken = b.node('Gather', [layerNorm(x), b.weight('cls_index', [], [0], 'int64')], { axis: 1 }, { name: 'cls_token' });
  b.node('Gemm', [clsToken, param([layout.classes, d], 1 / Math.sqrt(d)), param([layout.classes], 0.02)], { transB: 1 }, { outputs: ['logits'] });
  b.output('logits', ['batch', layout.classes]);
  return b.build();
}
