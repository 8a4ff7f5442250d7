/**
 * Small tensors held in JavaScript while a graph is compiled: weights before they become
 * tf.Tensors, and the shape arithmetic (Shape → Gather → Concat → Reshape) that exporters emit
 * and that we fold away at compile time. Integers are kept as float64 numbers, which holds every
 * int64 a shape computation meets exactly (INT64_MAX sentinels only need to stay huge).
 */

/** The dtype a value has once it is a tf.Tensor (tfjs has no int64; ONNX ints run as int32). */
export type RuntimeDType = 'float32' | 'int32' | 'bool';

export interface HostTensor {
  readonly dtype: RuntimeDType;
  readonly shape: readonly number[];
  /** Row-major values; float32 data stays a Float32Array so big weights are not widened. */
  readonly data: Float32Array | Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function host(dtype: RuntimeDType, shape: readonly number[], values: ArrayLike<number>): HostTensor {
  const data = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  if (data.length !== sizeOf(shape)) throw new Error(`host tensor of shape [${shape.join(', ')}] given ${data.length} values`);
  return { dtype, shape: [...shape], data };
}

/** A 1-D integer tensor: a shape, axes, pads. */
export function hostInts(values: readonly number[]): HostTensor {
  return host('int32', [values.length], values);
}

export function toNumbers(t: HostTensor): number[] {
  return Array.from(t.data);
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Numpy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The flat index into `shape` (right-aligned, broadcast) of each element of `outShape`. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const index = new Int32Array(n);
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  const outStrides = stridesOf(outShape);
  for (let i = 0; i < n; i++) {
    let flat = 0;
    for (let d = offset; d < outShape.length; d++) {
      const extent = shape[d - offset]!;
      if (extent === 1) continue;
      const coordinate = Math.floor(i / outStrides[d]!) % outShape[d]!;
      flat += coordinate * strides[d - offset]!;
    }
    index[i] = flat;
  }
  return index;
}

/** An elementwise function of any number of broadcast inputs. */
export function hostElementwise(inputs: readonly HostTensor[], dtype: RuntimeDType, f: (...values: number[]) => number): HostTensor {
  let shape: number[] = [];
  for (const t of inputs) {
    const next = broadcastShapes(shape, t.shape);
    if (!next) throw new Error(`shapes [${inputs.map((i) => i.shape.join(', ')).join('] and [')}] do not broadcast`);
    shape = next;
  }
  const indices = inputs.map((t) => broadcastIndex(t.shape, shape));
  const n = sizeOf(shape);
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.data[indices[k]![i]!]!;
    out[i] = f(...args);
  }
  return { dtype, shape, data: out };
}

/** Elements gathered along an axis (indices already made non-negative). */
export function hostGather(t: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const outer = sizeOf(t.shape.slice(0, axis));
  const extent = t.shape[axis]!;
  const inner = sizeOf(t.shape.slice(axis + 1));
  const picks = Array.from(indices.data, (i) => (i < 0 ? i + extent : i));
  const shape = [...t.shape.slice(0, axis), ...indices.shape, ...t.shape.slice(axis + 1)];
  const out = t.dtype === 'float32' ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of picks) {
      if (p < 0 || p >= extent) throw new Error(`index ${p} out of range for an axis of ${extent}`);
      const start = (o * extent + p) * inner;
      out.set(t.data.subarray(start, start + inner), at);
      at += inner;
    }
  }
  return { dtype: t.dtype, shape, data: out };
}

/** Strided slice with per-axis starts, ends (exclusive) and positive or negative steps, all resolved. */
export function hostSlice(t: HostTensor, begin: readonly number[], end: readonly number[], step: readonly number[]): HostTensor {
  const shape = t.shape.map((_, d) => Math.max(0, Math.ceil((end[d]! - begin[d]!) / step[d]!)));
  const n = sizeOf(shape);
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const inStrides = stridesOf(t.shape);
  const outStrides = stridesOf(shape);
  for (let i = 0; i < n; i++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(i / outStrides[d]!) % shape[d]!;
      flat += (begin[d]! + c * step[d]!) * inStrides[d]!;
    }
    out[i] = t.data[flat]!;
  }
  return { dtype: t.dtype, shape, data: out };
}

export function hostConcat(parts: readonly HostTensor[], axis: number): HostTensor {
  const first = parts[0]!;
  const shape = [...first.shape];
  shape[axis] = parts.reduce((sum, p) => sum + p.shape[axis]!, 0);
  const outer = sizeOf(first.shape.slice(0, axis));
  const out = first.dtype === 'float32' ? new Float32Array(sizeOf(shape)) : new Float64Array(sizeOf(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = sizeOf(p.shape.slice(axis));
      out.set(p.data.subarray(o * block, (o + 1) * block), at);
      at += block;
    }
  }
  return { dtype: first.dtype, shape, data: out };
}

export function hostTranspose(t: HostTensor, perm: readonly number[]): HostTensor {
  const shape = perm.map((p) => t.shape[p]!);
  const inStrides = stridesOf(t.shape);
  const outStrides = stridesOf(shape);
  const n = t.data.length;
  const out = t.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat += (Math.floor(i / outStrides[d]!) % shape[d]!) * inStrides[perm[d]!]!;
    out[i] = t.data[flat]!;
  }
  return { dtype: t.dtype, shape, data: out };
}

export function hostReshape(t: HostTensor, shape: readonly number[]): HostTensor {
  return { ...t, shape: [...shape] };
}

export function hostCast(t: HostTensor, dtype: RuntimeDType): HostTensor {
  if (dtype === t.dtype) return t;
  if (dtype === 'float32') return { dtype, shape: t.shape, data: Float32Array.from(t.data) };
  const convert = dtype === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : Math.trunc;
  return { dtype, shape: t.shape, data: Float64Array.from(t.data, convert) };
}
