/**
 * Calibration of the digital corruptions (elastic_transform, pixelate, jpeg_compression) and of
 * the saturate hold-out against their tables and references. The catalogue-wide properties
 * (shape, range, seeds, batches, monotone distance) are in properties.test.ts.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { corruptBatch, type ImageBatchData } from '../../src/corruptions/apply.js';
import { corruptions } from '../../src/corruptions/catalogue.js';
import { drawElastic, elasticTransform, type ElasticParams } from '../../src/corruptions/digital/elastic-transform.js';
import { filterReflect, reflectGains } from '../../src/corruptions/digital/gaussian-field.js';
import { hsvToRgb, rgbToHsv } from '../../src/corruptions/digital/hsv.js';
import { decodeJpeg, encodeJpeg, jpegCompression } from '../../src/corruptions/digital/jpeg-compression.js';
import { pixelate, pixelatedSize } from '../../src/corruptions/digital/pixelate.js';
import { saturate } from '../../src/corruptions/digital/saturate.js';
import { borderIndex } from '../../src/corruptions/shared/border.js';
import { resizeBilinear } from '../../src/corruptions/shared/sampling.js';
import { scipyGaussianKernel } from '../../src/corruptions/shared/scipy-gaussian-kernel.js';
import { PROFILE_NAMES, SEVERITIES, type Image, type ProfileName } from '../../src/corruptions/types.js';
import { openDataset } from '../../src/data/open.js';
import { RandomStream } from '../../src/random/stream.js';

/** Random pixels in [0, 1] from a seeded stream. */
function randomImage(height: number, width: number, channels: number, seed: number): Image {
  const random = RandomStream.fromSeed(seed);
  return { data: Float32Array.from({ length: height * width * channels }, () => random.float()), height, width, channels };
}

async function applied(corruption: { apply: (image: Image, params: never, random: RandomStream) => unknown }, image: Image, params: unknown, seed = 0): Promise<Float32Array> {
  const out = (await corruption.apply(image, params as never, RandomStream.fromSeed(seed))) as { data: Float32Array };
  return out.data;
}

/** Real images per profile's scale: Fashion-MNIST at 28 (gray), colourised and upscaled to 32 and 224. */
const real: Partial<Record<ProfileName, Image[]>> = {};

beforeAll(async () => {
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  const gray = await dataset.read([0, 300, 600, 900]);
  const images = [0, 1, 2, 3].map((n): Image => ({ data: gray.slice(n * 784, (n + 1) * 784), height: 28, width: 28, channels: 1 }));
  const colour = (image: Image, size: number): Image => {
    const resized = resizeBilinear(image, size, size);
    const data = new Float32Array(size * size * 3);
    for (let p = 0; p < size * size; p++) {
      const v = resized[p]!;
      data.set([v, 0.15 + 0.7 * v * v, 0.6 - 0.4 * v], p * 3);
    }
    return { data, height: size, width: size, channels: 3 };
  };
  real.mnist28 = images;
  real.cifar32 = images.map((image) => colour(image, 32));
  real.imagenet224 = images.slice(0, 2).map((image) => colour(image, 224));
});

const PROFILE_SIDE: Record<ProfileName, number> = { imagenet224: 224, cifar32: 32, mnist28: 28 };

describe('jpeg_compression', () => {
  const toBytes = (data: Float32Array) => Uint8Array.from(data, (v) => Math.round(v * 255));

  it('equals an independent sharp encode and decode at the table quality, for every profile and severity', async () => {
    for (const profile of PROFILE_NAMES) {
      for (const image of real[profile]!.slice(0, 2)) {
        const channels = image.channels as 1 | 3;
        for (const quality of jpegCompression.table[profile]) {
          const out = await applied(jpegCompression, image, quality);
          // Written out here rather than through jpegOptions; Huffman optimisation (sharp's default) is lossless.
          let encoder = sharp(Buffer.from(toBytes(image.data)), { raw: { width: image.width, height: image.height, channels } });
          if (channels === 1) encoder = encoder.toColourspace('b-w');
          const file = await encoder.jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
          let decoder = sharp(file);
          if (channels === 1) decoder = decoder.toColourspace('b-w');
          const expected = await decoder.raw().toBuffer();
          expect(expected.length).toBe(out.length);
          expect(Buffer.from(toBytes(out)).equals(expected), `${profile} quality ${quality}`).toBe(true);
          // Decoded bytes / 255 exactly: the output sits on the 8-bit grid.
          for (let i = 0; i < out.length; i += 37) expect(out[i]! * 255).toBeCloseTo(Math.round(out[i]! * 255), 3);
        }
      }
    }
  });

  it('gives the bytes Pillow gives (Image.save(JPEG, quality) then open), gray and RGB', async () => {
    // Checksums of Pillow 9.4 (libjpeg-turbo) round trips of these two patterns.
    const gray = Uint8Array.from({ length: 10 * 12 }, (_, i) => {
      const [y, x] = [Math.floor(i / 12), i % 12];
      return (y * 29 + x * 13 + ((x * y) % 7) * 9) % 256;
    });
    const rgb = Uint8Array.from({ length: 13 * 19 * 3 }, (_, i) => {
      const [y, x, c] = [Math.floor(i / 57), Math.floor(i / 3) % 19, i % 3];
      return (y * 17 + x * 11 + c * 60 + ((x * y * c) % 5) * 20) % 256;
    });
    const pillow = [
      { pixels: gray, height: 10, width: 12, channels: 1, quality: 25, sum: 15182, weighted: 903766, head: [0, 18, 2, 34, 53, 55, 101, 75] },
      { pixels: rgb, height: 13, width: 19, channels: 3, quality: 25, sum: 93713, weighted: 34364437, head: [16, 58, 179, 0, 41, 152, 44, 96] },
      { pixels: gray, height: 10, width: 12, channels: 1, quality: 7, sum: 15637, weighted: 935222, head: [20, 27, 40, 57, 74, 90, 102, 109] },
      { pixels: rgb, height: 13, width: 19, channels: 3, quality: 7, sum: 90974, weighted: 33860796, head: [0, 49, 134, 0, 65, 141, 0, 94] },
    ] as const;
    for (const c of pillow) {
      const image: Image = { data: Float32Array.from(c.pixels, (v) => v / 255), height: c.height, width: c.width, channels: c.channels };
      const out = toBytes(await applied(jpegCompression, image, c.quality));
      expect([...out.slice(0, 8)]).toEqual([...c.head]);
      expect(out.reduce((s, v) => s + v, 0)).toBe(c.sum);
      expect(out.reduce((s, v, i) => s + v * i, 0)).toBe(c.weighted);
    }
  });

  it('loses more, in a smaller file, as the quality falls through each profile table', async () => {
    for (const profile of PROFILE_NAMES) {
      const errors: number[] = [];
      const sizes: number[] = [];
      for (const quality of jpegCompression.table[profile]) {
        let error = 0;
        let size = 0;
        for (const image of real[profile]!) {
          const out = await applied(jpegCompression, image, quality);
          for (let i = 0; i < out.length; i++) error += (out[i]! - image.data[i]!) ** 2;
          size += (await encodeJpeg(toBytes(image.data), image.height, image.width, image.channels as 1 | 3, quality)).length;
        }
        errors.push(error);
        sizes.push(size);
      }
      for (let s = 1; s < 5; s++) {
        expect(errors[s], `${profile} squared error, severity ${s + 1} vs ${s}`).toBeGreaterThan(errors[s - 1]!);
        expect(sizes[s], `${profile} bytes, severity ${s + 1} vs ${s}`).toBeLessThan(sizes[s - 1]!);
      }
    }
  });

  it('encodes gray images as one-component JPEGs and keeps them one channel', async () => {
    const image = real.mnist28![0]!;
    const file = await encodeJpeg(toBytes(image.data), 28, 28, 1, 25);
    const meta = await sharp(file).metadata();
    expect(meta.channels).toBe(1);
    // The frame header (SOF0) names its component count after precision and size.
    const sof = file.indexOf(Buffer.from([0xff, 0xc0]));
    expect(file[sof + 9]).toBe(1);
    expect((await decodeJpeg(file, 28, 28, 1)).length).toBe(784);
    const colour = await encodeJpeg(toBytes(real.cifar32![0]!.data), 32, 32, 3, 25);
    expect(colour[colour.indexOf(Buffer.from([0xff, 0xc0])) + 9]).toBe(3);
  });

  it('keeps constant images exactly constant (only the DC term survives, the same in every block)', async () => {
    const random = RandomStream.fromSeed(5);
    for (const [height, width, channels] of [[9, 9, 1], [9, 9, 3], [17, 5, 3], [1, 1, 1]] as const) {
      for (const quality of [80, 25, 7]) {
        const colour = Array.from({ length: channels }, () => Math.fround(random.float()));
        const data = new Float32Array(height * width * channels);
        for (let i = 0; i < data.length; i++) data[i] = colour[i % channels]!;
        const out = await applied(jpegCompression, { data, height, width, channels }, quality);
        for (let i = 0; i < out.length; i++) expect(out[i]).toBe(out[i % channels]);
      }
    }
  });

  it('handles channel counts other than 1 and 3 one channel at a time', async () => {
    const image = randomImage(6, 10, 2, 3);
    const out = await applied(jpegCompression, image, 50);
    for (let c = 0; c < 2; c++) {
      const plane: Image = { data: image.data.filter((_, i) => i % 2 === c), height: 6, width: 10, channels: 1 };
      const alone = await applied(jpegCompression, plane, 50);
      expect([...out.filter((_, i) => i % 2 === c)]).toEqual([...alone]);
    }
  });
});

describe('pixelate', () => {
  it('reduces each side to ⌊side·factor⌋ as Python int() does, never below 1 px', () => {
    expect([0.6, 0.5, 0.4, 0.3, 0.25].map((f) => pixelatedSize(224, f))).toEqual([134, 112, 89, 67, 56]);
    expect([0.95, 0.9, 0.85, 0.75, 0.65].map((f) => pixelatedSize(32, f))).toEqual([30, 28, 27, 24, 20]);
    expect(pixelate.table.mnist28.map((f) => pixelatedSize(28, f))).toEqual([24, 21, 18, 15, 12]);
    expect(pixelatedSize(3, 0.25)).toBe(1);
    expect(pixelatedSize(1, 0.6)).toBe(1);
  });

  /** Lengths of the runs of identical columns along row `row` (all channels compared). */
  function columnRuns(out: Float32Array, row: number, width: number, channels: number): number[] {
    const runs = [1];
    for (let x = 1; x < width; x++) {
      let same = true;
      for (let c = 0; c < channels; c++) same &&= out[(row * width + x) * channels + c] === out[(row * width + x - 1) * channels + c];
      if (same) runs[runs.length - 1]!++;
      else runs.push(1);
    }
    return runs;
  }

  it('produces constant blocks ⌊W/w⌋ or ⌈W/w⌉ px wide and high, one per reduced pixel, at every severity and profile', async () => {
    for (const profile of PROFILE_NAMES) {
      const side = PROFILE_SIDE[profile];
      const image = randomImage(side, side + 3, 3, 11);
      for (const factor of pixelate.table[profile]) {
        const out = await applied(pixelate, image, factor);
        const [h, w] = [pixelatedSize(side, factor), pixelatedSize(side + 3, factor)];
        for (const row of [0, Math.floor(side / 2)]) {
          const runs = columnRuns(out, row, side + 3, 3);
          expect(runs.length, `${profile} ${factor}`).toBe(w);
          for (const run of runs) expect([Math.floor((side + 3) / w), Math.ceil((side + 3) / w)]).toContain(run);
        }
        // Rows: transpose by reading column 0 as a 1-px-wide image.
        const column = new Float32Array(side * 3);
        for (let y = 0; y < side; y++) column.set(out.subarray(y * (side + 3) * 3, y * (side + 3) * 3 + 3), y * 3);
        const rowRuns = columnRuns(column, 0, side, 3);
        expect(rowRuns.length).toBe(h);
        for (const run of rowRuns) expect([Math.floor(side / h), Math.ceil(side / h)]).toContain(run);
      }
    }
  });

  it('averages exactly the 4×4 block beneath each block when the factor divides the size (224 → 56)', async () => {
    const image = randomImage(224, 224, 1, 12);
    const out = await applied(pixelate, image, 0.25);
    for (const [by, bx] of [[0, 0], [13, 40], [55, 55]] as const) {
      let mean = 0;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) mean += image.data[(4 * by + y) * 224 + 4 * bx + x]! / 16;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(out[(4 * by + y) * 224 + 4 * bx + x]).toBeCloseTo(mean, 6);
    }
  });

  it('matches Pillow\'s BOX resize both ways (mode F), the original generator\'s upsampling', async () => {
    // Pillow 9.4: Image.fromarray(a, 'F').resize((4, 3), BOX).resize((7, 5), BOX) for a[y][x] = ((3y + 5x) mod 11) / 10.
    const data = Float32Array.from({ length: 35 }, (_, i) => (((3 * Math.floor(i / 7) + 5 * (i % 7)) % 11) / 10));
    const out = await applied(pixelate, { data, height: 5, width: 7, channels: 1 }, 0.6);
    // Pillow's float32 values exactly, as Python prints them.
    const [a, b, c, d, e, f, g, h, i, j] = [0.4000000059604645, 0.574999988079071, 0.5, 0.42500001192092896, 0.30000001192092896, 0.75, 0.6000000238418579, 0.4750000238418579, 0.375, 0.8500000238418579];
    const rows = [
      [a, a, b, c, c, d, d],
      [a, a, b, c, c, d, d],
      [e, e, f, a, a, g, g],
      [h, h, i, j, j, c, c],
      [h, h, i, j, j, c, c],
    ];
    expect([...out]).toEqual(rows.flat());
  });
});

describe('elastic_transform', () => {
  /** E[field²] averaged over pixels for smoothed U(−1, 1) noise: (1/3)·mean‖M_y row‖²·mean‖M_x row‖², M the folded reflect filter. */
  function expectedFieldPower(height: number, width: number, sigma: number): number {
    const kernel = scipyGaussianKernel(sigma, 3);
    const r = (kernel.length - 1) / 2;
    const rowPower = (n: number) => {
      let total = 0;
      for (let y = 0; y < n; y++) {
        const row = new Float64Array(n);
        for (let k = -r; k <= r; k++) row[borderIndex(y + k, n, 'reflect')]! += kernel[k + r]!;
        total += row.reduce((s, v) => s + v * v, 0);
      }
      return total / n;
    };
    return (rowPower(height) * rowPower(width)) / 3;
  }

  it('filters exactly as the cosine-basis synthesis assumes: each reflect DCT-II cosine is an eigenvector', () => {
    for (const [n, sigma] of [[224, 19.52], [5, 170.8], [28, 0.84]] as const) {
      const kernel = scipyGaussianKernel(sigma, 3);
      const gains = reflectGains(kernel, n);
      for (const [q, p] of [[0, 0], [1, 3], [Math.min(4, n - 1), 2]] as const) {
        const field = new Float64Array(n * n);
        for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) field[y * n + x] = Math.cos((Math.PI * q * (y + 0.5)) / n) * Math.cos((Math.PI * p * (x + 0.5)) / n);
        const filtered = filterReflect(field, n, n, kernel);
        for (let i = 0; i < field.length; i += 7) expect(filtered[i]).toBeCloseTo(gains[q]! * gains[p]! * field[i]!, 5);
      }
    }
  });

  it('draws displacement fields with the variance smoothing U(−1, 1) gives, on both synthesis paths', () => {
    const cases: [profile: ProfileName, severity: number, seeds: number][] = [
      ['imagenet224', 1, 400], // σ = 170.8: a handful of cosines
      ['imagenet224', 2, 20], // σ = 19.52: cosine synthesis
      ['imagenet224', 3, 4], // σ = 2.44: direct filtering of per-pixel draws
      ['cifar32', 2, 100],
      ['cifar32', 5, 100],
      ['mnist28', 1, 200],
      ['mnist28', 5, 100],
    ];
    for (const [profile, severity, seeds] of cases) {
      const side = PROFILE_SIDE[profile];
      const params = elasticTransform.table[profile][severity - 1]!;
      const [alpha, sigma] = params;
      let power = 0;
      let peak = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const { dx, dy } = drawElastic(side, side, params, RandomStream.fromSeed(seed));
        for (let i = 0; i < dx.length; i++) {
          power += dx[i]! ** 2 + dy[i]! ** 2;
          peak = Math.max(peak, Math.abs(dx[i]!), Math.abs(dy[i]!));
        }
      }
      const measured = power / (2 * seeds * side * side * alpha * alpha);
      const expected = expectedFieldPower(side, side, sigma);
      expect(measured / expected, `${profile} s${severity}: ${measured} vs ${expected}`).toBeGreaterThan(0.85);
      expect(measured / expected, `${profile} s${severity}: ${measured} vs ${expected}`).toBeLessThan(1.15);
      expect(peak).toBeLessThanOrEqual(alpha * (1 + 1e-6));
    }
  });

  it('jitters the affine triangle within ±affine and warps by the map that sends the corners there', () => {
    for (const profile of PROFILE_NAMES) {
      const side = PROFILE_SIDE[profile];
      for (const [severity, params] of elasticTransform.table[profile].entries()) {
        const draw = drawElastic(side, side, params, RandomStream.fromSeed(severity));
        const [a, b, c, d, e, f] = draw.inverseAffine;
        draw.corners.forEach(([x, y], i) => {
          const [mx, my] = draw.moved[i]!;
          expect(Math.abs(mx - x)).toBeLessThanOrEqual(params[2]);
          expect(Math.abs(my - y)).toBeLessThanOrEqual(params[2]);
          // The inverse map sends each moved corner (row my, column mx) back to its corner.
          expect(a * my + b * mx + c).toBeCloseTo(y, 6);
          expect(d * my + e * mx + f).toBeCloseTo(x, 6);
        });
      }
    }
  });

  it('samples the image at the inverse-mapped position: a linear ramp stays an exact linear map inside', async () => {
    // α = 0: the affine step alone. A ramp in x and y is reproduced exactly by bilinear sampling.
    const side = 32;
    const ramp = (y: number, x: number) => 0.2 + 0.01 * x + 0.005 * y;
    const data = Float32Array.from({ length: side * side }, (_, i) => ramp(Math.floor(i / side), i % side));
    const params: ElasticParams = [0, 0, 2];
    const out = await applied(elasticTransform, { data, height: side, width: side, channels: 1 }, params, 9);
    const [a, b, c, d, e, f] = drawElastic(side, side, params, RandomStream.fromSeed(9)).inverseAffine;
    let checked = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const [sy, sx] = [a * y + b * x + c, d * y + e * x + f];
        if (sy < 0 || sy > side - 1 || sx < 0 || sx > side - 1) continue;
        expect(out[y * side + x]).toBeCloseTo(ramp(sy, sx), 5);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(side * side * 0.6);
  });

  it('is the identity without displacement or jitter, and reproducible from its stream', async () => {
    const image = randomImage(20, 13, 3, 4);
    expect([...(await applied(elasticTransform, image, [0, 0, 0]))].every((v, i) => Math.abs(v - image.data[i]!) < 1e-6)).toBe(true);
    const batch: ImageBatchData = { images: real.cifar32![0]!.data, shape: [1, 32, 32, 3] };
    for (const severity of SEVERITIES) {
      const first = await corruptBatch(corruptions, batch, 'elastic_transform', severity, { seed: 3 });
      const again = await corruptBatch(corruptions, batch, 'elastic_transform', severity, { seed: 3 });
      const other = await corruptBatch(corruptions, batch, 'elastic_transform', severity, { seed: 4 });
      expect([...again.images]).toEqual([...first.images]);
      expect([...other.images]).not.toEqual([...first.images]);
    }
  });

  it('stays finite and in range on tiny and odd-sized images with every profile\'s constants', async () => {
    for (const [height, width] of [[1, 1], [2, 2], [1, 7], [5, 5], [3, 40]] as const) {
      for (const profile of PROFILE_NAMES) {
        for (const params of elasticTransform.table[profile]) {
          const out = await applied(elasticTransform, randomImage(height, width, 3, height * 100 + width), params, 2);
          for (const v of out) expect(v >= 0 && v <= 1).toBe(true);
        }
      }
    }
  });
});

describe('saturate', () => {
  /** A colour image with known saturations: pixel p has hue p·0.618 mod 1, S in [0.02, 0.98], V in [0.3, 1]. */
  function colourImage(): { image: Image; saturation: Float64Array } {
    const count = 144;
    const random = RandomStream.fromSeed(21);
    const data = new Float32Array(count * 3);
    const saturation = new Float64Array(count);
    const rgb = new Float64Array(3);
    for (let p = 0; p < count; p++) {
      hsvToRgb((p * 0.618) % 1, 0.02 + 0.96 * random.float(), 0.3 + 0.7 * random.float(), rgb);
      data.set(rgb, p * 3);
      const [r, g, b] = [data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!];
      saturation[p] = (Math.max(r, g, b) - Math.min(r, g, b)) / Math.max(r, g, b);
    }
    return { image: { data, height: 12, width: 12, channels: 3 }, saturation };
  }

  it('scales the measured HSV saturation by the table\'s factor (plus shift, clipped), keeping value, for every profile', async () => {
    const { image, saturation } = colourImage();
    for (const profile of PROFILE_NAMES) {
      for (const [scale, shift] of saturate.table[profile]) {
        const out = await applied(saturate, image, [scale, shift]);
        for (let p = 0; p < saturation.length; p++) {
          const [r, g, b] = [out[p * 3]!, out[p * 3 + 1]!, out[p * 3 + 2]!];
          const value = Math.max(r, g, b);
          expect((value - Math.min(r, g, b)) / value, `${profile} (${scale}, ${shift}) pixel ${p}`).toBeCloseTo(Math.min(1, saturation[p]! * scale + shift), 5);
          expect(value).toBeCloseTo(Math.max(image.data[p * 3]!, image.data[p * 3 + 1]!, image.data[p * 3 + 2]!), 6);
        }
      }
    }
  });

  it('matches scikit-image\'s rgb2hsv → S·a + b → hsv2rgb, ties and gray pixels included', async () => {
    const pixels = [[0.2, 0.4, 0.6], [0.5, 0.5, 0.2], [0.5, 0.5, 0.5], [0.9, 0.1, 0.3], [0.3, 0.8, 0.8], [0, 0, 0], [1, 0.2, 1]];
    const image: Image = { data: Float32Array.from(pixels.flat()), height: 1, width: pixels.length, channels: 3 };
    // skimage 0.19.3; (5, 0.1) and (20, 0.2) tint the gray pixel red, as the reference does.
    const expected: Record<string, number[][]> = {
      '0.3,0': [[0.48, 0.54, 0.6], [0.5, 0.5, 0.41], [0.5, 0.5, 0.5], [0.9, 0.66, 0.72], [0.65, 0.8, 0.8], [0, 0, 0], [1, 0.76, 1]],
      '2,0': [[0, 0.3, 0.6], [0.5, 0.5, 0], [0.5, 0.5, 0.5], [0.9, 0, 0.225], [0, 0.8, 0.8], [0, 0, 0], [1, 0, 1]],
      '5,0.1': [[0, 0.3, 0.6], [0.5, 0.5, 0], [0.5, 0.45, 0.45], [0.9, 0, 0.225], [0, 0.8, 0.8], [0, 0, 0], [1, 0, 1]],
      '20,0.2': [[0, 0.3, 0.6], [0.5, 0.5, 0], [0.5, 0.4, 0.4], [0.9, 0, 0.225], [0, 0.8, 0.8], [0, 0, 0], [1, 0, 1]],
    };
    for (const [key, rows] of Object.entries(expected)) {
      const out = await applied(saturate, image, key.split(',').map(Number));
      rows.flat().forEach((v, i) => expect(out[i], `${key} value ${i}`).toBeCloseTo(v, 6));
    }
  });

  it('round-trips RGB → HSV → RGB', () => {
    const random = RandomStream.fromSeed(8);
    const hsv = new Float64Array(3);
    const rgb = new Float64Array(3);
    for (let i = 0; i < 500; i++) {
      const pixel = [random.float(), random.float(), random.float()] as const;
      rgbToHsv(...pixel, hsv);
      hsvToRgb(hsv[0]!, hsv[1]!, hsv[2]!, rgb);
      pixel.forEach((v, c) => expect(rgb[c]).toBeCloseTo(v, 12));
    }
  });

  it('refuses gray images rather than tinting them', async () => {
    const gray: ImageBatchData = { images: real.mnist28![0]!.data, shape: [1, 28, 28, 1] };
    await expect(corruptBatch(corruptions, gray, 'saturate', 4, { seed: 0 })).rejects.toThrow(/saturate acts on colour and does not apply to 1-channel images/);
    expect(() => saturate.apply({ data: new Float32Array(4), height: 2, width: 2, channels: 1 }, [5, 0.1], RandomStream.fromSeed(0))).toThrow(/acts on colour/);
    expect(saturate.channels).toBe('rgb');
    expect(saturate.group).toBe('holdout');
  });
});

it('lists the digital family in order, with saturate among the hold-outs', () => {
  const ids = corruptions.ids();
  const order = ['contrast', 'elastic_transform', 'pixelate', 'jpeg_compression', 'saturate'].map((id) => ids.indexOf(id));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  for (const id of ['elastic_transform', 'pixelate', 'jpeg_compression']) expect(corruptions.get(id).group).toBe('digital');
});
