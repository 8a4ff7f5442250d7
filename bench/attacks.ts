/**
 * Attack throughput — FGSM and PGD-20, in images × gradient steps per second — on the bundled CNN
 * (28×28×1, batch 64, ε 0.1), a zoo backbone as `attack --model` loads it (assets/zoo/<name>, the
 * resnet-fm10 classifier; 28×28×1, batch 64, ε 0.1; `--zoo-model`, default supervised) and a
 * CIFAR-style ResNet-18 (32×32×3, batch 32, ε 8/255, seeded random weights), on every TF.js
 * backend asked for, side by side with PyTorch on the CPU (scripts/bench_attacks_torch.py, same
 * architectures, weights, batches and attack passes) in the same invocation. Prints a markdown table.
 *
 * Run: npx tsx bench/attacks.ts [--backends wasm,webgpu] [--models cnn,zoo,resnet18] [--seconds 3]
 *        [--pgd-steps 20] [--max-seconds 60] [--torch-threads 1] [--zoo-model supervised] [--no-torch]
 *
 * Each figure: one untimed FGSM run (kernel compilation, shader warm-up), then runs repeated for
 * about --seconds (at least one). Where one PGD-20 run is projected (from FGSM's time) to take
 * longer than --max-seconds, PGD runs with as many steps as fit (at least 2; the table says so) and
 * PyTorch runs the same count; a model whose single FGSM run exceeds the cap is skipped. The cpu backend is not in the default list: its input
 * gradients run at under 1 image/s (bench/backends.ts), so one batch would take minutes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from '../src/attacks/fgsm.js';
import { pgd } from '../src/attacks/pgd.js';
import type { AnyAttack } from '../src/attacks/types.js';
import { backendProvider, probeBackends } from '../src/backend/index.js';
import { openDataset } from '../src/data/open.js';
import type { Classifier } from '../src/models/contract.js';
import { loadClassifier } from '../src/models/load.js';
import { loadZooClassifier, resolveZooEntry } from '../src/models/zoo/catalogue.js';
import { RandomStream } from '../src/random/stream.js';
import { buildResNet18 } from './models/resnet18.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const seconds = Number(option('seconds', '3'));
const pgdSteps = Number(option('pgd-steps', '20'));
const maxSeconds = Number(option('max-seconds', '60'));
const torchThreads = Number(option('torch-threads', '1'));
const backends = option('backends', 'wasm,webgpu').split(',');
const models = option('models', 'cnn,zoo,resnet18').split(',') as ModelId[];
const zooModel = option('zoo-model', 'supervised');
const withTorch = !args.includes('--no-torch');
const PYTHON = '/usr/bin/python3';

type ModelId = 'cnn' | 'zoo' | 'resnet18';
interface Workload {
  readonly classifier: Classifier & { dispose(): void };
  readonly images: tf.Tensor4D;
  readonly labels: Int32Array;
  readonly eps: number;
}
interface Figure {
  /** Gradient steps per run: 1 for FGSM; for PGD, fewer than --pgd-steps where the time cap cut it. */
  readonly steps: number;
  readonly imageStepsPerSecond: number;
  /** Per second of this process's CPU time: robust to other jobs on a shared machine. */
  readonly imageStepsPerCpuSecond: number;
  readonly secondsPerRun: number;
  readonly successes: number;
}
interface Row {
  readonly model: ModelId;
  readonly runtime: string;
  readonly batch: number;
  fgsm?: Figure | { skipped: string };
  pgd?: Figure | { skipped: string };
}

const BATCH: Record<ModelId, number> = { cnn: 64, zoo: 64, resnet18: 32 };
const LABEL: Record<ModelId, string> = { cnn: 'fmnist-cnn 28×28×1, ε 0.1', zoo: `zoo ${zooModel} (resnet-fm10) 28×28×1, ε 0.1`, resnet18: 'ResNet-18 32×32×3, ε 8/255' };

/** The bundled subset's first images, shared with PyTorch so both attack the same batch (the CNN and the zoo model alike). */
const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
const subsetBatch = Math.max(BATCH.cnn, BATCH.zoo);
const subsetPixels = await dataset.read(Array.from({ length: subsetBatch }, (_, i) => i));
const subsetLabels = dataset.labels.slice(0, subsetBatch);
const subsetImages = (n: number) => tf.tensor4d(subsetPixels.subarray(0, n * 28 * 28), [n, 28, 28, 1]);

async function workload(model: ModelId): Promise<Workload> {
  if (model === 'cnn') {
    return { classifier: await loadClassifier('fmnist-cnn'), images: subsetImages(BATCH.cnn), labels: subsetLabels.slice(0, BATCH.cnn), eps: 0.1 };
  }
  if (model === 'zoo') {
    // As `attack --model <zoo name>` loads it: the shipped LayersModel, checked against its card.
    return { classifier: await loadZooClassifier(await resolveZooEntry(zooModel)), images: subsetImages(BATCH.zoo), labels: subsetLabels.slice(0, BATCH.zoo), eps: 0.1 };
  }
  const stream = RandomStream.fromSeed(0).derive('bench-attacks', 'resnet18-batch');
  const n = BATCH.resnet18;
  return {
    classifier: buildResNet18([32, 32, 3], 10, 0),
    images: tf.tensor4d(stream.fillUniform(new Float32Array(n * 32 * 32 * 3)), [n, 32, 32, 3]),
    labels: Int32Array.from({ length: n }, () => stream.int(0, 9)),
    eps: 8 / 255,
  };
}

/** One attack run on the batch: its wall time and how many images it broke. */
async function attackOnce(work: Workload, attack: AnyAttack, params: unknown, runIndex: number): Promise<{ seconds: number; cpuSeconds: number; successes: number }> {
  const random = Array.from({ length: work.labels.length }, (_, i) => RandomStream.fromSeed(runIndex).derive(i));
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const out = await attack.run(work.classifier, { images: work.images, labels: work.labels, random }, params);
  const cpu = process.cpuUsage(cpuStart);
  const elapsed = (performance.now() - start) / 1000;
  out.adversarial.dispose();
  return { seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6, successes: out.perExample.filter((e) => e.success).length };
}

/** Runs for about `seconds` (at least once): images × steps per second. */
async function measure(work: Workload, attack: AnyAttack, params: unknown, steps: number): Promise<Figure> {
  let runs = 0;
  let total = 0;
  let cpuTotal = 0;
  let successes = 0;
  while (runs === 0 || total < seconds) {
    const run = await attackOnce(work, attack, params, runs);
    total += run.seconds;
    cpuTotal += run.cpuSeconds;
    successes = run.successes;
    runs++;
  }
  const imageSteps = runs * work.labels.length * steps;
  return { steps, imageStepsPerSecond: imageSteps / total, imageStepsPerCpuSecond: imageSteps / cpuTotal, secondsPerRun: total / runs, successes };
}

const rows: Row[] = [];
const available = await probeBackends();
for (const name of backends) {
  const found = available.find((b) => b.name === name);
  if (!found?.available) {
    console.error(`skip ${name}: ${found?.note ?? 'unknown backend'}`);
    continue;
  }
  await backendProvider(found.name).activate();
  for (const model of models) {
    const before = tf.memory().numTensors;
    const work = await workload(model);
    const row: Row = { model, runtime: `tfjs ${name}`, batch: work.labels.length };
    const fgsmParams = fgsm.resolve(work.eps, {});
    const warmUp = await attackOnce(work, fgsm, fgsmParams, 0);
    if (warmUp.seconds > maxSeconds) {
      row.fgsm = row.pgd = { skipped: `one FGSM run took ${warmUp.seconds.toFixed(0)} s > --max-seconds ${maxSeconds}` };
    } else {
      const oneStep = await measure(work, fgsm, fgsmParams, 1);
      row.fgsm = oneStep;
      // A PGD run costs its steps in gradient passes plus a forward: about steps + 1 FGSM runs.
      const steps = Math.min(pgdSteps, Math.floor(maxSeconds / oneStep.secondsPerRun) - 1);
      row.pgd = steps < 2
        ? { skipped: `PGD-2 projected over --max-seconds ${maxSeconds}` }
        : await measure(work, pgd, pgd.resolve(work.eps, { steps }), steps);
    }
    console.error(`${row.runtime} ${model}: warm-up ${warmUp.seconds.toFixed(1)} s, ${JSON.stringify({ fgsm: row.fgsm, pgd: row.pgd })}`);
    rows.push(row);
    work.images.dispose();
    work.classifier.dispose();
    if (tf.memory().numTensors !== before) console.error(`warning: ${tf.memory().numTensors - before} tensors left after ${model} on ${name}`);
  }
}

/** PyTorch's figures from the companion script, or the reason there are none. */
function torchRows(): { rows: Row[]; note: string } {
  if (!withTorch) return { rows: [], note: 'PyTorch: skipped (--no-torch)' };
  if (!existsSync(PYTHON)) return { rows: [], note: `PyTorch: skipped (${PYTHON} not found)` };
  const folder = mkdtempSync(join(tmpdir(), 'bench-attacks-'));
  try {
    writeFileSync(join(folder, 'images.f32'), subsetPixels);
    writeFileSync(join(folder, 'labels.i32'), subsetLabels);
    // PyTorch runs PGD with the most steps any TF.js backend ran on that model (a capped run is compared per step).
    const ran = (model: ModelId) => rows.filter((r) => r.model === model && r.pgd && 'steps' in r.pgd).map((r) => (r.pgd as Figure).steps);
    const stepsFor = (model: ModelId) => (ran(model).length > 0 ? Math.max(...ran(model)) : pgdSteps);
    const result = spawnSync(PYTHON, [
      'scripts/bench_attacks_torch.py', '--models', models.join(','), '--seconds', String(seconds),
      '--pgd-steps', models.map((m) => `${m}=${stepsFor(m)}`).join(','),
      '--threads', String(torchThreads), '--cnn-batch', String(BATCH.cnn), '--resnet-batch', String(BATCH.resnet18),
      '--zoo-batch', String(BATCH.zoo), '--zoo-model', zooModel,
      '--cnn-images', join(folder, 'images.f32'), '--cnn-labels', join(folder, 'labels.i32'),
    ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const parsed = JSON.parse(result.stdout.trim().split('\n').at(-1) || '{}') as {
      error?: string; torch?: string; threads?: number;
      rows?: ({ model: ModelId; attack: 'fgsm' | 'pgd'; batch: number } & Figure)[];
    };
    if (parsed.error || !parsed.rows) return { rows: [], note: `PyTorch: skipped (${parsed.error ?? `exit ${result.status}`})` };
    const byModel = new Map<ModelId, Row>();
    for (const r of parsed.rows) {
      const row = byModel.get(r.model) ?? { model: r.model, runtime: `PyTorch ${parsed.torch} CPU`, batch: r.batch };
      row[r.attack] = { steps: r.steps, imageStepsPerSecond: r.imageStepsPerSecond, imageStepsPerCpuSecond: r.imageStepsPerCpuSecond, secondsPerRun: r.secondsPerRun, successes: r.successes };
      byModel.set(r.model, row);
    }
    return { rows: [...byModel.values()], note: `PyTorch ${parsed.torch}, ${parsed.threads} thread(s) (tfjs wasm runs one thread in Node)` };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const torch = torchRows();
const all = [...rows, ...torch.rows];
const cell = (figure: Row['fgsm'] | Row['pgd'], reference: Row['fgsm'] | Row['pgd'], batch: number) => {
  if (!figure) return '– | – | –';
  if ('skipped' in figure) return `skipped: ${figure.skipped} | – | –`;
  const known = reference && !('skipped' in reference) ? reference : undefined;
  const capped = figure.steps > 1 && figure.steps !== pgdSteps ? ` [PGD-${figure.steps}, time cap${known && known.steps !== figure.steps ? `; ratios vs PyTorch PGD-${known.steps}` : ''}]` : '';
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '–');
  return `${figure.imageStepsPerSecond.toFixed(1)} (${ratio(figure.imageStepsPerSecond, known?.imageStepsPerSecond)}) | ` +
    `${figure.imageStepsPerCpuSecond.toFixed(1)} (${ratio(figure.imageStepsPerCpuSecond, known?.imageStepsPerCpuSecond)}) | ${figure.successes}/${batch}${capped}`;
};
console.log(`\nAttack throughput, images × gradient steps per second, ~${seconds} s per figure, ${new Date().toISOString()}`);
console.log(`${torch.note}. Per wall second and per CPU second of the process (robust to other jobs on a shared machine),`);
console.log('each with its ratio to PyTorch in brackets; "broken": images the last run broke (the CNN and the zoo model: same batch and weights on both sides).\n');
console.log(`| model | runtime | batch | FGSM /s | FGSM /CPU-s | broken | PGD-${pgdSteps} /s | PGD-${pgdSteps} /CPU-s | broken |`);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const row of all) {
  const reference = torch.rows.find((r) => r.model === row.model);
  console.log(`| ${LABEL[row.model]} | ${row.runtime} | ${row.batch} | ${cell(row.fgsm, reference?.fgsm, row.batch)} | ${cell(row.pgd, reference?.pgd, row.batch)} |`);
}
// Dawn can keep the event loop alive; the benchmark is done.
process.exit(0);
