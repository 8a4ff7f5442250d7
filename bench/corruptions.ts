/**
 * Time per corruption and severity at the three scales, against issue 3's budgets: the whole
 * grid on one 224×224×3 image within 150 ms, and ≤ 0.5 ms per corruption per 28×28 image
 * on average (batched). Run: npx tsx bench/corruptions.ts [--repeats 3] [--sides 28,224]
 * (--sides: only the scales of those image sides; --only id,id: only those corruptions;
 * --against DIR: also time the corruptions of another src/ tree, e.g. the last commit's from
 * `git archive HEAD src | tar -x -C .scratch/head` and --against .scratch/head/src, interleaved
 * with this tree's in the same run, and print the ratio: on a shared machine absolute times
 * drift with the load, a same-run ratio much less. The tree must sit inside the repository so
 * that its packages resolve; --warmup N: untimed rounds over the five severities before timing
 * a corruption, default 2, the first of them over every corruption before any is timed;
 * --glibc-defaults: leave the C library's memory settings as they are, instead of keeping freed
 * memory for reuse as the CLI does, see below.)
 *
 * Why the warm-up: V8 compiles a corruption's loops while they run and again once they are hot;
 * until then (about five to ten calls, more while other processes hold the cores) a call costs
 * several times its steady cost. Timed from the very first call, the severity timed first (s1)
 * carries that cost in its median. The first call's time is printed apart ("cold"), since a
 * process that corrupts a single image pays it once per corruption.
 *
 * Why the memory setting: each call returns a new image-sized array. With glibc's defaults, the
 * memory of dropped arrays often goes back to the kernel, and the next array's pages fault when
 * first written (about 13 µs a page on these virtual machines: 2 ms for a 224×224×3 image). The
 * CLI asks glibc to keep freed memory (retainFreedMemory); the bench measures that setting by
 * default and prints the page faults of the timed calls either way.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { corruptBatch, type ImageBatchData } from '../src/corruptions/apply.js';
import { corruptions } from '../src/corruptions/catalogue.js';
import { retainFreedMemory } from '../src/backend/native/memory.js';
import { SEVERITIES } from '../src/corruptions/types.js';
import { sampleImages } from '../test/helpers/sample-images.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const repeats = Number(option('--repeats') ?? 3);
const sides = option('--sides')?.split(',').map(Number);
const only = option('--only')?.split(',');
const against = option('--against');
const warmup = Number(option('--warmup') ?? 2);
const retention = args.includes('--glibc-defaults') ? undefined : retainFreedMemory();

/** What is timed: this tree's corruptBatch and catalogue, or another tree's. */
interface Subject {
  readonly corruptBatch: typeof corruptBatch;
  readonly corruptions: typeof corruptions;
}
const current: Subject = { corruptBatch, corruptions };

async function loadSubject(srcDir: string): Promise<Subject> {
  const root = pathToFileURL(path.resolve(srcDir) + path.sep);
  const apply = (await import(new URL('corruptions/apply.ts', root).href)) as { corruptBatch: typeof corruptBatch };
  const catalogue = (await import(new URL('corruptions/catalogue.ts', root).href)) as { corruptions: typeof corruptions };
  return { corruptBatch: apply.corruptBatch, corruptions: catalogue.corruptions };
}
const baseline = against ? await loadSubject(against) : undefined;

/**
 * Median over repeats of the ms one call takes per image, for each severity, and the fastest
 * repeat's (on a shared machine the median carries other processes' time slices; the fastest
 * run is closer to what an idle machine measures).
 */
interface Timing {
  readonly median: number[];
  readonly fastest: number[];
  /** The first call of all (ms per image): before any warm-up, at severity 1. */
  cold: number;
  /** Minor page faults during the timed calls, per repeat (all five severities). */
  faults: number;
}

/** One untimed round of a corruption's five severities per subject; returns each subject's first call (ms per image). */
async function warmUp(subjects: readonly Subject[], id: string, batch: ImageBatchData, round: number): Promise<number[]> {
  const first = subjects.map(() => NaN);
  for (const severity of SEVERITIES) {
    for (let s = 0; s < subjects.length; s++) {
      const subject = subjects[s]!;
      const start = performance.now();
      // Seeds no timed call uses.
      await subject.corruptBatch(subject.corruptions, batch, id, severity, { seed: 1_000_000 + round });
      if (severity === 1) first[s] = (performance.now() - start) / batch.shape[0];
    }
  }
  return first;
}

/**
 * The timings of each subject, for the same calls: with two subjects, each repeat times both,
 * in alternating order, so that both see the same load. The first warm-up round has run already
 * (for every corruption of the scale, before any is timed): `cold` holds its first calls.
 */
async function msPerImage(subjects: readonly Subject[], id: string, batch: ImageBatchData, cold: readonly number[]): Promise<Timing[]> {
  const n = batch.shape[0];
  const timings = subjects.map((_, s): Timing => ({ median: [], fastest: [], cold: cold[s]!, faults: 0 }));
  for (let round = 1; round < warmup; round++) await warmUp(subjects, id, batch, round);
  for (const severity of SEVERITIES) {
    const times = subjects.map((): number[] => []);
    for (let r = 0; r < repeats; r++) {
      for (let k = 0; k < subjects.length; k++) {
        const s = (k + r) % subjects.length;
        const subject = subjects[s]!;
        const faultsBefore = process.resourceUsage().minorPageFault;
        const start = performance.now();
        await subject.corruptBatch(subject.corruptions, batch, id, severity, { seed: r });
        times[s]!.push((performance.now() - start) / n);
        timings[s]!.faults += (process.resourceUsage().minorPageFault - faultsBefore) / repeats;
      }
    }
    times.forEach((t, s) => {
      if (warmup === 0 && severity === 1) timings[s]!.cold = t[0]!;
      t.sort((a, b) => a - b);
      timings[s]!.median.push(t[Math.floor(t.length / 2)]!);
      timings[s]!.fastest.push(t[0]!);
    });
  }
  return timings;
}

const allScales = [
  { side: 28, name: '28×28×1 (batch 256)', batch: await sampleImages(256, 28) },
  { side: 32, name: '32×32×3 (batch 64)', batch: await sampleImages(64, 32) },
  { side: 224, name: '224×224×3 (1 image)', batch: await sampleImages(1, 224) },
];
const scales = allScales.filter((s) => !sides || sides.includes(s.side));
/** ImageNet-C's 19 (the 15 benchmark corruptions and 4 hold-outs): what issue 3's budgets are about. */
const isImagenetC = (group: string) => group !== 'mnist-c';
const totals = new Map<string, { sum: number; cells: number; imagenetSum: number; imagenetCells: number; imagenetFastest: number; imagenetCold: number; imagenetFaults: number; baselineSum: number; baselineFastest: number }>();
console.log(`ssl-robust ${corruptions.list().length} corruptions, median of ${repeats} runs after ${warmup} untimed rounds, ms per image per severity (s1 … s5); cold: the first call`);
console.log(
  retention === undefined
    ? 'memory: glibc defaults (--glibc-defaults)'
    : retention.retained
      ? 'memory: freed memory kept for reuse, as the CLI runs (--glibc-defaults to compare)'
      : `memory: glibc defaults (freed memory could not be kept: ${retention.reason})`,
);
for (const { name, batch } of scales) {
  console.log(`\n${name}`);
  const total = { sum: 0, cells: 0, imagenetSum: 0, imagenetCells: 0, imagenetFastest: 0, imagenetCold: 0, imagenetFaults: 0, baselineSum: 0, baselineFastest: 0 };
  const subjects = baseline ? [current, baseline] : [current];
  const selected = corruptions.list().filter((c) => (c.channels !== 'rgb' || batch.shape[3] === 3) && (!only || only.includes(c.id)));
  // The first warm-up round of every corruption before any is timed: the process's memory then
  // grows to its working size under the untimed calls, not under the first corruption's timed ones.
  const coldByCorruption = new Map<string, number[]>();
  for (const c of selected) coldByCorruption.set(c.id, warmup > 0 ? await warmUp(subjects, c.id, batch, 0) : subjects.map(() => NaN));
  for (const c of selected) {
    const [timing, before] = await msPerImage(subjects, c.id, batch, coldByCorruption.get(c.id)!);
    const { median: ms, fastest, cold } = timing!;
    const sum = ms.reduce((a, b) => a + b, 0);
    total.sum += sum;
    total.cells += ms.length;
    if (isImagenetC(c.group)) {
      total.imagenetSum += sum;
      total.imagenetCells += ms.length;
      total.imagenetFastest += fastest.reduce((a, b) => a + b, 0);
      total.imagenetCold += cold;
      total.imagenetFaults += timing!.faults;
      if (before) {
        total.baselineSum += before.median.reduce((a, b) => a + b, 0);
        total.baselineFastest += before.fastest.reduce((a, b) => a + b, 0);
      }
    }
    const versus = before ? `   (--against: ${before.median.reduce((a, b) => a + b, 0).toFixed(2)} ms over s1–s5, ${(before.median.reduce((a, b) => a + b, 0) / sum).toFixed(2)}×)` : '';
    console.log(`  ${c.id.padEnd(18)} ${ms.map((m) => m.toFixed(3).padStart(8)).join(' ')}   cold ${cold.toFixed(1).padStart(6)}${versus}`);
  }
  totals.set(name, total);
}
const small = totals.get(allScales[0]!.name);
const large = totals.get(allScales[2]!.name);
console.log('');
if (small) {
  console.log(`28×28×1: ${(small.imagenetSum / small.imagenetCells).toFixed(3)} ms per corruption per image on average over the ImageNet-C grid (budget 0.5 ms); ${(small.sum / small.cells).toFixed(3)} ms with the MNIST-C shifts`);
}
if (large) {
  console.log(`224×224×3: ImageNet-C grid (${large.imagenetCells} cells) ${large.imagenetSum.toFixed(1)} ms on one image (budget 150 ms); all ${large.cells} cells ${large.sum.toFixed(1)} ms`);
  console.log(`224×224×3: ImageNet-C grid from each cell's fastest run ${large.imagenetFastest.toFixed(1)} ms`);
  console.log(`224×224×3: first call of each ImageNet-C corruption (cold, s1), summed: ${large.imagenetCold.toFixed(1)} ms`);
  console.log(`224×224×3: page faults per ImageNet-C grid (timed calls, this tree): ${Math.round(large.imagenetFaults)}`);
  if (baseline) {
    console.log(`224×224×3, --against ${against}: ImageNet-C grid ${large.baselineSum.toFixed(1)} ms (this tree ${(large.baselineSum / large.imagenetSum).toFixed(2)}× faster), from the fastest runs ${large.baselineFastest.toFixed(1)} ms (${(large.baselineFastest / large.imagenetFastest).toFixed(2)}×)`);
  }
}
