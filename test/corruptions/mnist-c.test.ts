/**
 * Behaviour of MNIST-C's shifts: each does what its table says, at the place and size it says.
 * (Shapes, ranges, seeding and growth with severity are checked for every corruption in
 * properties.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { corruptBatch, type CorruptedBatch, type ImageBatchData } from '../../src/corruptions/apply.js';
import { corruptions } from '../../src/corruptions/catalogue.js';
import { canny } from '../../src/corruptions/mnist-c/canny.js';
import { zigzagOffset } from '../../src/corruptions/mnist-c/zigzag.js';
import { SEVERITIES, type ProfileName, type SampledParameters } from '../../src/corruptions/types.js';
import { RandomStream } from '../../src/random/stream.js';

const S = 28;
const CENTRE = (S - 1) / 2;

function blank(height = S, width = S, channels = 1, value = 0): ImageBatchData {
  return { images: new Float32Array(height * width * channels).fill(value), shape: [1, height, width, channels] };
}

function randomImage(height: number, width: number, channels: number, seed: number): ImageBatchData {
  const random = RandomStream.fromSeed(seed);
  return { images: Float32Array.from({ length: height * width * channels }, () => random.float()), shape: [1, height, width, channels] };
}

/** The same image repeated n times (so each copy gets its own random stream). */
function repeat(image: ImageBatchData, n: number): ImageBatchData {
  const images = new Float32Array(image.images.length * n);
  for (let i = 0; i < n; i++) images.set(image.images, i * image.images.length);
  const [, h, w, c] = image.shape;
  return { images, shape: [n, h, w, c] };
}

async function run(id: string, batch: ImageBatchData, severity: number, profile: ProfileName = 'mnist28', seed = 11): Promise<CorruptedBatch> {
  return corruptBatch(corruptions, batch, id, severity, { seed, profile });
}

function imageAt(batch: { images: Float32Array; shape: readonly number[] }, n: number): Float32Array {
  const size = batch.shape[1]! * batch.shape[2]! * batch.shape[3]!;
  return batch.images.subarray(n * size, (n + 1) * size);
}

function centroid(data: Float32Array, width: number): { x: number; y: number } {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!;
    sum += v;
    sx += v * (p % width);
    sy += v * Math.floor(p / width);
  }
  return { x: sx / sum, y: sy / sum };
}

const sampledOf = (out: CorruptedBatch, n: number): SampledParameters => out.sampled[n]!;

describe('rotate', () => {
  it('moves a bright pixel to where a rotation by the sampled ± table angle puts it (counter-clockwise on screen for +)', async () => {
    // A pixel 9.5 rows above and 3.5 columns left of the centre.
    const batch = blank();
    const [qy, qx] = [4, 10];
    batch.images[qy * S + qx] = 1;
    const signs = new Set<number>();
    for (const severity of SEVERITIES) {
      const out = await run('rotate', repeat(batch, 6), severity);
      const magnitude = corruptions.get('rotate').table.mnist28[severity - 1] as number;
      for (let n = 0; n < 6; n++) {
        const angle = sampledOf(out, n)['angle']!;
        expect(Math.abs(angle)).toBeCloseTo(magnitude, 12);
        signs.add(Math.sign(angle));
        // Content moves by R(−θ) in (x, y) with y down: counter-clockwise on screen for θ > 0.
        const at = (theta: number) => {
          const [dx, dy] = [qx - CENTRE, qy - CENTRE];
          return { x: CENTRE + Math.cos(theta) * dx + Math.sin(theta) * dy, y: CENTRE - Math.sin(theta) * dx + Math.cos(theta) * dy };
        };
        const c = centroid(imageAt(out, n), S);
        const expected = at(angle);
        expect(Math.hypot(c.x - expected.x, c.y - expected.y)).toBeLessThan(0.5);
        // The opposite sign lands clearly elsewhere, so the recorded sign is the one applied.
        const mirrored = at(-angle);
        expect(Math.hypot(c.x - mirrored.x, c.y - mirrored.y)).toBeGreaterThan(3);
      }
    }
    expect([...signs].sort()).toEqual([-1, 1]);
  });

  it('leaves the centre pixel where it is and fills uncovered corners with zeros', async () => {
    const out = await run('rotate', blank(29, 29, 1, 1), 5);
    const data = imageAt(out, 0);
    expect(data[14 * 29 + 14]).toBeCloseTo(1, 6);
    expect(data[0]).toBe(0);
    expect(data[29 * 29 - 1]).toBe(0);
  });
});

describe('translate', () => {
  it('moves content by exactly the table\'s pixels, with a random sign per axis, and fills with zeros', async () => {
    const image = randomImage(S, S, 1, 3);
    const signs = new Set<string>();
    for (const severity of SEVERITIES) {
      const shift = (corruptions.get('translate').table.mnist28[severity - 1] as { shift: number }).shift;
      const out = await run('translate', repeat(image, 8), severity);
      for (let n = 0; n < 8; n++) {
        const { dx, dy } = sampledOf(out, n) as { dx: number; dy: number };
        expect([Math.abs(dx), Math.abs(dy)]).toEqual([shift, shift]);
        signs.add(`${Math.sign(dx)},${Math.sign(dy)}`);
        const data = imageAt(out, n);
        for (let y = 0; y < S; y++) {
          for (let x = 0; x < S; x++) {
            const [sy, sx] = [y - dy, x - dx];
            const expected = sy >= 0 && sy < S && sx >= 0 && sx < S ? image.images[sy * S + sx]! : 0;
            expect(data[y * S + x]).toBe(expected);
          }
        }
      }
    }
    expect(signs.size).toBe(4);
  });

  it('scales the shift with the image: the same fraction of a 56-px image is twice the pixels', async () => {
    const batch = blank(56, 56);
    batch.images[28 * 56 + 28] = 1;
    const out = await run('translate', batch, 3);
    const { dx, dy } = sampledOf(out, 0) as { dx: number; dy: number };
    expect([Math.abs(dx), Math.abs(dy)]).toEqual([6, 6]);
    expect(imageAt(out, 0)[(28 + dy) * 56 + 28 + dx]).toBe(1);
  });
});

describe('scale', () => {
  it('shrinks a centred square to the table\'s fraction of its side, about the centre', async () => {
    // A 20-px square centred on (13.5, 13.5).
    const batch = blank();
    for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) batch.images[y * S + x] = 1;
    for (const severity of SEVERITIES) {
      const fraction = corruptions.get('scale').table.mnist28[severity - 1] as number;
      const data = imageAt(await run('scale', batch, severity), 0);
      let mass = 0;
      for (const v of data) mass += v;
      // Area goes with the square of the side; bilinear keeps mass to within a fraction of a pixel row.
      expect(Math.sqrt(mass) / 20).toBeCloseTo(fraction, 1);
      expect(Math.abs(Math.sqrt(mass) - 20 * fraction)).toBeLessThan(0.35);
      const c = centroid(data, S);
      expect(c.x).toBeCloseTo(CENTRE, 6);
      expect(c.y).toBeCloseTo(CENTRE, 6);
      // Inside the shrunk square: 1; outside it: 0.
      const half = 10 * fraction;
      expect(data[14 * S + 14]).toBeCloseTo(1, 6);
      expect(data[14 * S + Math.ceil(CENTRE + half + 1)]).toBe(0);
    }
  });
});

describe('shear', () => {
  it('keeps the centre row and slants the others by ∓sin φ per row (scikit-image < 0.21\'s shear matrix)', async () => {
    // One bright pixel on the centre column, 6 rows below the centre (29×29: centre 14).
    const N = 29;
    const batch = blank(N, N);
    batch.images[20 * N + 14] = 1;
    const out = await run('shear', repeat(batch, 6), 3);
    for (let n = 0; n < 6; n++) {
      const phi = sampledOf(out, n)['shear']!;
      expect(Math.abs(phi)).toBeCloseTo(0.4, 12);
      // Output (x, y) reads x − sin φ (y − c), c + cos φ (y − c): the pixel lands at
      // y = c + 6 / cos φ, x = c + sin φ · 6 / cos φ.
      const c = centroid(imageAt(out, n), N);
      expect(c.y).toBeCloseTo(14 + 6 / Math.cos(phi), 0);
      expect(Math.abs(c.x - (14 + Math.tan(phi) * 6))).toBeLessThan(0.5);
    }
  });
});

describe('stripe', () => {
  it('inverts exactly the left and right bands of the table, in every channel, and nothing else', async () => {
    const image = randomImage(S, S, 3, 5);
    const bands = [3, 5, 7, 9, 11];
    for (const severity of SEVERITIES) {
      const data = imageAt(await run('stripe', image, severity), 0);
      const band = bands[severity - 1]!;
      for (let i = 0; i < data.length; i++) {
        const x = Math.floor(i / 3) % S;
        const inverted = x < band || x >= S - band;
        expect(data[i]).toBe(inverted ? Math.fround(1 - image.images[i]!) : image.images[i]);
      }
    }
  });

  it('is MNIST-C\'s stripe (columns 0–6 and 21–27) at severity 3', async () => {
    const data = imageAt(await run('stripe', blank(), 3), 0);
    const inverted = Array.from({ length: S }, (_, x) => data[x] === 1);
    expect(inverted.map((v, x) => (v ? x : -1)).filter((x) => x >= 0)).toEqual([0, 1, 2, 3, 4, 5, 6, 21, 22, 23, 24, 25, 26, 27]);
  });

  it('scales the bands with the profile: 8 columns of 32 at cifar32 severity 3', async () => {
    const data = imageAt(await run('stripe', blank(32, 32), 3, 'cifar32'), 0);
    expect(Array.from({ length: 32 }, (_, x) => data[x]).filter((v) => v === 1).length).toBe(16);
    expect([data[7], data[8], data[23], data[24]]).toEqual([1, 0, 0, 1]);
  });
});

describe('canny_edges', () => {
  // A filled 12-px square, rows and columns 8–19.
  const square = blank();
  for (let y = 8; y < 20; y++) for (let x = 8; x < 20; x++) square.images[y * S + x] = 1;
  const onOutline = (y: number, x: number) => y >= 7 && y <= 20 && x >= 7 && x <= 20 && !(y >= 9 && y <= 18 && x >= 9 && x <= 18);

  it('turns a filled square into its outline at severity 5 (edges only), on every side', async () => {
    const data = imageAt(await run('canny_edges', square, 5), 0);
    const edges: [number, number][] = [];
    for (let p = 0; p < data.length; p++) {
      expect(data[p] === 0 || data[p] === 1).toBe(true);
      if (data[p] === 1) edges.push([Math.floor(p / S), p % S]);
    }
    for (const [y, x] of edges) expect(onOutline(y, x), `edge at row ${y}, column ${x}`).toBe(true);
    // Every row and column along the sides (away from the corners) has its edge pixel.
    for (let i = 10; i <= 17; i++) {
      expect(edges.some(([y, x]) => y === i && x <= 8)).toBe(true);
      expect(edges.some(([y, x]) => y === i && x >= 19)).toBe(true);
      expect(edges.some(([y, x]) => x === i && y <= 8)).toBe(true);
      expect(edges.some(([y, x]) => x === i && y >= 19)).toBe(true);
    }
  });

  it('blends the edge map over the image by the table weight, the same map in every RGB channel', async () => {
    const rgb: ImageBatchData = { images: new Float32Array(S * S * 3), shape: [1, S, S, 3] };
    for (let p = 0; p < S * S; p++) rgb.images.set(square.images[p]! ? [0.9, 0.6, 0.3] : [0.1, 0.1, 0.1], p * 3);
    // Canny runs on scikit-image's luminance of the RGB image.
    const gray = new Float32Array(S * S).map((_, p) => 0.2125 * rgb.images[3 * p]! + 0.7154 * rgb.images[3 * p + 1]! + 0.0721 * rgb.images[3 * p + 2]!);
    const edges = canny(gray, S, S, { sigma: 1, low: 0.1, high: 0.2 });
    expect(edges.filter((e) => e === 1).length).toBeGreaterThan(30);
    const data = imageAt(await run('canny_edges', rgb, 1), 0);
    for (let i = 0; i < data.length; i++) expect(data[i]).toBeCloseTo(0.8 * rgb.images[i]! + 0.2 * edges[Math.floor(i / 3)]!, 6);
    const full = imageAt(await run('canny_edges', rgb, 5), 0);
    for (let i = 0; i < full.length; i++) expect(full[i]).toBe(edges[Math.floor(i / 3)]);
  });

  it('follows the thresholds: a step of 0.02 (gradient below the low threshold) has no edges, a step of 1 has them beside it', () => {
    const step = new Float32Array(S * S).map((_, p) => (p % S >= 14 ? 0.02 : 0));
    expect(canny(step, S, S, { sigma: 1, low: 0.1, high: 0.2 }).some((v) => v === 1)).toBe(false);
    const strong = step.map((v) => v * 50);
    const edges = canny(strong, S, S, { sigma: 1, low: 0.1, high: 0.2 });
    // A vertical step gives vertical edge columns next to it, never on the image border.
    const columns = new Set<number>();
    edges.forEach((v, p) => v && columns.add(p % S));
    expect([...columns].sort((a, b) => a - b)).toEqual([13, 14]);
    for (let x = 0; x < S; x++) expect(edges[x]).toBe(0);
  });
});

describe('inverse', () => {
  it('is 1 − x at severity 5, and applying it twice gives the image back', async () => {
    const image = randomImage(9, 7, 3, 8);
    const once = await run('inverse', image, 5);
    for (let i = 0; i < image.images.length; i++) expect(once.images[i]).toBe(Math.fround(1 - image.images[i]!));
    const twice = await run('inverse', { images: once.images, shape: image.shape }, 5);
    for (let i = 0; i < image.images.length; i++) expect(twice.images[i]).toBeCloseTo(image.images[i]!, 6);
  });

  it('blends towards the negative by the table weight below severity 5', async () => {
    const image = randomImage(5, 5, 1, 9);
    for (const severity of [1, 2, 3, 4] as const) {
      const w = corruptions.get('inverse').table.mnist28[severity - 1] as number;
      const out = await run('inverse', image, severity);
      for (let i = 0; i < image.images.length; i++) expect(out.images[i]).toBeCloseTo((1 - w) * image.images[i]! + w * (1 - image.images[i]!), 6);
    }
  });
});

describe.each(['dotted_line', 'zigzag'] as const)('%s', (id) => {
  const prefix = id === 'dotted_line' ? 'line' : 'zigzag';

  it('only brightens: the result is clip(x + lines), the same lines whatever lies beneath', async () => {
    for (const severity of SEVERITIES) {
      const lines = imageAt(await run(id, blank(), severity), 0);
      const image = randomImage(S, S, 1, severity);
      const out = imageAt(await run(id, image, severity), 0);
      let drawn = 0;
      for (let p = 0; p < out.length; p++) {
        expect(out[p]).toBeGreaterThanOrEqual(image.images[p]!);
        expect(out[p]).toBeCloseTo(Math.min(1, image.images[p]! + lines[p]!), 6);
        if (lines[p]! > 0) drawn++;
      }
      expect(drawn).toBeGreaterThan(10 * severity);
    }
  });

  it('draws as many lines as the table says, at seeded positions recorded in `sampled`', async () => {
    for (const severity of SEVERITIES) {
      const params = corruptions.get(id).table.mnist28[severity - 1] as { lines?: number; zigzags?: number };
      const count = id === 'dotted_line' ? params.lines! : params.zigzags!;
      expect(count).toBe(id === 'dotted_line' ? severity : 1 + (severity - 1) / 2);
      const out = await run(id, blank(), severity);
      const sampled = sampledOf(out, 0);
      const drawn = Math.ceil(count);
      // Two rows per line, plus the first column of a partial zig-zag.
      expect(Object.keys(sampled)).toHaveLength(2 * drawn + (drawn > count ? 1 : 0));
      expect(sampled[`${prefix}${drawn}_row0`]).toBeDefined();
      const again = await run(id, blank(), severity);
      expect(again.sampled[0]).toEqual(sampled);
      expect(Array.from(imageAt(again, 0))).toEqual(Array.from(imageAt(out, 0)));
    }
    // Other seeds, other places.
    const rows = new Set<string>();
    for (let seed = 0; seed < 8; seed++) rows.add(JSON.stringify((await run(id, blank(), 1, 'mnist28', seed)).sampled[0]));
    expect(rows.size).toBeGreaterThan(4);
  });

  it('draws its ink where the recorded positions say', async () => {
    for (let seed = 0; seed < 6; seed++) {
      const out = await run(id, blank(), 1, 'mnist28', seed);
      const data = imageAt(out, 0);
      const r0 = sampledOf(out, 0)[`${prefix}1_row0`]!;
      const r1 = sampledOf(out, 0)[`${prefix}1_row1`]!;
      for (let p = 0; p < data.length; p++) {
        if (data[p] === 0) continue;
        const [y, x] = [Math.floor(p / S), p % S];
        if (id === 'dotted_line') {
          // MNIST-C's dashes: columns 2–3, 6–7, …, 26 carry ink; rows within the profile's reach of the line.
          expect(Math.floor(x / 2) % 2 === 1 && x <= 26, `column ${x}`).toBe(true);
          expect(Math.abs(y - (r0 + ((r1 - r0) * x) / 27))).toBeLessThan(2.3 * (1 - 1 / Math.E));
        } else {
          // Columns 2–25; rows within the amplitude (measured vertically: b / cos θ) of the axis from
          // (2, r0) to (25, r1), plus the profile's reach and one column's run of a segment (MNIST-C
          // draws each segment over whole columns, floor(c0) to ceil(c1)).
          expect(x >= 2 && x <= 25, `column ${x}`).toBe(true);
          const slant = Math.atan((r1 - r0) / 23);
          expect(Math.abs(y - (r0 + ((r1 - r0) * (x - 2)) / 23))).toBeLessThan(2 / Math.cos(slant) + 2.3 * (1 - 1 / Math.E) + Math.tan(Math.PI / 4 + Math.abs(slant)));
        }
      }
    }
  });
});

it('spreads several zig-zags over the height, parallel, and draws a partial one only over its columns', async () => {
  for (let seed = 0; seed < 5; seed++) {
    // Severity 5: three zig-zags, one drift, start rows a third of the height apart.
    const full = sampledOf(await run('zigzag', blank(), 5, 'mnist28', seed), 0);
    const starts = [1, 2, 3].map((k) => full[`zigzag${k}_row0`]!);
    const drifts = [1, 2, 3].map((k) => full[`zigzag${k}_row1`]! - full[`zigzag${k}_row0`]!);
    expect(new Set(drifts).size).toBe(1);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(8);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(8);
    // Severity 2: one whole zig-zag and half of another, over half of columns 2–25.
    const out = await run('zigzag', blank(), 2, 'mnist28', seed);
    const sampled = sampledOf(out, 0);
    const from = sampled['zigzag2_from']!;
    expect(from).toBeGreaterThanOrEqual(2);
    expect(from + 11.5).toBeLessThanOrEqual(25);
    const data = imageAt(out, 0);
    const [r0, r1] = [sampled['zigzag2_row0']!, sampled['zigzag2_row1']!];
    for (let p = 0; p < data.length; p++) {
      const [y, x] = [Math.floor(p / S), p % S];
      const nearSecond = Math.abs(y - (r0 + ((r1 - r0) * (x - 2)) / 23)) < 3;
      const nearFirst = Math.abs(y - (sampled['zigzag1_row0']! + ((r1 - r0) * (x - 2)) / 23)) < 5;
      if (data[p]! > 0 && nearSecond && !nearFirst) expect(x >= Math.floor(from) && x <= from + 11.5, `column ${x}`).toBe(true);
    }
  }
});

it('zig-zags alternate ±amplitude at odd multiples of the run, through 0 at even ones', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7].map((t) => zigzagOffset(t * 2, 2, 2) + 0)).toEqual([0, 2, 0, -2, 0, 2, 0, -2]);
});
