/**
 * An ONNX file as a runnable, differentiable TF.js graph: parsed and checked once, then compiled
 * per batch size on first use. Images arrive NHWC in [0, 1] (the project's contract); the model's
 * own normalisation is applied and the layout handed to the graph as channels-last NCHW.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ensure, UserInputError } from '../../errors.js';
import { compilePlan, type GraphSpec, type Plan } from './compile.js';
import type { HostTensor } from './host-tensor.js';
import { onnxOps } from './ops/index.js';
import { foldBatchNormIntoConv } from './optimize.js';
import type { OpConverter } from './ops/types.js';
import { decodeModel, type ModelProto, type NodeProto, type ValueInfoProto } from './proto/schema.js';
import { WireFormatError } from './proto/wire.js';
import { externalDataPath, tensorToHost } from './tensor-data.js';

/** IR versions whose graphs we read: 3 (opset imports) to 11 (ONNX 1.18). */
export const IR_VERSIONS: readonly [number, number] = [3, 11];
/** Default-domain opsets accepted at all; each op's converter narrows this further. */
export const OPSETS: readonly [number, number] = [7, 21];

/** One op type the importer cannot run, and where it occurs. */
export interface Unsupported {
  readonly opType: string;
  readonly domain: string;
  readonly reason: string;
  readonly nodes: readonly string[];
}

export interface ParsedOnnx {
  readonly file: string;
  readonly proto: ModelProto;
  readonly opset: number;
  readonly sha256: string;
  /** The one image input (graph inputs that are not initializers). */
  readonly input: ValueInfoProto;
  readonly initializerNames: ReadonlySet<string>;
  readonly unsupported: readonly Unsupported[];
}

function nodeLabel(node: NodeProto): string {
  return node.name || node.outputs[0] || '(unnamed)';
}

/** Op types with no converter, from another domain, or at an opset their converter does not cover. */
export function unsupportedOps(proto: ModelProto, opset: number): Unsupported[] {
  const found = new Map<string, { domain: string; reason: string; nodes: string[] }>();
  for (const node of proto.graph.nodes) {
    const domain = node.domain === 'ai.onnx' ? '' : node.domain;
    let reason: string | undefined;
    if (domain !== '') reason = `domain ${domain}`;
    else if (!onnxOps.has(node.opType)) reason = 'no converter';
    else {
      const [low, high] = onnxOps.get(node.opType).opsets;
      if (opset < low || opset > high) reason = `opset ${opset} (supported ${low}–${high})`;
    }
    if (!reason) continue;
    const key = `${domain}:${node.opType}`;
    const entry = found.get(key) ?? { domain, reason, nodes: [] };
    entry.nodes.push(nodeLabel(node));
    found.set(key, entry);
  }
  return [...found].map(([key, e]) => ({ opType: key.slice(key.indexOf(':') + 1), domain: e.domain, reason: e.reason, nodes: e.nodes }));
}

/** One line listing unsupported ops and (the first few of) their nodes. */
export function unsupportedLine(file: string, unsupported: readonly Unsupported[]): string {
  const parts = unsupported.map((u) => {
    const nodes = u.nodes.slice(0, 3).join(', ') + (u.nodes.length > 3 ? `, … ${u.nodes.length - 3} more` : '');
    return `${u.domain ? `${u.domain}.` : ''}${u.opType} (${u.reason}; node${u.nodes.length > 1 ? 's' : ''} ${nodes})`;
  });
  return `${file}: unsupported ONNX ops: ${parts.join('; ')} (see docs/onnx.md for the supported ones)`;
}

/** Reads and checks an ONNX file's structure; refuses malformed files in one line. Ops are listed, not refused. */
export function parseOnnx(bytes: Uint8Array, file: string, externalFolder?: string): ParsedOnnx {
  let proto: ModelProto;
  try {
    proto = decodeModel(bytes);
  } catch (error) {
    if (error instanceof WireFormatError) throw new UserInputError(`${file}: not a valid ONNX file: ${error.message}`);
    throw error;
  }
  const [irLow, irHigh] = IR_VERSIONS;
  ensure(proto.irVersion >= irLow && proto.irVersion <= irHigh, `${file}: ONNX IR version ${proto.irVersion} is not supported (supported ${irLow}–${irHigh})`);
  const defaultImport = proto.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  ensure(defaultImport, `${file}: the model imports no default-domain opset`);
  const opset = defaultImport.version;
  ensure(opset >= OPSETS[0] && opset <= OPSETS[1], `${file}: opset ${opset} is not supported (supported ${OPSETS[0]}–${OPSETS[1]}; re-export with opset_version between 13 and 18)`);
  const initializerNames = new Set(proto.graph.initializers.map((t) => t.name));
  const inputs = proto.graph.inputs.filter((v) => !initializerNames.has(v.name));
  ensure(inputs.length === 1, `${file}: expected one image input, found ${inputs.length} (${inputs.map((v) => v.name).join(', ')})`);
  ensure(proto.graph.outputs.length >= 1, `${file}: the graph has no outputs`);
  const input = inputs[0]!;
  const dims = input.dims ?? [];
  ensure(
    dims.length === 4 && dims.slice(1).every((d) => typeof d === 'number' && d > 0),
    `${file}: input '${input.name}' must be NCHW images with a fixed channel count and size, got [${dims.map((d) => d ?? '?').join(', ')}] (export with a fixed image size)`,
  );
  const hash = createHash('sha256').update(bytes);
  // External data files are part of the model's identity too.
  const externalFiles = new Set(proto.graph.initializers.flatMap((t) => (t.externalData ? [t.externalData['location'] ?? ''] : [])));
  for (const location of [...externalFiles].sort()) {
    ensure(externalFolder !== undefined, `${file}: weights in external files need the model read from disk`);
    hash.update(location).update(readFileSync(externalDataPath(location, externalFolder, `${file}: external data`)));
  }
  return { file, proto, opset, sha256: hash.digest('hex'), input, initializerNames, unsupported: unsupportedOps(proto, opset) };
}

/** Compiled plans kept per model (batch sizes × outputs). */
const MAX_PLANS = 8;

/** Per-channel normalisation applied to [0, 1] images before the graph: (x - mean) / std. */
export interface InputNormalisation {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** A loaded ONNX graph: runs any of its values on [0, 1] NHWC images, differentiably. */
export class OnnxGraph {
  readonly inputChw: readonly [number, number, number];
  /** The batch size the file fixes, if it does (the graph then runs in chunks of it). */
  readonly fixedBatch: number | undefined;
  readonly parameterCount: number;
  private readonly spec: GraphSpec;
  private readonly plans = new Map<string, Plan>();
  private readonly scale: tf.Tensor1D;
  private readonly shift: tf.Tensor1D;

  constructor(
    readonly parsed: ParsedOnnx,
    normalisation: InputNormalisation,
    externalFolder: string | undefined,
    /** Values that must stay computable (an embedding inside a conv → batch-norm pair). */
    keepValues: readonly string[] = [],
  ) {
    const { proto, file } = parsed;
    if (parsed.unsupported.length) throw new UserInputError(unsupportedLine(file, parsed.unsupported));
    const dims = parsed.input.dims!;
    this.inputChw = dims.slice(1) as [number, number, number];
    this.fixedBatch = typeof dims[0] === 'number' && dims[0] > 0 ? dims[0] : undefined;
    const channels = this.inputChw[0];
    const perChannel = (values: readonly number[], what: string) => {
      ensure(values.length === channels || values.length === 1, `${file}: ${what} has ${values.length} values, the model has ${channels} input channels`);
      return values.length === 1 ? new Array<number>(channels).fill(values[0]!) : [...values];
    };
    const mean = perChannel(normalisation.mean, 'the input mean');
    const std = perChannel(normalisation.std, 'the input std');
    ensure(std.every((s) => s > 0 && Number.isFinite(s)) && mean.every(Number.isFinite), `${file}: the input std must be positive and mean and std finite`);
    const initializers = new Map<string, HostTensor>();
    for (const t of proto.graph.initializers) initializers.set(t.name, tensorToHost(t, { modelFile: file, ...(externalFolder ? { folder: externalFolder } : {}) }));
    this.parameterCount = [...initializers.values()].reduce((sum, t) => sum + (t.dtype === 'float32' ? t.data.length : 0), 0);
    const outputs = new Set([...proto.graph.outputs.map((o) => o.name), ...keepValues]);
    const nodes = foldBatchNormIntoConv(proto.graph.nodes, initializers, outputs);
    // Weights the rewrite replaced are not needed twice in memory.
    const used = new Set(nodes.flatMap((n) => n.inputs));
    for (const name of [...initializers.keys()]) if (!used.has(name) && !outputs.has(name)) initializers.delete(name);
    this.spec = {
      file,
      opset: parsed.opset,
      nodes,
      initializers,
      inputName: parsed.input.name,
      inputChw: this.inputChw,
      converterFor: (node): OpConverter => onnxOps.get(node.opType),
      weightCache: new Map(),
    };
    this.scale = tf.keep(tf.tensor1d(std.map((s) => 1 / s)));
    this.shift = tf.keep(tf.tensor1d(mean.map((m, i) => -m / std[i]!)));
  }

  /** Graph output names, the first being the logits. */
  get outputNames(): string[] {
    return this.parsed.proto.graph.outputs.map((v) => v.name);
  }

  /** The weights, for NaN/Inf checks and hashing. */
  get initializers(): ReadonlyMap<string, HostTensor> {
    return this.spec.initializers;
  }

  /**
   * Compiles (or reuses) the plan for this batch size and these outputs. The most recently used
   * plans are kept: attacks shrink their batches as images break, which would otherwise pile up.
   */
  plan(batch: number, outputs: readonly string[]): Plan {
    const key = `${batch}|${outputs.join('|')}`;
    let plan = this.plans.get(key);
    if (plan) this.plans.delete(key);
    else plan = compilePlan(this.spec, batch, outputs);
    this.plans.set(key, plan);
    if (this.plans.size > MAX_PLANS) {
      const [oldest, stale] = this.plans.entries().next().value!;
      this.plans.delete(oldest);
      stale.dispose();
    }
    return plan;
  }

  /** Logical shapes (batch 1) of these values. */
  shapesOf(outputs: readonly string[]): readonly (readonly number[])[] {
    return this.plan(this.fixedBatch ?? 1, outputs).outputShapes;
  }

  /** Runs the graph up to `output` on images NHWC in [0, 1]; the caller owns the result. */
  run(images: tf.Tensor4D, output: string): tf.Tensor {
    return tf.tidy(() => {
      const [c, h, w] = this.inputChw;
      const [n, ih, iw, ic] = images.shape;
      ensure(ih === h && iw === w && ic === c, `${this.parsed.file}: the model takes ${h}×${w}×${c} images, got ${ih}×${iw}×${ic}`);
      const normalised = tf.add(tf.mul(images, this.scale), this.shift) as tf.Tensor4D;
      const chunk = this.fixedBatch;
      if (chunk === undefined || chunk === n) return this.plan(n, [output]).execute(normalised)[0]!;
      // A file exported with a fixed batch size runs in chunks of it; a short last chunk is padded.
      const parts: tf.Tensor[] = [];
      for (let start = 0; start < n; start += chunk) {
        const size = Math.min(chunk, n - start);
        let part = tf.slice(normalised, [start, 0, 0, 0], [size, h, w, c]);
        if (size < chunk) part = tf.concat([part, tf.zeros([chunk - size, h, w, c])]);
        const out = this.plan(chunk, [output]).execute(part)[0]!;
        parts.push(size < chunk ? tf.slice(out, 0, size) : out);
      }
      return tf.concat(parts, 0);
    });
  }

  dispose(): void {
    for (const plan of this.plans.values()) plan.dispose();
    this.plans.clear();
    tf.dispose([...this.spec.weightCache.values(), this.scale, this.shift]);
    this.spec.weightCache.clear();
  }
}

/** The value a --embedding-node names: a node's first output, or a value by its own name. */
export function resolveValueName(parsed: ParsedOnnx, name: string): string {
  const nodes = parsed.proto.graph.nodes;
  const byNode = nodes.find((n) => n.name === name);
  if (byNode?.outputs[0]) return byNode.outputs[0];
  if (nodes.some((n) => n.outputs.includes(name)) || parsed.proto.graph.outputs.some((o) => o.name === name)) return name;
  const near = nodes.filter((n) => n.opType === 'Flatten' || n.opType === 'Gemm' || n.opType === 'GlobalAveragePool').slice(-3).map(nodeLabel);
  throw new UserInputError(`${parsed.file}: no node or value named '${name}'${near.length ? ` (candidates near the head: ${near.join(', ')})` : ''}; \`ssl-robust inspect\` lists the nodes`);
}

/** The default embedding: the input of the Gemm (or MatMul) that produces the logits, when there is one. */
export function defaultEmbeddingValue(parsed: ParsedOnnx): string | undefined {
  const logits = parsed.proto.graph.outputs[0]!.name;
  const nodes = parsed.proto.graph.nodes;
  let producer = nodes.find((n) => n.outputs.includes(logits));
  // MatMul + Add is how some exporters write a linear head.
  if (producer?.opType === 'Add') producer = nodes.find((n) => producer!.inputs.some((i) => n.outputs.includes(i)) && n.opType === 'MatMul') ?? producer;
  return producer && (producer.opType === 'Gemm' || producer.opType === 'MatMul') ? producer.inputs[0] : undefined;
}

/** Reads an .onnx file from disk (external data is looked for in its folder). */
export function readOnnxFile(path: string): ParsedOnnx {
  ensure(existsSync(path) && statSync(path).isFile(), `${path}: no such ONNX file`);
  return parseOnnx(new Uint8Array(readFileSync(path)), path, dirname(path));
}

