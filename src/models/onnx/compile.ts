/**
 * Compiles an ONNX graph, specialised to one batch size, into a list of tf-op steps. With the
 * batch size fixed every shape is static, so Shape/Gather/Concat chains fold to constants here
 * and never run. Rank-4 activations stay channels-last (NHWC) between ops that allow it; the
 * compiler inserts transposes only where an op needs ONNX's logical NCHW layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserInputError } from '../../errors.js';
import { hostReshape, hostTranspose, type HostTensor } from './host-tensor.js';
import type { AttributeValue, NodeProto } from './proto/schema.js';
import type { AxisOrder, InputLayout, NodeContext, OpConverter, ValueFacts } from './ops/types.js';

/** Channels-last storage of a logical NCHW value: stored axis i is logical axis NHWC[i]. */
export const NHWC: AxisOrder = [0, 2, 3, 1];
const TO_LOGICAL = [0, 3, 1, 2];

type Layout = 'onnx' | 'nhwc';

/** Everything about the graph that does not depend on the batch size. */
export interface GraphSpec {
  readonly file: string;
  readonly opset: number;
  readonly nodes: readonly NodeProto[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
  readonly inputName: string;
  /** The logical input shape without the batch: [C, H, W]. */
  readonly inputChw: readonly [number, number, number];
  readonly converterFor: (node: NodeProto) => OpConverter;
  /** Device tensors derived from initializers, shared by every plan of the model. */
  readonly weightCache: Map<string, tf.Tensor>;
}

interface Step {
  readonly inputs: readonly (number | undefined)[];
  readonly outputs: readonly number[];
  readonly run: (inputs: readonly (tf.Tensor | undefined)[]) => tf.Tensor[];
}

/** A graph specialised to a batch size: steps over numbered slots. */
export interface Plan {
  readonly batch: number;
  /** Runs on the normalised input, NHWC; returns each requested output in its logical layout. */
  execute(input: tf.Tensor4D): tf.Tensor[];
  /** The logical shape of each requested output. */
  readonly outputShapes: readonly (readonly number[])[];
  dispose(): void;
}

interface Known {
  readonly facts: ValueFacts;
  /** Slot of the runtime tensor; undefined for a constant. */
  readonly slot?: number;
  readonly layout: Layout;
}

function toInt32(data: Float32Array | Float64Array): Int32Array {
  return Int32Array.from(data, (v) => Math.max(-2147483648, Math.min(2147483647, v)));
}

/** A device tensor of a host one (kept: plans outlive the tidy scope they are built in). */
export function deviceTensor(value: HostTensor): tf.Tensor {
  const data = value.dtype === 'float32' ? (value.data as Float32Array) : value.dtype === 'int32' ? toInt32(value.data) : Uint8Array.from(value.data);
  return tf.keep(tf.tensor(data, [...value.shape], value.dtype));
}

/** A logical shape padded with leading ones to rank 4 and laid out channels-last (broadcasting survives). */
function nhwcOfConstant(value: HostTensor): HostTensor {
  const padded = hostReshape(value, [...new Array<number>(4 - value.shape.length).fill(1), ...value.shape]);
  return hostTranspose(padded, NHWC);
}

function attributeError(ctxName: string, name: string, expected: string, got: AttributeValue | undefined): never {
  throw new UserInputError(`${ctxName}: attribute '${name}' should be ${expected}, got ${got ? got.type : 'nothing'}`);
}

/** Compiles the nodes needed for `outputs`, for inputs of `batch` images. */
export function compilePlan(spec: GraphSpec, batch: number, outputs: readonly string[]): Plan {
  const known = new Map<string, Known>();
  const steps: Step[] = [];
  const planTensors: tf.Tensor[] = [];
  const preset = new Map<number, tf.Tensor>();
  let slots = 1;
  const inputShape = [batch, ...spec.inputChw];
  known.set(spec.inputName, { facts: { shape: inputShape, dtype: 'float32' }, slot: 0, layout: 'nhwc' });
  for (const [name, value] of spec.initializers) {
    if (name !== spec.inputName) known.set(name, { facts: { shape: value.shape, dtype: value.dtype, constant: value }, layout: 'onnx' });
  }

  const producers = new Map<string, NodeProto>();
  for (const node of spec.nodes) for (const out of node.outputs) if (out) producers.set(out, node);
  const needed = neededNodes(spec, producers, outputs);

  /** A constant's device tensor in a layout, cached on the model when it is an initializer. */
  const constantSlot = (name: string, value: HostTensor, layout: Layout): number => {
    const key = `${name}|${layout}`;
    const fromInitializer = spec.initializers.get(name) === value;
    let tensor = fromInitializer ? spec.weightCache.get(key) : undefined;
    if (!tensor) {
      tensor = deviceTensor(layout === 'nhwc' ? nhwcOfConstant(value) : value);
      if (fromInitializer) spec.weightCache.set(key, tensor);
      else planTensors.push(tensor);
    }
    const slot = slots++;
    preset.set(slot, tensor);
    return slot;
  };

  const converted = new Map<string, number>();
  /** The slot holding a value in a layout, inserting a transpose (or a broadcast reshape) once. */
  const slotIn = (name: string, layout: Layout): number => {
    const k = known.get(name)!;
    if (k.facts.constant) return constantSlot(name, k.facts.constant, layout);
    if (k.layout === layout) return k.slot!;
    const key = `${name}|${layout}`;
    const done = converted.get(key);
    if (done !== undefined) return done;
    const slot = slots++;
    const rank = k.facts.shape.length;
    const run = layout === 'nhwc'
      ? (x: tf.Tensor) => tf.transpose(rank === 4 ? x : tf.reshape(x, [...new Array<number>(4 - rank).fill(1), ...k.facts.shape]), [...NHWC])
      : (x: tf.Tensor) => tf.transpose(x, TO_LOGICAL);
    steps.push({ inputs: [k.slot], outputs: [slot], run: ([x]) => [run(x!)] });
    converted.set(key, slot);
    return slot;
  };

  for (const node of needed) {
    const converter = spec.converterFor(node);
    const where = `${spec.file}: node '${node.name || node.outputs[0]}' (${node.opType})`;
    const inputs = node.inputs.map((name) => {
      if (!name) return undefined;
      const k = known.get(name);
      if (!k) throw new UserInputError(`${where}: input '${name}' is not produced before this node (graph not sorted, or a missing initializer)`);
      return k;
    });
    const mode: InputLayout = typeof converter.layout === 'function' ? converter.layout(node, inputs.map((k) => k?.facts), spec.opset) : converter.layout;
    const dynamic = inputs.filter((k): k is Known => k !== undefined && !k.facts.constant);
    const layout = chooseLayout(mode, inputs, dynamic);
    const order: AxisOrder = layout === 'nhwc' ? NHWC : [];
    const ctx = nodeContext(spec, node, where, inputs.map((k) => k?.facts), order, (t) => planTensors.push(t));
    const lowered = converter.lower(ctx);
    if (lowered.kind === 'folded') {
      lowered.outputs.forEach((value, i) => {
        const name = node.outputs[i];
        if (name) known.set(name, { facts: { shape: value.shape, dtype: value.dtype, constant: value }, layout: 'onnx' });
      });
      continue;
    }
    const inputSlots = node.inputs.map((name, i) => {
      if (!name) return undefined;
      const k = inputs[i]!;
      const wanted: Layout = mode === 'nhwc' ? (i === 0 ? 'nhwc' : 'onnx')
        : layout === 'nhwc' && (mode === 'elementwise' || k.facts.shape.length === 4) ? 'nhwc' : 'onnx';
      // nhwc-mode converters read their constant inputs (weights) themselves.
      if (mode === 'nhwc' && i > 0 && k.facts.constant) return undefined;
      return slotIn(name, wanted);
    });
    const outputSlots = lowered.outputs.map((facts, i) => {
      const slot = slots++;
      const name = node.outputs[i];
      const outLayout: Layout = layout === 'nhwc' && facts.shape.length === 4 ? 'nhwc' : 'onnx';
      if (name) known.set(name, { facts, slot, layout: outLayout });
      return slot;
    });
    const run = lowered.run;
    steps.push({ inputs: inputSlots, outputs: outputSlots, run });
  }

  const finals = outputs.map((name) => {
    const k = known.get(name);
    if (!k) throw new UserInputError(`${spec.file}: output '${name}' is not computed by the graph`);
    return { slot: slotIn(name, 'onnx'), shape: k.facts.shape };
  });

  return {
    batch,
    outputShapes: finals.map((f) => f.shape),
    execute(input) {
      const values = new Map<number, tf.Tensor>(preset);
      values.set(0, input);
      for (const step of steps) {
        const results = step.run(step.inputs.map((s) => (s === undefined ? undefined : values.get(s))));
        step.outputs.forEach((slot, i) => values.set(slot, results[i]!));
      }
      return finals.map((f) => values.get(f.slot)!);
    },
    dispose() {
      tf.dispose(planTensors);
    },
  };
}

/** Which layout a node's inputs get, from its mode and where its dynamic inputs already are. */
function chooseLayout(mode: InputLayout, inputs: readonly (Known | undefined)[], dynamic: readonly Known[]): Layout {
  if (mode === 'nhwc') return 'nhwc';
  if (mode === 'onnx' || dynamic.length === 0) return 'onnx';
  const anyNhwc = dynamic.some((k) => k.layout === 'nhwc');
  if (!anyNhwc) return 'onnx';
  if (mode === 'elementwise') return inputs.every((k) => !k || k.facts.shape.length <= 4) ? 'nhwc' : 'onnx';
  // 'axes' converters read non-image inputs (axes, pads) as constants; only the images move.
  return dynamic.every((k) => k.facts.shape.length === 4) ? 'nhwc' : 'onnx';
}

/** The nodes the outputs depend on, in graph order. */
function neededNodes(spec: GraphSpec, producers: ReadonlyMap<string, NodeProto>, outputs: readonly string[]): NodeProto[] {
  const needed = new Set<NodeProto>();
  const stack = [...outputs];
  while (stack.length) {
    const name = stack.pop()!;
    const node = producers.get(name);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    for (const input of node.inputs) if (input) stack.push(input);
  }
  return spec.nodes.filter((node) => needed.has(node));
}

/** `own` takes device tensors that belong to this plan alone (derived from batch-dependent constants). */
function nodeContext(spec: GraphSpec, node: NodeProto, where: string, inputs: readonly (ValueFacts | undefined)[], order: AxisOrder, own: (t: tf.Tensor) => void): NodeContext {
  const attr = (name: string) => node.attributes.get(name);
  const ctx: NodeContext = {
    node,
    opset: spec.opset,
    inputs,
    order,
    axis(logical, rank) {
      const a = logical < 0 ? logical + rank : logical;
      if (a < 0 || a >= rank) ctx.fail(`axis ${logical} is out of range for rank ${rank}`);
      return order.length ? order.indexOf(a) : a;
    },
    has: (name) => node.attributes.has(name),
    attribute: attr,
    int(name, fallback) {
      const a = attr(name);
      if (a?.type === 'int') return a.value;
      if (!a && fallback !== undefined) return fallback;
      return attributeError(where, name, 'an int', a);
    },
    ints(name, fallback) {
      const a = attr(name);
      if (a?.type === 'ints') return [...a.value];
      if (!a && fallback !== undefined) return [...fallback];
      return attributeError(where, name, 'a list of ints', a);
    },
    float(name, fallback) {
      const a = attr(name);
      if (a?.type === 'float') return a.value;
      if (!a && fallback !== undefined) return fallback;
      return attributeError(where, name, 'a float', a);
    },
    string(name, fallback) {
      const a = attr(name);
      if (a?.type === 'string') return a.value;
      if (!a && fallback !== undefined) return fallback;
      return attributeError(where, name, 'a string', a);
    },
    input(i) {
      const facts = inputs[i];
      if (!facts) ctx.fail(`input ${i} is missing`);
      return facts;
    },
    constant(i, what) {
      const facts = ctx.input(i);
      if (!facts.constant) {
        ctx.fail(`its ${what} (input '${node.inputs[i]}') is computed at run time and cannot be folded to a constant; export the model with static shapes`);
      }
      return facts.constant;
    },
    weight(i, key, transform) {
      const value = ctx.constant(i, key);
      const name = node.inputs[i]!;
      const cacheKey = `${name}|${key}`;
      const fromInitializer = spec.initializers.get(name) === value;
      const cached = fromInitializer ? spec.weightCache.get(cacheKey) : undefined;
      if (cached) return cached;
      const tensor = deviceTensor(transform ? transform(value) : value);
      // Initializer-derived weights serve every plan; a folded constant may depend on the batch size.
      if (fromInitializer) spec.weightCache.set(cacheKey, tensor);
      else own(tensor);
      return tensor;
    },
    derived(key, make) {
      const cacheKey = `node:${node.outputs[0]}|${key}`;
      let tensor = spec.weightCache.get(cacheKey);
      if (!tensor) {
        tensor = deviceTensor(make());
        spec.weightCache.set(cacheKey, tensor);
      }
      return tensor;
    },
    fail(message) {
      throw new UserInputError(`${where}: ${message}`);
    },
  };
  return ctx;
}

