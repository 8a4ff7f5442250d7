/** Helpers shared by the op converters: folding checks, axis arithmetic, unary and binary op factories. */
import * as tf from '@tensorflow/tfjs-core';
import { broadcastShapes, hostElementwise, type HostTensor, type RuntimeDType } from '../host-tensor.js';
import { ALL_OPSETS, type Lowering, type NodeContext, type OpConverter } from './types.js';

/** The constant values of every present input, when all are constant. */
export function constantInputs(ctx: NodeContext): (HostTensor | undefined)[] | undefined {
  const values = ctx.inputs.map((facts) => facts?.constant);
  return ctx.inputs.every((facts, i) => !facts || values[i]) ? values : undefined;
}

export function normaliseAxis(ctx: NodeContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Axes from an attribute (older opsets) or from a constant input (newer ones). */
export function axesOf(ctx: NodeContext, attribute: string, inputIndex: number, fromOpset: number): number[] | undefined {
  if (ctx.opset >= fromOpset && ctx.inputs[inputIndex]) return Array.from(ctx.constant(inputIndex, 'axes').data);
  if (ctx.has(attribute)) return ctx.ints(attribute);
  return undefined;
}

export function run(outputs: { shape: readonly number[]; dtype: RuntimeDType }[], fn: (inputs: readonly (tf.Tensor | undefined)[]) => tf.Tensor[]): Lowering {
  return { kind: 'run', outputs, run: fn };
}

export function folded(...outputs: HostTensor[]): Lowering {
  return { kind: 'folded', outputs };
}

/** An elementwise op of one input, folded on the host when `hostFn` is given and the input is constant. */
export function unaryOp(id: string, fn: (x: tf.Tensor, ctx: NodeContext) => tf.Tensor, hostFn?: (v: number) => number, opsets = ALL_OPSETS): OpConverter {
  return {
    id,
    opsets,
    layout: 'elementwise',
    lower(ctx) {
      const x = ctx.input(0);
      if (x.constant && hostFn && x.dtype !== 'bool') return folded(hostElementwise([x.constant], x.dtype, hostFn));
      return run([{ shape: x.shape, dtype: x.dtype }], ([input]) => [fn(input!, ctx)]);
    },
  };
}

/** A broadcasting op of two or more inputs (numpy rules, as ONNX's multidirectional broadcasting). */
export function broadcastOp(
  id: string,
  fn: (inputs: tf.Tensor[]) => tf.Tensor,
  options: { host?: (...v: number[]) => number; dtype?: RuntimeDType; opsets?: readonly [number, number] } = {},
): OpConverter {
  return {
    id,
    opsets: options.opsets ?? ALL_OPSETS,
    layout: 'elementwise',
    lower(ctx) {
      const facts = ctx.inputs.map((_, i) => ctx.input(i));
      let shape: number[] = [];
      for (const f of facts) {
        const next = broadcastShapes(shape, f.shape);
        if (!next) return ctx.fail(`input shapes [${facts.map((g) => g.shape.join(', ')).join('] and [')}] do not broadcast`);
        shape = next;
      }
      const dtype = options.dtype ?? facts[0]!.dtype;
      const constants = constantInputs(ctx);
      if (constants && options.host) return folded(hostElementwise(constants as HostTensor[], dtype, options.host));
      return run([{ shape, dtype }], (inputs) => [fn(inputs as tf.Tensor[])]);
    },
  };
}
