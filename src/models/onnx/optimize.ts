/**
 * Graph rewrites applied after checking and before compiling. Inference-mode batch norm right
 * after a convolution is an affine map per output channel, so it folds into the convolution's
 * weights and bias (what PyTorch's own export does when it can): one fused kernel instead of
 * three ops, forward and backward.
 */
import { batchNormAffine } from './ops/normalization.js';
import type { HostTensor } from './host-tensor.js';
import type { NodeProto } from './proto/schema.js';

/** Nodes with every foldable Conv → BatchNormalization pair merged; new weights are added to `initializers`. */
export function foldBatchNormIntoConv(nodes: readonly NodeProto[], initializers: Map<string, HostTensor>, graphOutputs: ReadonlySet<string>): NodeProto[] {
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const input of node.inputs) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  const producer = new Map<string, NodeProto>();
  for (const node of nodes) for (const output of node.outputs) producer.set(output, node);
  const replaced = new Map<NodeProto, NodeProto | null>();
  for (const bn of nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.domain || bn.outputs.slice(1).some(Boolean)) continue;
    if (bn.attributes.get('training_mode')?.value === 1) continue;
    const conv = producer.get(bn.inputs[0] ?? '');
    if (!conv || conv.opType !== 'Conv' || conv.domain || replaced.has(conv)) continue;
    const convOut = conv.outputs[0]!;
    if (consumers.get(convOut) !== 1 || graphOutputs.has(convOut)) continue;
    const weight = initializers.get(conv.inputs[1] ?? '');
    const bias = conv.inputs[2] ? initializers.get(conv.inputs[2]) : undefined;
    const params = bn.inputs.slice(1, 5).map((name) => initializers.get(name));
    if (!weight || weight.dtype !== 'float32' || weight.shape.length !== 4 || (conv.inputs[2] && !bias) || params.length !== 4 || params.some((p) => !p)) continue;
    const channels = weight.shape[0]!;
    if (params.some((p) => p!.data.length !== channels)) continue;
    const epsilon = bn.attributes.get('epsilon');
    const { multiplier, shift } = batchNormAffine(params[0]!, params[1]!, params[2]!, params[3]!, epsilon?.type === 'float' ? epsilon.value : 1e-5);
    const perChannel = weight.data.length / channels;
    const folded = Float32Array.from(weight.data, (v, i) => v * multiplier[Math.floor(i / perChannel)]!);
    const foldedBias = Float32Array.from(shift, (s, o) => s + (bias ? bias.data[o]! * multiplier[o]! : 0));
    const weightName = `${conv.inputs[1]}::folded:${bn.outputs[0]}`;
    const biasName = `${weightName}:bias`;
    initializers.set(weightName, { dtype: 'float32', shape: weight.shape, data: folded });
    initializers.set(biasName, { dtype: 'float32', shape: [channels], data: foldedBias });
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0]!, weightName, biasName], outputs: [bn.outputs[0]!] });
    replaced.set(bn, null);
  }
  return nodes.flatMap((node) => {
    const swap = replaced.get(node);
    return swap === undefined ? [node] : swap === null ? [] : [swap];
  });
}
