/**
 * The heavy kernels side by side: the native kernels (oneDNN convolutions, OpenBLAS matrix
 * products, src/backend/native) on the wasm backend, the plain wasm kernels they replace, and
 * PyTorch on the CPU (Debian's python3-torch, for this benchmark only), in one invocation.
 *
 * Shapes: every distinct convolution of the zoo backbone (src/models/zoo/architecture.ts,
 * RESNET_FMNIST) at batch 256 on 28×28×1 images, and the 3×3 convolutions of a CIFAR-style
 * ResNet-18 (bench/models/resnet18.ts: 32×32×3 images) at batch 32, the batch bench/attacks.ts
 * uses; each as forward, input gradient (dx) and filter gradient (dW). Plus matrix products:
 * 1024², and the zoo's classifier head at batch 256.
 *
 * Run: npx tsx bench/kernels.ts [--seconds 0.5] [--rounds 3] [--torch-threads 2] [--only zoo|resnet18|matmul] [--no-torch] [--no-wasm]
 *
 * Each figure is the median of calls repeated for about --seconds after one warm-up call, in
 * GFLOP/s (2 × multiply-adds of the direct convolution); native and PyTorch are timed case by
 * case, alternately, for --rounds rounds, and each ratio is the median of the rounds' ratios, so
 * that a shared machine's changing load falls on both sides alike. The native kernels use every core
 * (OpenMP / OpenBLAS threads), so PyTorch runs with as many threads (--torch-threads, default
 * the core count); plain wasm runs one thread (tfjs-backend-wasm's threaded build is not used in
 * Node). PyTorch is timed in NCHW and channels-last, and the faster counts. Ratios are against
 * PyTorch in the same run.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { nativeKernelStatus, registerNativeKernels, unregisterNativeKernels, describeNativeStatus } from '../src/backend/native/index.js';
import { registerWasmGradientKernels } from '../src/backend/wasm-kernels/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const seconds = Number(option('seconds', '0.5'));
const torchThreads = Number(option('torch-threads', String(cpus().length)));
const only = option('only', 'zoo,resnet18,matmul').split(',');
const withTorch = !args.includes('--no-torch');
const withWasm = !args.includes('--no-wasm');
const roundCount = Number(option('rounds', '3'));
const PYTHON = '/usr/bin/python3';

type Op = 'fwd' | 'dx' | 'dW' | 'matmul';
interface Case {
  readonly group: string;
  readonly label: string;
  readonly op: Op;
  /** Convolutions: NHWC input, HWIO filter, stride, TF 'same' padding. Matmul: [m, k] · [k, n]. */
  readonly x: number[];
  readonly w: number[];
  readonly stride: number;
  readonly flops: number;
}

function convCases(group: string, batch: number, layers: ReadonlyArray<[number, number, number, number, number, number]>): Case[] {
  const out: Case[] = [];
  for (const [size, ci, co, k, stride, _] of layers) {
    const outSize = Math.ceil(size / stride);
    const flops = 2 * batch * outSize * outSize * co * k * k * ci;
    const label = `${size}²×${ci}→${co} ${k}×${k}${stride > 1 ? ` s${stride}` : ''}`;
    for (const op of ['fwd', 'dx', 'dW'] as const) out.push({ group, label, op, x: [batch, size, size, ci], w: [k, k, ci, co], stride, flops });
  }
  return out;
}

const cases: Case[] = [
  // The zoo backbone (batch 256): stem, then each stage's first and second 3×3 conv and 1×1 shortcut.
  ...(only.includes('zoo')
    ? convCases('zoo b256', 256, [
        [28, 1, 16, 3, 1, 0],
        [28, 16, 16, 3, 1, 0],
        [28, 16, 32, 3, 2, 0],
        [28, 16, 32, 1, 2, 0],
        [14, 32, 32, 3, 1, 0],
        [14, 32, 64, 3, 2, 0],
        [7, 64, 64, 3, 1, 0],
        [7, 64, 128, 3, 2, 0],
        [4, 128, 128, 3, 1, 0],
      ])
    : []),
  // ResNet-18 on 32×32×3 (batch 32): stem and one 3×3 conv per stage.
  ...(only.includes('resnet18')
    ? convCases('resnet18 b32', 32, [
        [32, 3, 64, 3, 1, 0],
        [32, 64, 64, 3, 1, 0],
        [16, 128, 128, 3, 1, 0],
        [8, 256, 256, 3, 1, 0],
        [4, 512, 512, 3, 1, 0],
      ])
    : []),
  ...(only.includes('matmul')
    ? [
        { group: 'matmul', label: '1024×1024 · 1024×1024', op: 'matmul' as const, x: [1024, 1024], w: [1024, 1024], stride: 1, flops: 2 * 1024 ** 3 },
        { group: 'matmul', label: 'head 256×128 · 128×10', op: 'matmul' as const, x: [256, 128], w: [128, 10], stride: 1, flops: 2 * 256 * 128 * 10 },
        { group: 'matmul', label: '512×4608 · 4608×512', op: 'matmul' as const, x: [512, 4608], w: [4608, 512], stride: 1, flops: 2 * 512 * 4608 * 512 },
      ]
    : []),
];

/** The kernel call for one case, on inputs already resident on the backend. */
function kernelCall(c: Case): { run: () => tf.Tensor; inputs: tf.Tensor[] } {
  const attrs = { strides: c.stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as const;
  if (c.op === 'matmul') {
    const a = tf.randomUniform(c.x, -1, 1, 'float32', 1);
    const b = tf.randomUniform(c.w, -1, 1, 'float32', 2);
    return { inputs: [a, b], run: () => tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: false, transposeB: false }) as tf.Tensor };
  }
  const x = tf.randomUniform(c.x, -1, 1, 'float32', 1);
  const w = tf.randomUniform(c.w, -1, 1, 'float32', 2);
  const outShape = tf.backend_util.computeConv2DInfo(c.x as [number, number, number, number], c.w as [number, number, number, number], c.stride, 1, 'same').outShape;
  const dy = tf.randomUniform(outShape, -1, 1, 'float32', 3);
  const { dilations: _, ...gradAttrs } = attrs;
  const run =
    c.op === 'fwd'
      ? () => tf.engine().runKernel('Conv2D', { x, filter: w }, attrs) as tf.Tensor
      : c.op === 'dx'
        ? () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...gradAttrs, inputShape: c.x }) as tf.Tensor
        : () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...gradAttrs, filterShape: c.w }) as tf.Tensor;
  return { inputs: [x, w, dy], run };
}

/**
 * Median ms per call, after one warm-up call, over about `seconds` (at least 3 calls). The
 * wasm backend and the native kernels compute synchronously, so a call is complete when
 * runKernel returns; reading the output back (a copy out of the heap) is not timed.
 */
function timeCall(run: () => tf.Tensor): number {
  run().dispose();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < seconds * 1000 && times.length < 200)) {
    const t0 = performance.now();
    const out = run();
    times.push(performance.now() - t0);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function timeOnWasm(native: boolean): Map<Case, number> {
  if (native) registerNativeKernels();
  else unregisterNativeKernels();
  const results = new Map<Case, number>();
  for (const c of cases) {
    const { run, inputs } = kernelCall(c);
    results.set(c, timeCall(run));
    tf.dispose(inputs);
  }
  return results;
}

/**
 * PyTorch's side: one Python child process that prepares every case once, then times the case
 * named on each stdin line and answers its ms per call on stdout. Being asked case by case, it
 * runs interleaved with the native timings, so that load from other jobs on a shared machine
 * falls on both sides of a ratio alike.
 */
const TORCH_SCRIPT = String.raw`
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1])); seconds = float(sys.argv[2])
cases = json.loads(sys.stdin.readline()); prepared = {}
def timed(f):
    f(); times = []; start = time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < seconds and len(times) < 200):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    times.sort(); return times[len(times) // 2] * 1000
def calls(c):
    if c['op'] == 'matmul':
        a = torch.rand(c['x']) * 2 - 1; b = torch.rand(c['w']) * 2 - 1
        return [lambda: torch.mm(a, b)]
    n, h, _, ci = c['x']; k, _, _, co = c['w']; s = c['stride']; p = (k - 1) // 2
    out = []
    for fmt in (torch.contiguous_format, torch.channels_last):
        x = (torch.rand(n, ci, h, h) * 2 - 1).contiguous(memory_format=fmt)
        w = (torch.rand(co, ci, k, k) * 2 - 1).contiguous(memory_format=fmt)
        y = torch.nn.functional.conv2d(x, w, stride=s, padding=p)
        dy = (torch.rand_like(y) * 2 - 1).contiguous(memory_format=fmt)
        if c['op'] == 'fwd':
            out.append(lambda x=x, w=w: torch.nn.functional.conv2d(x, w, stride=s, padding=p))
        else:
            mask = [True, False, False] if c['op'] == 'dx' else [False, True, False]
            out.append(lambda x=x, w=w, dy=dy, mask=mask: torch.ops.aten.convolution_backward(dy, x, w, None, [s, s], [p, p], [1, 1], False, [0, 0], 1, mask))
    return out
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
with torch.no_grad():
    for line in sys.stdin:
        i = int(line)
        if i not in prepared: prepared[i] = calls(cases[i])
        print(json.dumps(min(timed(f) for f in prepared[i])), flush=True)
`;

interface TorchTimer {
  readonly note: string;
  /** ms per call of case i (the faster of NCHW and channels-last for convolutions). */
  time(i: number): Promise<number>;
  close(): void;
}

async function startTorch(): Promise<TorchTimer | { note: string }> {
  if (!withTorch) return { note: 'PyTorch: skipped (--no-torch)' };
  const child = spawn(PYTHON, ['-c', TORCH_SCRIPT, String(torchThreads), String(seconds)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`PyTorch: unavailable (${stderr.trim().split('\n').pop() ?? 'no output'})`);
    return line.value;
  };
  child.stdin.write(`${JSON.stringify(cases.map(({ op, x, w, stride }) => ({ op, x, w, stride })))}\n`);
  try {
    const hello = JSON.parse(await next()) as { torch: string; threads: number };
    return {
      note: `PyTorch ${hello.torch} CPU, ${hello.threads} thread(s), best of NCHW and channels-last`,
      time: async (i) => {
        child.stdin.write(`${i}\n`);
        return Number(await next());
      },
      close: () => child.stdin.end(),
    };
  } catch (error) {
    child.kill();
    return { note: (error as Error).message };
  }
}

registerWasmGradientKernels();
await tf.setBackend('wasm');
await tf.ready();
const status = nativeKernelStatus();
console.log(`native kernels: ${describeNativeStatus(status)}`);
const torchTimer = await startTorch();
// Per case and round: the native median, then PyTorch's, back to back. A case's figures are the
// medians over the rounds, and its ratio the median of the rounds' ratios.
const native = new Map<Case, number>();
const torchMs = new Map<Case, number>();
const ratios = new Map<Case, number>();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
if (status.active) registerNativeKernels();
for (const [i, c] of cases.entries()) {
  const { run, inputs } = kernelCall(c);
  const rounds: { native?: number; torch?: number }[] = [];
  for (let r = 0; r < roundCount; r++) {
    const round: { native?: number; torch?: number } = {};
    if (status.active) round.native = timeCall(run);
    if ('time' in torchTimer) round.torch = await torchTimer.time(i);
    rounds.push(round);
  }
  tf.dispose(inputs);
  const nativeRounds = rounds.flatMap((r) => (r.native === undefined ? [] : [r.native]));
  const torchRounds = rounds.flatMap((r) => (r.torch === undefined ? [] : [r.torch]));
  if (nativeRounds.length) native.set(c, median(nativeRounds));
  if (torchRounds.length) torchMs.set(c, median(torchRounds));
  if (nativeRounds.length && torchRounds.length) ratios.set(c, median(rounds.map((r) => r.torch! / r.native!)));
}
if ('close' in torchTimer) torchTimer.close();
const wasm = withWasm ? timeOnWasm(false) : new Map<Case, number>();
const torch = { ms: torchMs, note: torchTimer.note };
console.log(`${torch.note}; tfjs wasm: 1 thread; seconds per figure ${seconds}, ${roundCount} interleaved round(s)\n`);

const gflops = (c: Case, ms: number | undefined) => (ms === undefined ? undefined : c.flops / ms / 1e6);
const cell = (c: Case, ms: number | undefined, ratio: number | undefined) => {
  const g = gflops(c, ms);
  if (g === undefined) return '–';
  return `${g.toFixed(1)}${ratio === undefined ? '' : ` (${ratio.toFixed(2)}×)`}`;
};
console.log('| shapes | op | native GFLOP/s (× PyTorch) | wasm GFLOP/s (× PyTorch) | PyTorch GFLOP/s | native ms | wasm ms | PyTorch ms |');
console.log('|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  const [n, w, t] = [native.get(c), wasm.get(c), torch.ms.get(c)];
  const fmt = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(2));
  console.log(`| ${c.group} ${c.label} | ${c.op} | ${cell(c, n, ratios.get(c))} | ${cell(c, w, t === undefined || w === undefined ? undefined : t / w)} | ${gflops(c, t)?.toFixed(1) ?? '–'} | ${fmt(n)} | ${fmt(w)} | ${fmt(t)} |`);
}
// Geometric means of native / PyTorch throughput per group and op.
const groups = new Map<string, number[]>();
for (const c of cases) {
  const ratio = ratios.get(c);
  if (ratio === undefined) continue;
  const key = `${c.group} ${c.op}`;
  groups.set(key, [...(groups.get(key) ?? []), ratio]);
}
if (groups.size > 0) {
  console.log('\nnative ÷ PyTorch throughput, geometric mean over the shapes:');
  for (const [key, ratios] of groups) console.log(`  ${key}: ${Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length).toFixed(2)}×`);
}
