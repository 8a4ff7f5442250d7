/**
 * The in-process JPEG round trip (jpeg-codec.ts) against sharp's real encode + decode with the
 * corruption's options: byte for byte equal on noise, gradients, real images and saturated
 * colours, at sizes that are and are not whole blocks or MCUs, gray and colour, qualities 1–100.
 */
import { test as propTest, fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { jpegRoundTripPixels, jpegRoundTripUnit } from '../../src/corruptions/digital/jpeg-codec.js';
import { decodeJpeg, encodeJpeg, jpegCompression } from '../../src/corruptions/digital/jpeg-compression.js';
import { RandomStream } from '../../src/random/stream.js';
import { sampleImages } from '../helpers/sample-images.js';

type Channels = 1 | 3;

async function viaSharp(pixels: Uint8Array, height: number, width: number, channels: Channels, quality: number): Promise<Uint8Array> {
  return decodeJpeg(await encodeJpeg(pixels, height, width, channels, quality), height, width, channels);
}

/** Asserts equality with sharp, reporting the first differing byte rather than two long arrays. */
async function expectSameAsSharp(pixels: Uint8Array, height: number, width: number, channels: Channels, quality: number): Promise<void> {
  const expected = await viaSharp(pixels, height, width, channels, quality);
  const actual = jpegRoundTripPixels(pixels, height, width, channels, quality);
  expect(actual.length).toBe(expected.length);
  const first = expected.findIndex((v, i) => v !== actual[i]);
  const where = `${height}×${width}×${channels} q${quality}, byte ${first}: sharp ${expected[first]}, codec ${actual[first]}`;
  expect(first, where).toBe(-1);
}

function noise(height: number, width: number, channels: number, seed: number): Uint8Array {
  const random = RandomStream.fromSeed(seed);
  return Uint8Array.from({ length: height * width * channels }, () => Math.floor(random.float() * 256));
}

function pattern(height: number, width: number, channels: number, value: (y: number, x: number, c: number) => number): Uint8Array {
  const out = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = value(y, x, c);
  return out;
}

const gradient = (height: number, width: number, channels: number) =>
  pattern(height, width, channels, (y, x, c) => Math.round((255 * ((c + 1) * x + (3 - c) * y)) / Math.max(1, (c + 1) * (width - 1) + (3 - c) * (height - 1))));

// Includes widths 1–5: libjpeg-turbo upsamples chroma planes up to 2 samples wide by repetition.
const SIZES = [[1, 1], [3, 5], [7, 9], [8, 8], [15, 17], [16, 16], [28, 28], [32, 32], [33, 47], [47, 33], [2, 1], [1, 2], [9, 1], [1, 3], [6, 2], [7, 3], [5, 4], [18, 5]] as const;
const TABLE_QUALITIES = [...new Set([...jpegCompression.table.imagenet224, ...jpegCompression.table.cifar32])];
const QUALITIES = [1, 2, ...TABLE_QUALITIES, 75, 90, 95, 99, 100];

describe('jpegRoundTripPixels equals sharp (libjpeg) encode + decode', () => {
  for (const channels of [1, 3] as const) {
    it(`on noise and gradients at every size, ${channels} channel(s), qualities 1–100`, async () => {
      let seed = channels;
      for (const [height, width] of SIZES) {
        for (const quality of QUALITIES) {
          await expectSameAsSharp(noise(height, width, channels, seed++), height, width, channels, quality);
          await expectSameAsSharp(gradient(height, width, channels), height, width, channels, quality);
        }
      }
    });
  }

  it('on saturated colours and hard edges (clamping in both colour conversions and the inverse DCT)', async () => {
    const patterns: Record<string, (y: number, x: number, c: number) => number> = {
      red: (_y, _x, c) => (c === 0 ? 255 : 0),
      blue: (_y, _x, c) => (c === 2 ? 255 : 0),
      black: () => 0,
      white: () => 255,
      'black|white': (_y, x) => (x < 5 ? 0 : 255),
      checkerboard: (y, x) => ((x + y) & 1) * 255,
      'colour checks': (y, x, c) => (((x >> 1) + (y >> 1) + c) & 1) * 255,
      'red|cyan stripes': (_y, x, c) => ((x & 1) === (c === 0 ? 1 : 0) ? 255 : 0),
    };
    for (const [name, value] of Object.entries(patterns)) {
      for (const [height, width] of [[8, 8], [15, 17], [32, 32]] as const) {
        for (const channels of [1, 3] as const) {
          for (const quality of [1, 7, 25, 50, 100]) {
            const pixels = pattern(height, width, channels, value);
            await expectSameAsSharp(pixels, height, width, channels, quality).catch((error: unknown) => {
              throw new Error(`${name}: ${String(error)}`);
            });
          }
        }
      }
    }
  });

  it('on real images: Fashion-MNIST 28×28 gray and tinted 32×32 and 224×224 colour, at the table qualities', async () => {
    const toBytes = (data: Float32Array) => Uint8Array.from(data, (v) => Math.round(v * 255));
    const gray = await sampleImages(4, 28);
    for (let n = 0; n < 4; n++) {
      for (const quality of jpegCompression.table.mnist28) await expectSameAsSharp(toBytes(gray.images.subarray(n * 784, (n + 1) * 784)), 28, 28, 1, quality);
    }
    const small = await sampleImages(2, 32);
    for (let n = 0; n < 2; n++) {
      for (const quality of jpegCompression.table.cifar32) await expectSameAsSharp(toBytes(small.images.subarray(n * 3072, (n + 1) * 3072)), 32, 32, 3, quality);
    }
    const large = await sampleImages(1, 224);
    for (const quality of [...jpegCompression.table.imagenet224, 100]) await expectSameAsSharp(toBytes(large.images), 224, 224, 3, quality);
    await expectSameAsSharp(noise(224, 224, 3, 99), 224, 224, 3, 15);
  });

  propTest.prop(
    [fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom<Channels>(1, 3), fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean()],
    { numRuns: 60 },
  )('for random sizes, qualities and pixels (noise or blocky noise)', async (height, width, channels, quality, seed, blocky) => {
    const random = noise(height, width, channels, seed);
    // Blocky images make flat blocks and DC-only blocks, which the codec takes shortcuts for.
    const pixels = blocky ? pattern(height, width, channels, (y, x, c) => random[((y & ~3) * width + (x & ~3)) * channels + c]!) : random;
    await expectSameAsSharp(pixels, height, width, channels, quality);
  });

  it('is deterministic, leaves its input alone, and may decode into its input', () => {
    for (const channels of [1, 3] as const) {
      for (const [height, width] of [[17, 23], [16, 32]] as const) {
        const pixels = noise(height, width, channels, 5);
        const copy = pixels.slice();
        const first = jpegRoundTripPixels(pixels, height, width, channels, 30);
        expect(pixels).toEqual(copy);
        expect(jpegRoundTripPixels(pixels, height, width, channels, 30)).toEqual(first);
        const inPlace = jpegRoundTripPixels(pixels, height, width, channels, 30, pixels);
        expect(inPlace).toBe(pixels);
        expect(inPlace).toEqual(first);
      }
    }
  });

  it('refuses qualities outside 1–100 and pixel or output counts that do not match the size', () => {
    const pixels = new Uint8Array(12);
    for (const quality of [0, 101, 2.5, Number.NaN]) expect(() => jpegRoundTripPixels(pixels, 2, 2, 3, quality)).toThrow(/quality/);
    expect(() => jpegRoundTripPixels(pixels, 2, 3, 3, 50)).toThrow(/2×3×3/);
    expect(() => jpegRoundTripPixels(new Uint8Array(0), 0, 0, 1, 50)).toThrow(/0×0×1/);
    expect(() => jpegRoundTripPixels(pixels, 2, 2, 3, 50, new Uint8Array(11))).toThrow(/11 values/);
  });
});

describe('jpegRoundTripUnit (floats in [0, 1] in and out)', () => {
  it('equals quantising to round(255·x), the byte round trip, and b / 255 as float32', () => {
    const random = RandomStream.fromSeed(21);
    for (const channels of [1, 3] as const) {
      for (const [height, width] of [[1, 1], [3, 2], [13, 19], [28, 28], [40, 33]] as const) {
        const data = Float32Array.from({ length: height * width * channels }, (_, i) => {
          // Mostly uniform values; every seventh exactly (k + ½) / 255 rounded to float32, the rounding edge.
          return i % 7 === 0 ? Math.fround((Math.floor(random.float() * 255) + 0.5) / 255) : random.float();
        });
        data[0] = 0;
        data[data.length - 1] = 1;
        const bytes = Uint8Array.from(data, (x) => Math.round(x * 255));
        for (const quality of [5, 50, 95]) {
          const expected = Float32Array.from(jpegRoundTripPixels(bytes, height, width, channels, quality), (b) => b / 255);
          expect(jpegRoundTripUnit(data, height, width, channels, quality)).toEqual(expected);
        }
      }
    }
  });
});

describe('jpeg_compression through the codec', () => {
  it('equals sharp per channel for channel counts other than 1 and 3 (each channel a gray JPEG)', async () => {
    const [height, width, channels] = [13, 19, 4];
    const bytes = noise(height, width, channels, 11);
    const data = Float32Array.from(bytes, (b) => b / 255);
    const out = (await jpegCompression.apply({ data, height, width, channels }, 18, RandomStream.fromSeed(0))).data;
    for (let c = 0; c < channels; c++) {
      const plane = Uint8Array.from({ length: height * width }, (_, p) => bytes[p * channels + c]!);
      const expected = await viaSharp(plane, height, width, 1, 18);
      const actual = Uint8Array.from({ length: height * width }, (_, p) => Math.round(out[p * channels + c]! * 255));
      expect(actual).toEqual(expected);
    }
  });
});
