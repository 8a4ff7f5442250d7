import { describe, expect, it } from 'vitest';
import { createSimdEngine, type SimdEngine } from '../../src/engine/simd.js';
import { NORMAL_BLOCK, fillNormalBlocksOnEngine } from '../../src/corruptions/shared/normal-blocks.js';
import { addProportionalClipped, addScaledClipped } from '../../src/corruptions/shared/pixels.js';
import { fillPoissonByTables, fillPoissonByTablesOn } from '../../src/corruptions/shared/poisson.js';
import { sampleBilinear, sampleBilinearRows, sampleBilinearRowsOn, sampleBilinearTwiceClipped, type RowPositions } from '../../src/corruptions/shared/sampling.js';
import type { Border } from '../../src/corruptions/shared/border.js';
import { drawWordsOnEngine, RandomStream, WORDS_SCRATCH } from '../../src/random/stream.js';
import { engineZiggurat } from '../../src/random/ziggurat.js';
import { chamferDistanceToEdges } from '../../src/corruptions/weather/spatter.js';

/*
 * The wasm kernels that replace JavaScript loops outside the blur family (bilinear resampling,
 * alias-table Poisson draws, the random words, the ziggurat and clipped noise) must give the JavaScript loops' bits exactly, and so must their
 * JavaScript twins (the engine used where wasm SIMD is missing).
 */

const engines = [createSimdEngine('wasm-simd'), createSimdEngine('js')];
const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Positions from a table: row y's points are table[y·W … (y+1)·W). */
const fromTable: RowPositions<{ ys: Float64Array; xs: Float64Array }> = ({ ys, xs }, y, rowYs, rowXs) => {
  rowYs.set(ys.subarray(y * rowYs.length, (y + 1) * rowYs.length));
  rowXs.set(xs.subarray(y * rowXs.length, (y + 1) * rowXs.length));
};

describe('bilinear kernel', () => {
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

describe('two resamplings in a row, clipped (elastic transform)', () => {
  it('equals sampling twice then clipping, on fresh engines whose memory must grow, and in JavaScript', () => {
    const random = RandomStream.fromSeed(6);
    for (const [side, channels] of [[224, 3], [160, 1], [20, 3]] as const) {
      const count = side * side;
      // Values past [0, 1] after the first step come from the image itself (up to 1.5), so the clip has work.
      const image = { data: Float32Array.from({ length: count * channels }, () => 1.5 * random.float()), height: side, width: side, channels };
      const jitter = (size: number) => Float64Array.from({ length: count }, (_, p) => (size === 0 ? Math.floor(p / side) : p % side) + (random.float() - 0.5) * 0.4 * side);
      const first = { ys: jitter(0), xs: jitter(1) };
      const second = { ys: jitter(0), xs: jitter(1) };
      const step = (context: { ys: Float64Array; xs: Float64Array }, border: Border) => ({ outHeight: side, outWidth: side, positions: fromTable, context, border });
      const between = { data: sampleBilinear(image, first.ys, first.xs, 'mirror'), height: side, width: side, channels };
      const expected = sampleBilinear(between, second.ys, second.xs, 'reflect').map((v) => (v > 0 ? Math.min(v, 1) : 0));
      for (const kind of ['wasm-simd', 'js'] as const) {
        const got = sampleBilinearTwiceClipped(image, step(first, 'mirror'), step(second, 'reflect'), createSimdEngine(kind));
        expect(sameBits(got, expected), `${kind} ${side}×${side}×${channels}`).toBe(true);
      }
    }
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

describe('random draw and noise kernels', () => {
  const wordsOf = (engine: SimdEngine, at: number, n: number) => Array.from(new Uint32Array(engine.arena.i32.buffer, at, n));

  it('draw the stream’s xoshiro128** words and hand back the state where uint32() leaves it', () => {
    for (const engine of engines) {
      for (const n of [0, 1, 5, 1000]) {
        const reference = RandomStream.fromSeed(11);
        const expected = Array.from({ length: n }, () => reference.uint32());
        const stream = RandomStream.fromSeed(11);
        engine.arena.reset();
        const state = engine.arena.alloc(4);
        const words = engine.arena.alloc(n);
        stream.saveState(engine.arena.i32, state >>> 2);
        engine.kernels.xoshiroFill(words, n, state);
        stream.restoreState(engine.arena.i32, state >>> 2);
        expect(wordsOf(engine, words, n), `${engine.kind} ${n}`).toEqual(expected);
        expect(stream.uint32(), `${engine.kind} ${n}: stream position`).toBe(reference.uint32());
      }
    }
  });

  it('draw the stream’s words in four jumped-ahead SIMD lanes, over rounds of every length', () => {
    // 300 000 words: a round of four 2¹⁶-word lanes, then shorter rounds, then a remainder on one generator.
    for (const engine of engines) {
      for (const n of [0, 255, 256, 1000, 70001, 300000]) {
        const reference = RandomStream.fromSeed(n + 1);
        const expected = Uint32Array.from({ length: n }, () => reference.uint32());
        const stream = RandomStream.fromSeed(n + 1);
        engine.arena.reset();
        const scratch = engine.arena.alloc(WORDS_SCRATCH);
        const words = engine.arena.alloc(n);
        drawWordsOnEngine(stream, engine, words, n, scratch);
        expect(Buffer.from(new Uint32Array(engine.arena.i32.buffer, words, n)).equals(Buffer.from(expected)), `${engine.kind} ${n}`).toBe(true);
        expect(stream.uint32(), `${engine.kind} ${n}: stream position`).toBe(reference.uint32());
      }
    }
  });

  it('take the ziggurat’s fast path for the same words on both engines, and list the same rejections', () => {
    const random = RandomStream.fromSeed(12);
    // Random words, and words built on every layer's edge: |j| just below, at and above its bound
    // (the tail layer 0 and the always-rejecting layer 1 among them), and the extreme abscissas.
    const crafted: number[] = [];
    for (let layer = 0; layer < 128; layer++) {
      for (const j of [0, 1, -1, 2 ** 24 - 1, -(2 ** 24), 3_000_000 + layer * 100_000, -(3_000_000 + layer * 100_000), 16_000_000, -16_000_000]) {
        crafted.push((((j << 7) | layer) ^ 0x80000000) >>> 0);
      }
    }
    const words = Uint32Array.from([...crafted, ...Array.from({ length: 5000 }, () => random.uint32())]);
    const results = engines.map((engine) => {
      engine.arena.reset();
      const ziggurat = engineZiggurat(engine, words.length);
      const at = engine.arena.alloc(words.length);
      new Uint32Array(engine.arena.i32.buffer, at, words.length).set(words);
      const rejected = engine.kernels.zigguratFast(at, at, words.length, ziggurat.knCeil, ziggurat.wn, ziggurat.slow);
      const slow = Array.from(engine.arena.i32.subarray(ziggurat.slow >>> 2, (ziggurat.slow >>> 2) + rejected));
      return { slow, values: engine.arena.f32.slice(at >>> 2, (at >>> 2) + words.length) };
    });
    const [wasm, js] = results as [(typeof results)[0], (typeof results)[0]];
    expect(wasm.slow).toEqual(js.slow);
    expect(wasm.slow.length).toBeGreaterThan(crafted.length / 4);
    expect(wasm.slow.length).toBeLessThan(crafted.length);
    expect(sameBits(wasm.values, js.values)).toBe(true);
    // Each kept value is the float32 of j·wn[layer]: its sign is j's, and |value| < R.
    const rejected = new Set(wasm.slow);
    for (let i = 0; i < words.length; i++) {
      if (rejected.has(i)) continue;
      const j = (words[i]! ^ 0x80000000) >> 7;
      expect(Math.sign(wasm.values[i]!) === Math.sign(j) && Math.abs(wasm.values[i]!) < 3.443, `value ${i}`).toBe(true);
    }
  });

  it('add clipped noise as pixels.ts does, bit for bit, at ±0, tiny negatives, 1 and beyond', () => {
    const random = RandomStream.fromSeed(13);
    const n = 4001; // not a multiple of 4
    const base = Float32Array.from({ length: n }, (_, i) => [0, -0, 1, 2 ** -140, 0.5][i % 9] ?? random.float() * 1.4 - 0.2);
    const noise = Float32Array.from({ length: n }, (_, i) => [0, -0, 2 ** -149, -(2 ** -149), Infinity, -Infinity][i % 11] ?? random.normal() * 3);
    for (const scale of [0.08, 0.38, 0, -0.5, 1e-30]) {
      for (const [kernel, reference] of [['addScaledClipped', addScaledClipped], ['addProportionalClipped', addProportionalClipped]] as const) {
        const expected = reference(noise.slice(), base, scale);
        for (const engine of engines) {
          engine.arena.reset();
          const values = engine.arena.alloc(n);
          const baseAt = engine.arena.alloc(n);
          engine.arena.f32.set(noise, values >>> 2);
          engine.arena.f32.set(base, baseAt >>> 2);
          engine.kernels[kernel](values, baseAt, n, scale);
          expect(sameBits(engine.arena.f32.slice(values >>> 2, (values >>> 2) + n), expected), `${engine.kind} ${kernel} scale ${scale}`).toBe(true);
        }
      }
    }
  });

  it('draw blocks of normals in the engine’s memory with the bits and stream position of the JavaScript path', () => {
    for (const engine of engines) {
      for (const n of [1, 300, NORMAL_BLOCK, NORMAL_BLOCK + 3, 40000]) {
        const reference = RandomStream.fromSeed(14);
        const expected = new Float32Array(n);
        // A float64 target always takes the JavaScript path; its values rounded are the float32 ones.
        for (let start = 0; start < n; start += NORMAL_BLOCK) expected.set(reference.fillNormal(new Float64Array(Math.min(NORMAL_BLOCK, n - start))), start);
        const stream = RandomStream.fromSeed(14);
        engine.arena.reset();
        const ziggurat = engineZiggurat(engine, NORMAL_BLOCK);
        const at = engine.arena.alloc(n);
        fillNormalBlocksOnEngine(ziggurat, stream, at, n);
        expect(sameBits(engine.arena.f32.slice(at >>> 2, (at >>> 2) + n), expected), `${engine.kind} ${n}`).toBe(true);
        expect(stream.uint32(), `${engine.kind} ${n}: stream position`).toBe(reference.uint32());
      }
    }
  });
});
