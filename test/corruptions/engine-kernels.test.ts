import { describe, expect, it } from 'vitest';
import { createBlurEngine } from '../../src/corruptions/blur/kernels.js';
import { fillPoissonByTables, fillPoissonByTablesOn } from '../../src/corruptions/shared/poisson.js';
import { sampleBilinear, sampleBilinearRows, sampleBilinearRowsOn, type RowPositions } from '../../src/corruptions/shared/sampling.js';
import type { Border } from '../../src/corruptions/shared/border.js';
import { RandomStream } from '../../src/random/stream.js';
import { chamferDistanceToEdges } from '../../src/corruptions/weather/spatter.js';

/*
 * The wasm kernels that replace JavaScript loops outside the blur family (bilinear resampling,
 * alias-table Poisson draws) must give the JavaScript loops' bits exactly, and so must their
 * JavaScript twins (the engine used where wasm SIMD is missing).
 */

const engines = [createBlurEngine('wasm-simd'), createBlurEngine('js')];
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('bilinear kernel', () => {
  /** Positions from a table: row y's points are table[y·W … (y+1)·W). */
  const fromTable: RowPositions<{ ys: Float64Array; xs: Float64Array }> = ({ ys, xs }, y, rowYs, rowXs) => {
    rowYs.set(ys.subarray(y * rowYs.length, (y + 1) * rowYs.length));
    rowXs.set(xs.subarray(y * rowXs.length, (y + 1) * rowXs.length));
  };

  it('samples every point as the JavaScript loop does, inside, on and past every border', () => {
    const random = RandomStream.fromSeed(3);
    for (const [height, width, channels] of [[37, 41, 3], [24, 19, 1], [9, 13, 4], [1, 6, 3]] as const) {
      const image = { data: Float32Array.from({ length: height * width * channels }, () => random.float()), height, width, channels };
      const outHeight = 31;
      const outWidth = 29;
      const count = outHeight * outWidth;
      // Mostly inside, some on the last row or column (whose right neighbour is past the border),
      // some far outside; integers and halves as well as arbitrary fractions.
      const position = (size: number) => {
        const kind = random.int(0, 9);
        if (kind === 0) return size - 1;
        if (kind === 1) return (random.float() - 0.5) * 6 * size;
        if (kind === 2) return random.int(0, 2 * size) / 2;
        return random.float() * (size - 1);
      };
      const ys = Float64Array.from({ length: count }, () => position(height));
      const xs = Float64Array.from({ length: count }, () => position(width));
      for (const border of ['reflect', 'mirror', 'nearest', 'constant'] as Border[]) {
        const expected = sampleBilinear(image, ys, xs, border);
        for (const engine of engines) {
          const got = sampleBilinearRowsOn(engine, image, outHeight, outWidth, fromTable, { ys, xs }, border);
          expect(sameBits(got, expected), `${engine.kind} ${height}×${width}×${channels} ${border}`).toBe(true);
        }
      }
    }
  });

  it('gives a new array each call, and the same values through sampleBilinearRows at 224 px', () => {
    const random = RandomStream.fromSeed(4);
    const image = { data: Float32Array.from({ length: 224 * 224 * 3 }, () => random.float()), height: 224, width: 224, channels: 3 };
    const ys = Float64Array.from({ length: 224 * 224 }, (_, p) => Math.floor(p / 224) * 1.01 - 1.3);
    const xs = Float64Array.from({ length: 224 * 224 }, (_, p) => (p % 224) * 0.98 + 2.1);
    const a = sampleBilinearRows(image, 224, 224, fromTable, { ys, xs }, 'mirror');
    const b = sampleBilinearRows(image, 224, 224, fromTable, { ys, xs }, 'mirror');
    expect(a).not.toBe(b);
    expect(a.buffer).not.toBe(b.buffer);
    expect(sameBits(a, sampleBilinear(image, ys, xs, 'mirror'))).toBe(true);
  });
});

describe('Poisson alias-table kernel', () => {
  it('draws the same counts as the JavaScript loop and leaves the stream where it does', () => {
    const random = RandomStream.fromSeed(5);
    // Zeros (no draw), a range of means, and enough values for many 4096-word blocks.
    const values = Float32Array.from({ length: 30000 }, (_, i) => (i % 7 === 0 ? 0 : random.float() * (i % 3 === 0 ? 0.1 : 1)));
    for (const scale of [60, 12, 3, 0.7, 400]) {
      for (const cap of [Math.ceil(scale), Infinity]) {
        const reference = RandomStream.fromSeed(9);
        // A float64 target runs the JavaScript loop.
        const expected = Float32Array.from(fillPoissonByTables(values, scale, new Float64Array(values.length), reference, cap));
        const next = reference.uint32();
        for (const engine of engines) {
          const stream = RandomStream.fromSeed(9);
          const got = fillPoissonByTablesOn(engine, values, scale, new Float32Array(values.length), stream, cap);
          expect(sameBits(got, expected), `${engine.kind} scale ${scale} cap ${cap}`).toBe(true);
          expect(stream.uint32(), `${engine.kind} scale ${scale}: stream position`).toBe(next);
        }
      }
    }
  });
});

describe('chamfer distance kernel', () => {
  /** The two-pass 5×5 chamfer as spatter.ts first wrote it, in JavaScript: the reference. */
  function reference(edges: Uint8Array, height: number, width: number, cap: number): Float32Array {
    const pw = width + 4;
    const d = new Float32Array((height + 4) * pw).fill(1e6);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (edges[y * width + x]) d[(y + 2) * pw + x + 2] = 0;
    const steps: [number, number, number][] = [[0, -1, 1], [-1, 0, 1], [-1, -1, 1.4], [-1, 1, 1.4], [-1, -2, 2.1969], [-1, 2, 2.1969], [-2, -1, 2.1969], [-2, 1, 2.1969]];
    const pass = (sign: number) => {
      for (let k = 0; k < height; k++) {
        const y = sign > 0 ? k : height - 1 - k;
        for (let j = 0; j < width; j++) {
          const x = sign > 0 ? j : width - 1 - j;
          const i = (y + 2) * pw + x + 2;
          let best = d[i]!;
          for (const [dy, dx, step] of steps) {
            const v = d[i + sign * (dy * pw + dx)]! + step;
            if (v < best) best = v;
          }
          d[i] = best;
        }
      }
    };
    pass(1);
    pass(-1);
    return Float32Array.from({ length: height * width }, (_, p) => Math.min(d[(Math.floor(p / width) + 2) * pw + (p % width) + 2]!, cap));
  }

  it('gives the reference distances on both engines, with few, many and no edges', () => {
    const random = RandomStream.fromSeed(6);
    for (const [height, width, density] of [[23, 31, 0.02], [40, 17, 0.3], [9, 9, 0], [1, 12, 0.2], [64, 64, 0.005]] as const) {
      const edges = Uint8Array.from({ length: height * width }, () => (random.float() < density ? 1 : 0));
      const expected = reference(edges, height, width, 20);
      for (const engine of engines) {
        const got = chamferDistanceToEdges(edges, height, width, 20, new Float32Array(height * width), engine);
        expect(sameBits(got, expected), `${engine.kind} ${height}×${width} density ${density}`).toBe(true);
      }
    }
  });
});
