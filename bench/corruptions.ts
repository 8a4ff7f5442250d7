/**
 * Time per corruption and severity at the three scales, against issue 3's budgets: the whole
 * grid on one 224×224×3 image within 150 ms, and ≤ 0.5 ms per corruption per 28×28 image
 * on average (batched). Run: npx tsx bench/corruptions.ts [--repeats 3] [--sides 28,224]
 * (--sides: only the scales of those image sides; --only id,id: only those corruptions).
 */
import { corruptBatch, type ImageBatchData } from '../src/corruptions/apply.js';
import { corruptions } from '../src/corruptions/catalogue.js';
import { SEVERITIES } from '../src/corruptions/types.js';
import { sampleImages } from '../test/helpers/sample-images.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const repeats = Number(option('--repeats') ?? 3);
const sides = option('--sides')?.split(',').map(Number);
const only = option('--only')?.split(',');

/**
 * Median over repeats of the ms one call takes per image, for each severity, and the fastest
 * repeat's (on a shared machine the median carries other processes' time slices; the fastest
 * run is closer to what an idle machine measures).
 */
async function msPerImage(id: string, batch: ImageBatchData): Promise<{ median: number[]; fastest: number[] }> {
  const n = batch.shape[0];
  const perSeverity: number[] = [];
  const fastest: number[] = [];
  for (const severity of SEVERITIES) {
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const start = performance.now();
      await corruptBatch(corruptions, batch, id, severity, { seed: r });
      times.push((performance.now() - start) / n);
    }
    times.sort((a, b) => a - b);
    perSeverity.push(times[Math.floor(times.length / 2)]!);
    fastest.push(times[0]!);
  }
  return { median: perSeverity, fastest };
}

const allScales = [
  { side: 28, name: '28×28×1 (batch 256)', batch: await sampleImages(256, 28) },
  { side: 32, name: '32×32×3 (batch 64)', batch: await sampleImages(64, 32) },
  { side: 224, name: '224×224×3 (1 image)', batch: await sampleImages(1, 224) },
];
const scales = allScales.filter((s) => !sides || sides.includes(s.side));
/** ImageNet-C's 19 (the 15 benchmark corruptions and 4 hold-outs): what issue 3's budgets are about. */
const isImagenetC = (group: string) => group !== 'mnist-c';
const totals = new Map<string, { sum: number; cells: number; imagenetSum: number; imagenetCells: number; imagenetFastest: number }>();
console.log(`ssl-robust ${corruptions.list().length} corruptions, median of ${repeats} runs, ms per image per severity (s1 … s5)`);
for (const { name, batch } of scales) {
  console.log(`\n${name}`);
  const total = { sum: 0, cells: 0, imagenetSum: 0, imagenetCells: 0, imagenetFastest: 0 };
  for (const c of corruptions.list()) {
    if (c.channels === 'rgb' && batch.shape[3] !== 3) continue;
    if (only && !only.includes(c.id)) continue;
    const { median: ms, fastest } = await msPerImage(c.id, batch);
    const sum = ms.reduce((a, b) => a + b, 0);
    total.sum += sum;
    total.cells += ms.length;
    if (isImagenetC(c.group)) {
      total.imagenetSum += sum;
      total.imagenetCells += ms.length;
      total.imagenetFastest += fastest.reduce((a, b) => a + b, 0);
    }
    console.log(`  ${c.id.padEnd(18)} ${ms.map((m) => m.toFixed(3).padStart(8)).join(' ')}`);
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
}
