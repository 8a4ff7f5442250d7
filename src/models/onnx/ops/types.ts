/**
 * The contract between the graph compiler and one op's converter. A converter sees its node
 * with everything known at compile time (static shapes, constant inputs, attributes) and either
 * folds it to constants or returns a function of tf ops that runs it. Because every shape is
 * known once the batch size is, shape arithmetic never reaches run time.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { RegistryEntry } from '../../../registry.js';
import type { HostTensor, RuntimeDType } from '../host-tensor.js';
import type { AttributeValue, NodeProto } from '../proto/schema.js';

/** What the compiler knows about a value: its logical (ONNX) shape and dtype, and its value when constant. */
export interface ValueFacts {
  readonly shape: readonly number[];
  readonly dtype: RuntimeDType;
  readonly constant?: HostTensor;
}

/**
 * How a converter wants its inputs laid out. ONNX images are NCHW; tfjs convolutions want NHWC,
 * so rank-4 activations are kept channels-last between ops that do not care, and transposed only
 * where an op needs the logical layout.
 * - `onnx`: every input in its logical layout.
 * - `nhwc`: input 0 channels-last (a rank-4 image); other inputs are constants the converter reads itself.
 * - `elementwise`: any layout, the same for all inputs (the compiler picks; broadcasting is preserved).
 * - `axes`: any layout, the same for all rank-4 inputs; the converter maps its axes through `axis()`.
 */
export type InputLayout = 'onnx' | 'nhwc' | 'elementwise' | 'axes';

/** The stored order of a value's axes: stored axis i holds logical axis perm[i]. */
export type AxisOrder = readonly number[];

/** A runtime op: gets its inputs as tensors (constants materialised once) and returns its outputs. */
export type RunFn = (inputs: readonly (tf.Tensor | undefined)[]) => tf.Tensor[];

export type Lowering =
  | { readonly kind: 'folded'; readonly outputs: readonly HostTensor[] }
  | {
      readonly kind: 'run';
      /** Logical facts of each output. */
      readonly outputs: readonly { readonly shape: readonly number[]; readonly dtype: RuntimeDType }[];
      readonly run: RunFn;
    };

/** The compile-time view of a node that converters work from. */
export interface NodeContext {
  readonly node: NodeProto;
  readonly opset: number;
  /** Facts of each input; undefined for an omitted optional input. */
  readonly inputs: readonly (ValueFacts | undefined)[];
  /** The axis order inputs will arrive in (identity unless the mode allows otherwise). */
  readonly order: AxisOrder;
  /** Maps a logical axis (negative allowed, relative to `rank`) to the stored axis. */
  axis(logical: number, rank: number): number;
  has(name: string): boolean;
  int(name: string, fallback?: number): number;
  ints(name: string, fallback?: readonly number[]): number[];
  float(name: string, fallback?: number): number;
  string(name: string, fallback?: string): string;
  attribute(name: string): AttributeValue | undefined;
  /** Input i's fact, refusing (user error) if it is missing. */
  input(i: number): ValueFacts;
  /** Input i's value, refusing in one line if it is only known at run time. */
  constant(i: number, what: string): HostTensor;
  /** A device copy of constant input i after `transform` (a layout change), made once and cached. */
  weight(i: number, key: string, transform?: (value: HostTensor) => HostTensor): tf.Tensor;
  /** A device tensor the converter derives from attributes and shapes (a count map), made once and cached. */
  derived(key: string, make: () => HostTensor): tf.Tensor;
  /** A user error naming this node. */
  fail(message: string): never;
}

export interface OpConverter extends RegistryEntry {
  /** The ONNX op type, e.g. 'Conv'. */
  readonly id: string;
  /** The default-domain opset versions this converter implements, inclusive. */
  readonly opsets: readonly [number, number];
  /** How the inputs should arrive; a function when it depends on attributes (keepdims). */
  readonly layout: InputLayout | ((node: NodeProto, inputs: readonly (ValueFacts | undefined)[], opset: number) => InputLayout);
  /** Folds to constants when its inputs allow (shape arithmetic), else returns tf ops to run. */
  lower(ctx: NodeContext): Lowering;
}

/** Shorthand for converters whose opset range is the whole supported range. */
export const ALL_OPSETS: readonly [number, number] = [7, 21];
