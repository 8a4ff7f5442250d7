/**
 * Time per corruption and severity at the three scales, against issue 3's budgets: the whole
 * grid on one 224×224×3 image within 150 ms, and ≤ 0.5 ms per corruption per 28×28 image
 * on average (batched). Run: npx tsx bench/corruptions.ts [--repeats 3]
 */
import { corruptBatch, type ImageBatchData } from '../src/corruptions/apply.js';
import { corruptions } from '../src/corruptions/catalogue.js';
import { SEVERITIES } from '../src/corruptions/types.js';
import { sampleImages } from '../test/helpers/sample-images.js';

const args = process.argv.slice(2);
const repeats = args.includes('--repeats') ? Number(args[args.indexOf('--repeats') + 1]) : 3;

/** Median over repeats of the ms one call takes per image, for each severity. */
async function msPerImage(id: string, batch: ImageBatchData): Promise<number[]> {
  const n = batch.shape[0];
  const perSeverity: number[] = [];
  for (const severity of SEVERITIES) {
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      await corruptBatch(corruptions, batch, id, severity, { seed: r });
      times.push((performance.now() - start) / n);
    }
    times.sort((a, b) => a - b);
    perSeverity.push(times[Math.floor(times.length / 2)]!);
  }
  return perSeverity;
}

const scales = [
  { name: '28×28×1 (batch 256)', batch: await sampleImages(256, 28) },
  { name: '32×32×3 (batch 64)', batch: await sampleImages(64, 32) },
  { name: '224×224×3 (1 image)', batch: await sampleImages(1, 224) },
];
/** ImageNet-C's 19 (the 15 benchmark corruptions and 4 hold-outs): what issue 3's budgets are about. */
const isImagenetC = (group: string) => group !== 'mnist-c';
const totals = new Map<string, { sum: number; cells: number; imagenetSum: number; imagenetCells: number }>();
console.log(`ssl-robust ${corruptions.list().length} corruptions, median of ${repeats} runs, ms per image per severity (s1 … s5)`);
for (const { name, batch } of scales) {
  console.log(`\n${name}`);
  const total = { sum: 0, cells: 0, imagenetSum: 0, imagenetCells: 0 };
  for (const c of corruptions.list()) {
    if (c.channels === 'rgb' && batch.shape[3] !== 3) continue;
    const ms = await msPerImage(c.id, batch);
    const sum = ms.reduce((a, b) => a + b, 0);
    total.sum += sum;
    total.cells += ms.length;
    if (isImagenetC(c.group)) {
      total.imagenetSum += sum;
      total.imagenetCells += ms.length;
    }
    console.log(`  ${c.id.padEnd(18)} ${ms.map((m) => m.toFixed(3).padStart(8)).join(' ')}`);
  }
  totals.set(name, total);
}
const small = totals.get(scales[0]!.name)!;
const large = totals.get(scales[2]!.name)!;
console.log(`\n28×28×1: ${(small.imagenetSum / small.imagenetCells).toFixed(3)} ms per corruption per image on average over the ImageNet-C grid (budget 0.5 ms); ${(small.sum / small.cells).toFixed(3)} ms with the MNIST-C shifts`);
console.log(`224×224×3: ImageNet-C grid (${large.imagenetCells} cells) ${large.imagenetSum.toFixed(1)} ms on one image (budget 150 ms); all ${large.cells} cells ${large.sum.toFixed(1)} ms`);
