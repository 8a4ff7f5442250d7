/**
 * Calibration tests of the blur family against its tables and its references: kernels that sum
 * to 1 and have the tables' radii and σ, outputs that match the reference libraries (values
 * computed with scipy 1.17 from the original generator's code), the motion angle it records,
 * glass blur's offsets, and the wasm and JavaScript kernels agreeing bit for bit.
 *
 * Reference values: a 9×9 or 12×12 gray image with pixel i = (i·0.618…) mod 1 (ramp() below),
 * run through scipy.ndimage.gaussian_filter (mode 'nearest', truncate 4), scipy.ndimage.correlate
 * (mode 'mirror', OpenCV's reflect-101) with the original's disk() kernel, and the original's
 * zoom_blur / clipped_zoom (scipy.ndimage.zoom, order 1); rounded to 7 significant digits.
 */
import { describe, expect, it } from 'vitest';
import { corruptBatch, type ImageBatchData } from '../../src/corruptions/apply.js';
import { aliasKernel, defocusBlur, defocusKernel } from '../../src/corruptions/blur/defocus-blur.js';
import { gaussianBlur } from '../../src/corruptions/blur/gaussian-blur.js';
import { glassBlur } from '../../src/corruptions/blur/glass-blur.js';
import { blurCorruptions } from '../../src/corruptions/blur/index.js';
import { simdEngine, createSimdEngine } from '../../src/engine/simd.js';
import { BlurJob, clippedZoomAxis, diskColumns } from '../../src/corruptions/blur/operations.js';
import { roundHalfEven } from '../../src/corruptions/shared/pixels.js';
import { zoomBlur } from '../../src/corruptions/blur/zoom-blur.js';
import { corruptions } from '../../src/corruptions/catalogue.js';
import { borderIndex } from '../../src/corruptions/shared/border.js';
import { lineKernel } from '../../src/corruptions/shared/line-kernel.js';
import { PROFILE_NAMES, SEVERITIES, type AnyCorruption, type Image } from '../../src/corruptions/types.js';
import { RandomStream } from '../../src/random/stream.js';

/** The reference image: pixel i (row-major, channel-minor) is (i·0.618…) mod 1, as float32. */
function ramp(height: number, width: number, channels = 1): Image {
  const data = new Float32Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 0.6180339887498949) % 1;
  return { data, height, width, channels };
}

function noise(height: number, width: number, channels: number, seed: number): Image {
  const data = RandomStream.fromSeed(seed).fillUniform(new Float32Array(height * width * channels));
  return { data, height, width, channels };
}

function impulse(size: number): Image {
  const data = new Float32Array(size * size);
  data[((size - 1) / 2) * size + (size - 1) / 2] = 1;
  return { data, height: size, width: size, channels: 1 };
}

async function run(c: AnyCorruption, image: Image, params: unknown, seed = 1) {
  return c.apply(image, params, RandomStream.fromSeed(seed));
}

function maxDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Correlation of every channel with a sparse kernel in float64, reading outside by the border rule. */
function naiveCorrelate(image: Image, taps: { dx: number; dy: number; w: number }[], border: 'nearest' | 'mirror'): Float64Array {
  const { data, height, width, channels } = image;
  const out = new Float64Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (const { dx, dy, w } of taps) {
        const sy = borderIndex(y + dy, height, border);
        const sx = borderIndex(x + dx, width, border);
        for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c]! += w * data[(sy * width + sx) * channels + c]!;
      }
    }
  }
  return out;
}

describe('SIMD engine', () => {
  it('runs the wasm SIMD kernels under Node (the JavaScript kernels are the fallback)', () => {
    expect(() => createSimdEngine('wasm-simd')).not.toThrow();
    expect(simdEngine().kind).toBe('wasm-simd');
  });

  it('is one engine for the whole process, that nothing can replace, and the one the catalogue runs on', async () => {
    const engine = simdEngine();
    expect(simdEngine()).toBe(engine);
    expect(Object.isFrozen(engine)).toBe(true);
    const image = noise(9, 8, 3, 5);
    for (const c of blurCorruptions) {
      const params = c.table.cifar32[2];
      const viaCatalogue = await corruptions.get(c.id).apply(image, params, RandomStream.fromSeed(7));
      const explicit = c.applyOn(engine, image, params, RandomStream.fromSeed(7));
      expect(sameBits(viaCatalogue.data, explicit.data), c.id).toBe(true);
    }
  });

  it('gives the same bits with the wasm and the JavaScript kernels, for every blur, profile and severity', async () => {
    const wasm = createSimdEngine('wasm-simd');
    const js = createSimdEngine('js');
    expect([wasm.kind, js.kind]).toEqual(['wasm-simd', 'js']);
    const images = [noise(7, 9, 3, 1), noise(11, 6, 1, 2), noise(5, 6, 5, 3), noise(1, 4, 2, 4)];
    for (const c of blurCorruptions) {
      for (const profile of PROFILE_NAMES) {
        for (const severity of SEVERITIES) {
          for (const image of images) {
            const params = c.table[profile][severity - 1];
            const a = c.applyOn(wasm, image, params, RandomStream.fromSeed(severity));
            const b = c.applyOn(js, image, params, RandomStream.fromSeed(severity));
            expect(sameBits(a.data, b.data), `${c.id} ${profile} s${severity} ${image.height}×${image.width}×${image.channels}`).toBe(true);
          }
        }
      }
    }
  });
});

describe('defocus_blur', () => {
  it('convolves with a kernel that sums to 1 and is the disk of the table radius', () => {
    for (const profile of PROFILE_NAMES) {
      for (const [radius, aliasSigma] of defocusBlur.table[profile]) {
        const { size, reach, weights } = defocusKernel(radius, aliasSigma);
        expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        // The disk: every grid point with x² + y² ≤ r², counted here independently.
        let points = 0;
        for (let y = -10; y <= 10; y++) for (let x = -10; x <= 10; x++) if (x * x + y * y <= radius * radius) points++;
        expect(diskColumns(radius).reduce((a, w) => a + 2 * w + 1, 0)).toBe(points);
        expect(reach).toBe(Math.floor(radius) + (aliasKernel(radius, aliasSigma).length - 1) / 2);
        if (aliasSigma <= 0.1) {
          // σ = 0.1 anti-aliases by 2e-22: the kernel is the disk itself, 1/N on it, 0 off it.
          for (let y = -reach; y <= reach; y++) {
            for (let x = -reach; x <= reach; x++) {
              const w = weights[(y + reach) * size + x + reach]!;
              expect(w).toBeCloseTo(x * x + y * y <= radius * radius ? 1 / points : 0, 12);
            }
          }
        }
      }
    }
    // The disks the tables name: ImageNet-C s1 (r = 3) has 29 pixels, s5 (r = 10) 317;
    // CIFAR-10-C's r < 1 is one pixel, r = 1 a 5-pixel cross, r = 1.5 a 3×3 square.
    const count = (r: number) => diskColumns(r).reduce((a, w) => a + 2 * w + 1, 0);
    expect([3, 4, 6, 8, 10].map(count)).toEqual([29, 49, 113, 197, 317]);
    expect([0.3, 0.4, 0.5, 1, 1.5].map(count)).toEqual([1, 1, 1, 5, 9]);
  });

  it('applies that kernel: an impulse comes out as the kernel', async () => {
    const cases = [defocusBlur.table.imagenet224[0], defocusBlur.table.imagenet224[4], defocusBlur.table.cifar32[3], defocusBlur.table.mnist28[2]];
    for (const [radius, aliasSigma] of cases) {
      const { size, reach, weights } = defocusKernel(radius, aliasSigma);
      const side = size + 6;
      const out = (await run(defocusBlur, impulse(side), [radius, aliasSigma])).data;
      const expected = new Float64Array(side * side);
      for (let y = -reach; y <= reach; y++) {
        for (let x = -reach; x <= reach; x++) expected[(y + (side - 1) / 2) * side + x + (side - 1) / 2] = weights[(y + reach) * size + x + reach]!;
      }
      expect(maxDifference(out, expected), `r = ${radius}`).toBeLessThan(1e-6);
    }
  });

  it("matches OpenCV's filter2D with the original's disk kernel, reflect-101 border (reference values)", async () => {
    // r = 4 makes a 13×13 kernel on a 9×9 image: the border is reflected more than once.
    expect(maxDifference((await run(defocusBlur, ramp(9, 9), [4, 0.5])).data, DEFOCUS_4_05)).toBeLessThan(1e-6);
    expect(maxDifference((await run(defocusBlur, ramp(9, 9), [1.5, 0.1])).data, DEFOCUS_15_01)).toBeLessThan(1e-6);
  });

  it("keeps the kernel normalised where the original's grid folds its edge back (r = 8, 10)", async () => {
    // The original's disk(): binary disk on a 17×17 grid (r ≤ 8) or (2r + 1)², normalised, then
    // cv2.GaussianBlur with a reflect-101 border on that grid.
    const original = (radius: number, aliasSigma: number) => {
      const half = radius <= 8 ? 8 : radius;
      const n = 2 * half + 1;
      const alias = aliasKernel(radius, aliasSigma);
      const a = (alias.length - 1) / 2;
      let grid = new Float64Array(n * n);
      let count = 0;
      for (let i = 0; i < n * n; i++) {
        const dy = Math.floor(i / n) - half;
        const dx = (i % n) - half;
        if (dx * dx + dy * dy <= radius * radius) (grid[i] = 1), count++;
      }
      grid = grid.map((v) => v / count);
      for (const axis of [0, 1]) {
        const next = new Float64Array(n * n);
        for (let y = 0; y < n; y++) {
          for (let x = 0; x < n; x++) {
            for (let k = -a; k <= a; k++) {
              const yy = axis === 0 ? borderIndex(y + k, n, 'mirror') : y;
              const xx = axis === 1 ? borderIndex(x + k, n, 'mirror') : x;
              next[y * n + x]! += alias[k + a]! * grid[yy * n + xx]!;
            }
          }
        }
        grid = next;
      }
      return { grid, half };
    };
    const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
    expect(sum(original(8, 0.5).grid)).toBeCloseTo(1.0129755, 6);
    expect(sum(original(10, 0.5).grid)).toBeCloseTo(1.0107858, 6);
    // Where the anti-aliasing fits in the grid (r ≤ 6) the kernels are the same.
    for (const [radius, aliasSigma] of [...defocusBlur.table.imagenet224.slice(0, 3), ...defocusBlur.table.cifar32]) {
      const { grid, half } = original(radius, aliasSigma);
      const { size, reach, weights } = defocusKernel(radius, aliasSigma);
      for (let y = -half; y <= half; y++) {
        for (let x = -half; x <= half; x++) {
          const ours = Math.abs(x) <= reach && Math.abs(y) <= reach ? weights[(y + reach) * size + x + reach]! : 0;
          expect(Math.abs(grid[(y + half) * (2 * half + 1) + x + half]! - ours)).toBeLessThan(1e-12);
        }
      }
    }
    // Ours does not brighten: a flat image stays at its level (the original's s5 gives 0.5054).
    const flat = { data: new Float32Array(15 * 15 * 3).fill(0.5), height: 15, width: 15, channels: 3 };
    for (const v of (await run(defocusBlur, flat, defocusBlur.table.imagenet224[4])).data) expect(v).toBeCloseTo(0.5, 6);
  });
});

describe('gaussian_blur', () => {
  it('blurs an impulse into a Gaussian of the table σ (measured variance)', async () => {
    for (const profile of PROFILE_NAMES) {
      for (const sigma of gaussianBlur.table[profile]) {
        const side = 61;
        const out = (await run(gaussianBlur, impulse(side), sigma)).data;
        let mass = 0;
        let vx = 0;
        let vy = 0;
        let cxy = 0;
        for (let y = 0; y < side; y++) {
          for (let x = 0; x < side; x++) {
            const v = out[y * side + x]!;
            mass += v;
            vx += v * (x - 30) ** 2;
            vy += v * (y - 30) ** 2;
            cxy += v * (x - 30) * (y - 30);
          }
        }
        expect(mass).toBeCloseTo(1, 5);
        // The variance of the sampled kernel, exp(−k²/2σ²) for |k| ≤ int(4σ + 0.5): σ² to within
        // the 4σ truncation (−0.1%) for σ ≥ 1; narrower for CIFAR's σ = 0.4, which a pixel grid
        // cannot resolve (0.08 instead of 0.16).
        const radius = Math.trunc(4 * sigma + 0.5);
        let num = 0;
        let den = 0;
        for (let k = -radius; k <= radius; k++) {
          num += k * k * Math.exp((-k * k) / (2 * sigma * sigma));
          den += Math.exp((-k * k) / (2 * sigma * sigma));
        }
        expect(vx / mass).toBeCloseTo(num / den, 4);
        expect(vy / mass).toBeCloseTo(num / den, 4);
        expect(cxy / mass).toBeCloseTo(0, 6);
        if (sigma >= 1) expect(Math.abs(vx / mass / (sigma * sigma) - 1)).toBeLessThan(0.002);
      }
    }
  });

  it('matches scipy.ndimage.gaussian_filter (nearest border, truncate 4; reference values)', async () => {
    expect(maxDifference((await run(gaussianBlur, ramp(9, 9), 0.8)).data, GAUSSIAN_08)).toBeLessThan(1e-6);
    // σ = 2: radius 8 on a 9×9 image.
    expect(maxDifference((await run(gaussianBlur, ramp(9, 9), 2)).data, GAUSSIAN_2)).toBeLessThan(1e-6);
  });
});

describe('motion_blur', () => {
  it('keeps a constant image at its value, even when the line is longer than the image', async () => {
    // imagecorruptions' port drops taps that leave the image: a flat 128 at 32×32 comes out 124.4.
    for (const [height, width, channels] of [[32, 32, 3], [5, 5, 1], [1, 1, 3], [2, 9, 2]] as const) {
      const value = 128 / 255;
      const batch: ImageBatchData = { images: new Float32Array(height * width * channels).fill(value), shape: [1, height, width, channels] };
      for (const profile of PROFILE_NAMES) {
        for (const severity of SEVERITIES) {
          const out = await corruptBatch(corruptions, batch, 'motion_blur', severity, { seed: severity, profile });
          for (const v of out.images) expect(Math.abs(v - value)).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('records the angle it drew: uniform within ±45°, one per image, fixed by the seed', async () => {
    const batch: ImageBatchData = { images: new Float32Array(200 * 4 * 4).fill(0.5), shape: [200, 4, 4, 1] };
    const first = await corruptBatch(corruptions, batch, 'motion_blur', 1, { seed: 11 });
    const again = await corruptBatch(corruptions, batch, 'motion_blur', 1, { seed: 11 });
    const angles = first.sampled.map((s) => s!['angle']!);
    expect(again.sampled.map((s) => s!['angle'])).toEqual(angles);
    expect(new Set(angles).size).toBe(200);
    for (const a of angles) expect(a >= -45 && a <= 45).toBe(true);
    // Uniform on ±45°: mean 0 (sd of the mean 1.8°), a quarter in each 22.5° band.
    expect(Math.abs(angles.reduce((s, a) => s + a, 0) / 200)).toBeLessThan(8);
    for (const [lo, hi] of [[-45, -22.5], [-22.5, 0], [0, 22.5], [22.5, 45]]) {
      const share = angles.filter((a) => a >= lo! && a < hi!).length / 200;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.35);
    }
  });

  it("blurs along the recorded angle with ImageMagick's line kernel (nearest border)", async () => {
    const image = noise(20, 17, 3, 5);
    const batch: ImageBatchData = { images: image.data, shape: [1, 20, 17, 3] };
    for (const seed of [1, 2, 3]) {
      const out = await corruptBatch(corruptions, batch, 'motion_blur', 2, { seed, profile: 'imagenet224' });
      const kernel = lineKernel(15, 5, out.sampled[0]!['angle']!);
      const taps = Array.from(kernel.weights, (w, i) => ({ dx: kernel.dx[i]!, dy: kernel.dy[i]!, w }));
      expect(maxDifference(out.images, naiveCorrelate(image, taps, 'nearest'))).toBeLessThan(2e-6);
    }
  });

  it('smears an impulse back along the angle, one-sided, with the Gaussian weights of σ', async () => {
    const side = 81;
    const batch: ImageBatchData = { images: impulse(side).data, shape: [1, side, side, 1] };
    const out = await corruptBatch(corruptions, batch, 'motion_blur', 1, { seed: 4, profile: 'imagenet224' });
    const angle = out.sampled[0]!['angle']!;
    let mass = 0;
    let mx = 0;
    let my = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = out.images[y * side + x]!;
        mass += v;
        mx += v * (x - 40);
        my += v * (y - 40);
      }
    }
    expect(mass).toBeCloseTo(1, 5);
    // out(p) = Σ wᵢ·in(p + dᵢ): the impulse lands at −dᵢ with weight wᵢ, behind the ray at θ.
    const direction = (Math.atan2(-my, -mx) * 180) / Math.PI;
    expect(Math.abs(direction - angle)).toBeLessThan(3);
    // Mean tap distance of exp(−i²/2σ²), i = 0 … 2r, r = 10, σ = 3: 2.4 px.
    let num = 0;
    let den = 0;
    for (let i = 0; i <= 20; i++) (num += i * Math.exp((-i * i) / 18)), (den += Math.exp((-i * i) / 18));
    expect(Math.hypot(mx, my) / mass).toBeGreaterThan((0.9 * num) / den);
    expect(Math.hypot(mx, my) / mass).toBeLessThan((1.1 * num) / den);
  });
});

describe('zoom_blur', () => {
  /** np.arange(1, stop, step): ⌈(stop − 1)/step⌉ values 1 + i·step, in floating point. */
  const arange = (stop: number, step: number) => Array.from({ length: Math.ceil((stop - 1) / step) }, (_, i) => 1 + i * step);

  it("pins the factor lists: literal arrays with np.arange's values and counts", () => {
    expect(zoomBlur.table.imagenet224.map((f) => f.length)).toEqual([12, 16, 11, 13, 11]);
    expect(zoomBlur.table.imagenet224).toEqual([arange(1.11, 0.01), arange(1.16, 0.01), arange(1.21, 0.02), arange(1.26, 0.02), arange(1.31, 0.03)]);
    expect(zoomBlur.table.cifar32.map((f) => f.length)).toEqual([7, 12, 16, 21, 26]);
    expect(zoomBlur.table.cifar32).toEqual([1.06, 1.11, 1.16, 1.21, 1.26].map((stop) => arange(stop, 0.01)));
    expect(zoomBlur.table.mnist28).toEqual(zoomBlur.table.cifar32);
    // The floating-point quirks the literals keep: s1 ends at 1.11 (its stop), s5 at 1.3.
    expect(zoomBlur.table.imagenet224.map((f) => f[f.length - 1])).toEqual([1.11, 1.15, 1.2, 1.24, 1.3]);
    expect(zoomBlur.table.imagenet224[1]![14]).toBe(1.1400000000000001);
  });

  it("matches the original's clipped_zoom with scipy.ndimage.zoom (reference values)", async () => {
    expect(maxDifference((await run(zoomBlur, ramp(12, 12), zoomBlur.table.imagenet224[0])).data, ZOOM_S1)).toBeLessThan(1e-6);
    expect(maxDifference((await run(zoomBlur, ramp(12, 12), zoomBlur.table.imagenet224[4])).data, ZOOM_S5)).toBeLessThan(1e-6);
    // 30×30 at s3, compared through its mean and a fixed pseudo-random projection.
    const out = (await run(zoomBlur, ramp(30, 30), zoomBlur.table.imagenet224[2])).data;
    expect(out.reduce((s, v) => s + v, 0) / out.length).toBeCloseTo(0.49978818, 6);
    expect(out.reduce((s, v, i) => s + v * (((i * 7919) % 101) / 101), 0)).toBeCloseTo(222.5482, 3);
  });

  it('sizes each axis as scipy does: round half to even, corners aligned, trimmed to the centre', async () => {
    expect([0.5, 1.5, 2.5, 3.5, 224.5, 225.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, 4, 224, 226, 2]);
    // 224 at z = 1.3: crop ⌈172.3⌉ = 173 from row 25, zoomed to round(224.9) = 225, trim 0.
    const axis = clippedZoomAxis(224, 1.3);
    expect([axis.i0[0], axis.frac[0], axis.i1[223]]).toEqual([25, 0, 197]);
    expect(clippedZoomAxis(1, 1.3).i0).toEqual(Int32Array.of(0));
    // Each axis by its own length: an image that varies along x only stays so.
    const data = new Float32Array(9 * 14 * 2);
    for (let i = 0; i < data.length; i++) data[i] = ((Math.floor(i / 2) % 14) + (i % 2)) / 16;
    const out = (await run(zoomBlur, { data, height: 9, width: 14, channels: 2 }, zoomBlur.table.imagenet224[4])).data;
    for (let y = 1; y < 9; y++) for (let i = 0; i < 28; i++) expect(out[y * 28 + i]).toBe(out[i]);
  });
});

describe('glass_blur', () => {
  /** One pass over a (2δ + 1)² image: exactly one visited position, (δ + 1, δ + 1). */
  function onePosition(delta: number, channels: number, swapProbability: number, seed: number) {
    const side = 2 * delta + 1;
    const data = Float32Array.from({ length: side * side * channels }, (_, i) => i + 1);
    const job = new BlurJob({ data, height: side, width: side, channels }, simdEngine());
    const out = job.read(job.shuffle('input', delta, 1, swapProbability, channels > 1, RandomStream.fromSeed(seed)));
    const visited = (delta + 1) * side + delta + 1;
    const value = (p: number) => out[p * channels]!;
    // The neighbour whose value the visited pixel took (itself when the offset was (0, 0)).
    const source = Math.round((value(visited) - 1) / channels);
    return { side, out, data, visited, source, dx: (source % side) - (delta + 1), dy: Math.floor(source / side) - (delta + 1), value };
  }

  it('moves a visited pixel by (dx, dy) uniform in [−δ, δ − 1]² (randint excludes +δ)', () => {
    for (const delta of [1, 2, 3, 4]) {
      const outcomes = (2 * delta) ** 2;
      const runs = 40 * outcomes;
      const counts = new Map<string, number>();
      for (let seed = 0; seed < runs; seed++) {
        const { dx, dy } = onePosition(delta, 1, 1, seed);
        expect(dx >= -delta && dx <= delta - 1 && dy >= -delta && dy <= delta - 1, `δ = ${delta}: (${dx}, ${dy})`).toBe(true);
        counts.set(`${dx},${dy}`, (counts.get(`${dx},${dy}`) ?? 0) + 1);
      }
      expect(counts.size).toBe(outcomes);
      for (const n of counts.values()) {
        expect(n).toBeGreaterThan(15);
        expect(n).toBeLessThan(70);
      }
    }
  });

  it('swaps single-channel pixels (MNIST-C) and copies colour ones (the original on H×W×3 arrays)', () => {
    let swaps = 0;
    for (let seed = 0; seed < 50; seed++) {
      const gray = onePosition(2, 1, 1, seed);
      const partner = gray.source;
      if (partner === gray.visited) continue;
      swaps++;
      // Swapped: the partner holds the visited pixel's value; nothing else moved.
      expect(gray.value(partner)).toBe(gray.data[gray.visited]);
      expect(gray.out.filter((v, i) => v !== gray.data[i]).length).toBe(2);
      const colour = onePosition(2, 3, 1, seed);
      expect(colour.source).toBe(partner);
      // Copied: both pixels hold the partner's three values.
      for (let c = 0; c < 3; c++) {
        expect(colour.out[colour.visited * 3 + c]).toBe(colour.data[partner * 3 + c]);
        expect(colour.out[partner * 3 + c]).toBe(colour.data[partner * 3 + c]);
      }
    }
    expect(swaps).toBeGreaterThan(30);
  });

  it("moves a pixel with probability 0.5 in MNIST-C's variant", () => {
    const moved = (p: number) => {
      let n = 0;
      for (let seed = 0; seed < 800; seed++) {
        const { dx, dy } = onePosition(1, 1, p, seed);
        if (dx !== 0 || dy !== 0) n++;
      }
      return n / 800;
    };
    // δ = 1: 3 of the 4 offsets move the pixel; sd of each share below 0.018.
    expect(Math.abs(moved(1) - 0.75)).toBeLessThan(0.07);
    expect(Math.abs(moved(0.5) - 0.375)).toBeLessThan(0.07);
  });

  it("shuffles in the original's order, bottom-right to top-left, from bulk-drawn offsets", () => {
    // The kernel against a transcription of the original loop, with the same offsets.
    const engine = simdEngine();
    const [height, width, channels, delta, iterations] = [8, 7, 2, 2, 2];
    const positions = iterations * (height - 2 * delta) * (width - 2 * delta);
    const random = RandomStream.fromSeed(9);
    const offsets = Uint8Array.from({ length: 2 * positions }, () => random.int(0, 2 * delta - 1));
    const values = Float32Array.from({ length: height * width * channels }, (_, i) => i);
    for (const copy of [0, 1]) {
      engine.arena.reset();
      const image = engine.arena.alloc(values.length);
      const table = engine.arena.alloc(positions);
      engine.arena.f32.set(values, image >> 2);
      engine.arena.u8.set(offsets, table);
      engine.kernels.glassSwaps(image, height, width, channels, delta, iterations, table, 0, 256, copy);
      const actual = engine.arena.f32.slice(image >> 2, (image >> 2) + values.length);
      const pixel = (h: number, w: number) => Array.from(values.subarray((h * width + w) * channels, (h * width + w + 1) * channels));
      const x = Array.from({ length: height }, (_, h) => Array.from({ length: width }, (_, w) => pixel(h, w)));
      let k = 0;
      for (let i = 0; i < iterations; i++) {
        for (let h = height - delta; h > delta; h--) {
          for (let w = width - delta; w > delta; w--, k++) {
            const [dx, dy] = [offsets[2 * k]! - delta, offsets[2 * k + 1]! - delta];
            const [a, b] = [x[h]![w]!, x[h + dy]![w + dx]!];
            x[h]![w] = b.slice();
            x[h + dy]![w + dx] = copy ? b.slice() : a.slice();
          }
        }
      }
      expect(Array.from(actual)).toEqual(x.flat(2));
    }
  });

  it('blurs, truncates to 8 bits and blurs again as the original (reference values)', async () => {
    // 8×8 at δ = 4 leaves no position to shuffle: gaussian(np.uint8(gaussian(x, 1.5)·255)/255, 1.5).
    expect(maxDifference((await run(glassBlur, ramp(8, 8), glassBlur.table.imagenet224[4])).data, GLASS_S5_NO_SHUFFLE)).toBeLessThan(1e-6);
  });

  it('is reproducible from its seed, and truncates to 8 bits between its blurs as the original', async () => {
    const batch: ImageBatchData = { images: noise(12, 10, 3, 8).data, shape: [1, 12, 10, 3] };
    const a = await corruptBatch(corruptions, batch, 'glass_blur', 4, { seed: 5, profile: 'imagenet224' });
    const b = await corruptBatch(corruptions, batch, 'glass_blur', 4, { seed: 5, profile: 'imagenet224' });
    const c = await corruptBatch(corruptions, batch, 'glass_blur', 4, { seed: 6, profile: 'imagenet224' });
    expect(sameBits(a.images, b.images)).toBe(true);
    expect(sameBits(a.images, c.images)).toBe(false);
    // A flat 0.5 becomes np.uint8(127.5) / 255 = 127/255 everywhere.
    const flat = { data: new Float32Array(9 * 9).fill(0.5), height: 9, width: 9, channels: 1 };
    for (const v of (await run(glassBlur, flat, glassBlur.table.mnist28[4])).data) expect(v).toBeCloseTo(127 / 255, 6);
  });
});

// Reference values (see the header).

/** gaussian_filter(ramp(9, 9), 0.8). */
const GAUSSIAN_08 = [
  0.2257388, 0.3932453, 0.486159, 0.5634415, 0.432137, 0.3626602, 0.4865861, 0.5792895, 0.7360898, 0.3515867, 0.4337872, 0.5390118,
  0.5371442, 0.4059495, 0.4149138, 0.5110898, 0.5694321, 0.5437224, 0.3952499, 0.4954653, 0.5934398, 0.6030896, 0.4776993, 0.4693601,
  0.5210024, 0.4527388, 0.3559592, 0.4801409, 0.5465135, 0.5996219, 0.5360171, 0.4708428, 0.5224268, 0.5140545, 0.3870673, 0.3760262,
  0.5147317, 0.5569884, 0.490327, 0.4267407, 0.4826369, 0.5726928, 0.5817055, 0.452975, 0.4113997, 0.5936253, 0.55205, 0.4233195,
  0.4323322, 0.5223881, 0.5782843, 0.514698, 0.4480366, 0.4902933, 0.6290909, 0.6179212, 0.4909621, 0.4825615, 0.5342646, 0.4690903,
  0.4053661, 0.4584933, 0.5247371, 0.6537359, 0.5504334, 0.4835996, 0.5338023, 0.5315061, 0.4061158, 0.4097128, 0.5086371, 0.6023198,
  0.5136766, 0.4148149, 0.4891908, 0.5692227, 0.6459574, 0.5147627, 0.4450143, 0.5608908, 0.5698289,
];

/** gaussian_filter(ramp(9, 9), 2). */
const GAUSSIAN_2 = [
  0.3110479, 0.3781792, 0.433564, 0.4653223, 0.4786653, 0.4917792, 0.5202424, 0.5655506, 0.6170008, 0.3658625, 0.4167071, 0.4574612,
  0.4790611, 0.4858242, 0.4910128, 0.5048757, 0.5279595, 0.5540848, 0.4207531, 0.4548756, 0.4807085, 0.4925305, 0.49364, 0.4920053,
  0.4928527, 0.4965894, 0.5016804, 0.4688691, 0.4867993, 0.4985097, 0.5019287, 0.4994277, 0.4941964, 0.4875815, 0.480383, 0.4744107,
  0.5076466, 0.5108226, 0.5101832, 0.5068604, 0.5023602, 0.4964822, 0.4885366, 0.4798681, 0.4733922, 0.5357656, 0.5273842, 0.5179561,
  0.5102399, 0.504535, 0.4990368, 0.4931931, 0.4889848, 0.4883684, 0.5499116, 0.5353319, 0.5230534, 0.5150886, 0.5095635, 0.5042851,
  0.5005213, 0.501194, 0.5065153, 0.5468355, 0.5325597, 0.5246783, 0.5222156, 0.519797, 0.514855, 0.5109961, 0.5125748, 0.5188437,
  0.528818, 0.5202684, 0.5225229, 0.5304191, 0.5341857, 0.5301435, 0.5237392, 0.5211546, 0.5222062,
];

/** correlate(ramp(9, 9), disk(4, 0.5)). */
const DEFOCUS_4_05 = [
  0.5289973, 0.5056142, 0.4774127, 0.4805198, 0.5152756, 0.4924052, 0.5007276, 0.472989, 0.4609757, 0.5145606, 0.4953833, 0.4783423,
  0.4891889, 0.4995689, 0.5180322, 0.4936863, 0.4706165, 0.4911815, 0.5035124, 0.5036982, 0.482339, 0.4912435, 0.4922859, 0.4941128,
  0.4923197, 0.5027318, 0.4933551, 0.5125633, 0.5081994, 0.50893, 0.5051947, 0.4894816, 0.4754792, 0.4848467, 0.4924197, 0.4994479,
  0.5199514, 0.5175296, 0.5308999, 0.5162355, 0.4968698, 0.4792146, 0.4757108, 0.4832838, 0.5012411, 0.5151628, 0.5234386, 0.5275904,
  0.5221445, 0.5042579, 0.4848921, 0.4702277, 0.4838295, 0.4828868, 0.5174904, 0.5320265, 0.5250177, 0.5193403, 0.5004376, 0.4857406,
  0.4805262, 0.4810253, 0.4766614, 0.5359499, 0.5261102, 0.522172, 0.5130734, 0.4891579, 0.4959976, 0.4952205, 0.4704402, 0.4689153,
  0.5236644, 0.5444608, 0.5226386, 0.4931609, 0.4948688, 0.4904354, 0.5085584, 0.4791092, 0.4502504,
];

/** correlate(ramp(9, 9), disk(1.5, 0.1)). */
const DEFOCUS_15_01 = [
  0.3424488, 0.437349, 0.4998275, 0.4511948, 0.4025621, 0.3539294, 0.527519, 0.5899974, 0.6848976, 0.418773, 0.4025621, 0.5761517,
  0.527519, 0.4788863, 0.4302536, 0.4927321, 0.5552105, 0.5389996, 0.4255234, 0.5204236, 0.582902, 0.5342693, 0.4856366, 0.437004,
  0.4994824, 0.4508497, 0.4346388, 0.5433848, 0.5271739, 0.5896523, 0.5410197, 0.492387, 0.5548654, 0.5062327, 0.4576001, 0.3302781,
  0.5501352, 0.5339243, 0.4852916, 0.4366589, 0.4991373, 0.5616158, 0.5129831, 0.4643504, 0.3370284, 0.6679966, 0.5406746, 0.4920419,
  0.4434092, 0.5058877, 0.5683661, 0.5197334, 0.4711007, 0.4548899, 0.6747469, 0.5474249, 0.4987923, 0.4501596, 0.512638, 0.4640053,
  0.4153727, 0.4778511, 0.4616402, 0.5703862, 0.5541753, 0.5055426, 0.568021, 0.5193884, 0.4707557, 0.422123, 0.4846014, 0.5795016,
  0.5355992, 0.5193884, 0.4707557, 0.5332341, 0.4846014, 0.4359688, 0.3873361, 0.5609256, 0.5447147,
];

/** zoom_blur(ramp(12, 12)), ImageNet-C s1. */
const ZOOM_S1 = [
  0, 0.5895814, 0.2712373, 0.7687441, 0.5424747, 0.1780934, 0.5374882, 0.4493307, 0.716651, 0.7205681, 0.3561867, 0.4853951,
  0.3972376, 0.07495115, 0.5842851, 0.3383037, 0.7713327, 0.5753309, 0.2333325, 0.551904, 0.4966851, 0.7389515, 0.7534243, 0.3917139,
  0.7944751, 0.4300938, 0.1420175, 0.5868737, 0.3974853, 0.781806, 0.6081872, 0.2806869, 0.5742045, 0.5361546, 0.2427364, 0.366603,
  0.3298246, 0.7931213, 0.4629501, 0.2011991, 0.597347, 0.448782, 0.8001641, 0.6410434, 0.3201565, 0.6043898, 0.5478994, 0.1915309,
  0.5889503, 0.3929486, 0.7996522, 0.4958063, 0.2524958, 0.6157051, 0.492194, 0.826407, 0.6738997, 0.3517413, 0.6424599, 0.5807557,
  0.2163743, 0.5954812, 0.4481877, 0.8140679, 0.5286625, 0.2959078, 0.641948, 0.5277212, 0.3013237, 0.4698281, 0.3754412, 0.6884148,
  0.3834254, 0.2716135, 0.609897, 0.4955421, 0.8363684, 0.5615188, 0.331435, 0.6760757, 0.4683748, 0.1673279, 0.5157829, 0.3912564,
  0.780663, 0.4162817, 0.3189679, 0.6321975, 0.5350117, 0.2810174, 0.4837319, 0.3590774, 0.7180882, 0.5012311, 0.1831431, 0.5696226,
  0.546199, 0.7990211, 0.4491379, 0.3584375, 0.6623827, 0.3559939, 0.170676, 0.5257444, 0.378835, 0.7679855, 0.5340873, 0.1910735,
  0.5751381, 0.5896109, 0.825264, 0.4819942, 0.3900222, 0.7004528, 0.3888502, 0.1904336, 0.5756417, 0.3907078, 0.8257676, 0.5669435,
  0.4327487, 0.6013811, 0.6251381, 0.3396047, 0.4883971, 0.4137222, 0.7464077, 0.4217064, 0.2023064, 0.6334237, 0.3946958, 0.8914344,
  0.3696133, 0.4682759, 0.6355088, 0.2764693, 0.2450328, 0.5343519, 0.4295374, 0.8002474, 0.4545627, 0.2062944, 0.6990906, 0.390799,
];

/** zoom_blur(ramp(12, 12)), ImageNet-C s5. */
const ZOOM_S5 = [
  0.01148062, 0.5546014, 0.3401464, 0.640843, 0.6688122, 0.3331451, 0.3686901, 0.4635786, 0.6544266, 0.6344161, 0.5714763, 0.5830314,
  0.3774148, 0.1405578, 0.5084605, 0.4244195, 0.6395061, 0.6678293, 0.3738002, 0.4460187, 0.465494, 0.6735023, 0.6459542, 0.4248705,
  0.743349, 0.4076819, 0.2248308, 0.5071236, 0.4638884, 0.6829734, 0.6780378, 0.410763, 0.4859277, 0.504829, 0.4064591, 0.4110698,
  0.4729195, 0.7196101, 0.437949, 0.2642998, 0.5505909, 0.4793866, 0.7282007, 0.6938134, 0.4440336, 0.519667, 0.5309065, 0.3891673,
  0.4752174, 0.5347905, 0.7406753, 0.4682161, 0.2589646, 0.5971956, 0.4986344, 0.7493998, 0.7259075, 0.4446864, 0.53682, 0.5661284,
  0.4055455, 0.5171159, 0.5518574, 0.7752946, 0.4984831, 0.2921587, 0.634541, 0.5358459, 0.3973972, 0.4456929, 0.4060829, 0.5478033,
  0.3055706, 0.4129705, 0.5662841, 0.5671643, 0.8228654, 0.5301276, 0.3108517, 0.6531001, 0.5217489, 0.2206893, 0.3864569, 0.459192,
  0.5730199, 0.391441, 0.4148859, 0.6061931, 0.5734415, 0.3930774, 0.4759135, 0.3705992, 0.6762889, 0.5415993, 0.2548973, 0.4143518,
  0.6106713, 0.5965912, 0.4361996, 0.4542209, 0.5880212, 0.3230612, 0.2158147, 0.4991023, 0.3855426, 0.702615, 0.5822831, 0.2651345,
  0.6609489, 0.6208798, 0.6446881, 0.4606797, 0.4893089, 0.6023046, 0.311719, 0.2515914, 0.5254284, 0.4390152, 0.7320786, 0.6125502,
  0.4688023, 0.682148, 0.6283909, 0.382772, 0.4737004, 0.5201499, 0.6360439, 0.3419861, 0.2842307, 0.554892, 0.4476837, 0.8063463,
  0.5089789, 0.5060138, 0.5807002, 0.3798185, 0.3304519, 0.4846838, 0.5732591, 0.6743555, 0.3514198, 0.2928992, 0.6291597, 0.4115482,
];

/** gaussian(np.uint8(gaussian(ramp(8, 8), 1.5)·255)/255, 1.5), clipped: glass blur without a shuffle. */
const GLASS_S5_NO_SHUFFLE = [
  0.4596351, 0.464058, 0.4687589, 0.4691959, 0.4604725, 0.4411705, 0.4155064, 0.3916512, 0.5024409, 0.4940173, 0.4863331, 0.4792039,
  0.4678112, 0.4473058, 0.4191381, 0.3917458, 0.5449722, 0.5240536, 0.5042818, 0.489853, 0.4762381, 0.4553032, 0.4256049, 0.3955374,
  0.5732758, 0.544938, 0.5176688, 0.4985931, 0.4842018, 0.465045, 0.4376123, 0.4090844, 0.5837463, 0.5543779, 0.5252953, 0.5047742,
  0.4915676, 0.4778137, 0.4590007, 0.4390502, 0.581297, 0.5552147, 0.5282074, 0.5086481, 0.498701, 0.4943453, 0.4906494, 0.4862099,
  0.5728749, 0.5513025, 0.527698, 0.5103234, 0.5050498, 0.5122594, 0.5266422, 0.5406574, 0.5641762, 0.5461614, 0.5254374, 0.5102955,
  0.5095559, 0.5270266, 0.5569424, 0.5866285,
];
