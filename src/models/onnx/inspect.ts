/** What `ssl-robust inspect` says about an ONNX file: its interface, ops, size and whether we can run it. */
import { messageOf, UserInputError } from '../../errors.js';
import { loadOnnxClassifier, type OnnxLoadOptions } from './classifier.js';
import { defaultEmbeddingValue, readOnnxFile, unsupportedLine, type Unsupported } from './model.js';
import { DATA_TYPE_NAMES, DataType, type ValueInfoProto } from './proto/schema.js';
import { readSidecar, sidecarPath } from './sidecar.js';

export interface OnnxValueSummary {
  readonly name: string;
  readonly type: string;
  readonly dims: readonly (number | string | null)[] | null;
}

export interface OnnxSummary {
  readonly file: string;
  readonly sha256: string;
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly inputs: readonly OnnxValueSummary[];
  readonly outputs: readonly OnnxValueSummary[];
  readonly nodes: number;
  /** Node count per op type, most frequent first. */
  readonly ops: readonly { readonly opType: string; readonly count: number }[];
  readonly parameterCount: number;
  readonly unsupported: readonly Unsupported[];
  /** Whether the graph imports and compiles here (ops, shapes and all); the reason when not. */
  readonly supported: boolean;
  readonly problem: string | null;
  readonly embedding: string | null;
  readonly sidecar: string | null;
}

function valueSummary(v: ValueInfoProto): OnnxValueSummary {
  return { name: v.name, type: DATA_TYPE_NAMES[v.elemType ?? DataType.FLOAT] ?? String(v.elemType), dims: v.dims ?? null };
}

/** Summarises an ONNX file; needs an active backend to try compiling it. Malformed files are user errors. */
export async function inspectOnnx(file: string, options: OnnxLoadOptions = {}): Promise<OnnxSummary> {
  const parsed = readOnnxFile(file);
  const { proto } = parsed;
  const counts = new Map<string, number>();
  for (const node of proto.graph.nodes) {
    const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${node.opType}` : node.opType;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parameterCount = proto.graph.initializers
    .filter((t) => [DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE, DataType.BFLOAT16].includes(t.dataType as 1))
    .reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  let problem: string | null = parsed.unsupported.length ? unsupportedLine(file, parsed.unsupported) : null;
  let embedding: string | null = options.embeddingNode ?? readSidecar(file)?.embeddingNode ?? defaultEmbeddingValue(parsed) ?? null;
  if (!problem) {
    try {
      const model = await loadOnnxClassifier(file, options);
      model.dispose();
    } catch (error) {
      if (!(error instanceof UserInputError)) throw error;
      problem = messageOf(error);
      if (options.embeddingNode && problem.includes('no node or value named')) embedding = null;
    }
  }
  return {
    file,
    sha256: parsed.sha256,
    irVersion: proto.irVersion,
    opset: parsed.opset,
    producer: [proto.producerName, proto.producerVersion].filter(Boolean).join(' '),
    inputs: proto.graph.inputs.filter((v) => !parsed.initializerNames.has(v.name)).map(valueSummary),
    outputs: proto.graph.outputs.map(valueSummary),
    nodes: proto.graph.nodes.length,
    ops: [...counts].map(([opType, count]) => ({ opType, count })).sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
    parameterCount,
    unsupported: parsed.unsupported,
    supported: problem === null,
    problem,
    embedding,
    sidecar: readSidecar(file) ? sidecarPath(file) : null,
  };
}

function dimsText(v: OnnxValueSummary): string {
  return v.dims ? `[${v.dims.map((d) => d ?? '?').join(', ')}]` : '[?]';
}

/** The human-readable report. */
export function renderOnnxSummary(s: OnnxSummary): string {
  const lines = [
    `file        ${s.file}`,
    `sha256      ${s.sha256}`,
    `format      ONNX, IR version ${s.irVersion}, opset ${s.opset}${s.producer ? `, from ${s.producer}` : ''}`,
    ...s.inputs.map((v, i) => `${i === 0 ? 'input ' : '      '}      ${v.name} ${dimsText(v)} ${v.type}`),
    ...s.outputs.map((v, i) => `${i === 0 ? 'outputs' : '       '}     ${v.name} ${dimsText(v)} ${v.type}`),
    `parameters  ${s.parameterCount.toLocaleString('en-US')}`,
    `nodes       ${s.nodes}: ${s.ops.map((o) => `${o.opType} ×${o.count}`).join(', ')}`,
    `embedding   ${s.embedding ?? 'none found (give --embedding-node)'}`,
    `sidecar     ${s.sidecar ?? 'none (normalisation from --input-mean/--input-std, else none)'}`,
    `supported   ${s.supported ? 'yes: every op converts and every shape folds' : `no: ${s.problem}`}`,
  ];
  return `${lines.join('\n')}\n`;
}
