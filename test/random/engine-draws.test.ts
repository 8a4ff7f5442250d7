import { describe, expect, it } from 'vitest';
import { drawEngine } from '../../src/engine/simd.js';
import { clippedNormalNoise, fillNormalInBlocks, NORMAL_BLOCK } from '../../src/corruptions/shared/normal-blocks.js';
import { addProportionalClipped, addScaledClipped } from '../../src/corruptions/shared/pixels.js';
import { RandomStream } from '../../src/random/stream.js';

/*
 * Large fills run on the wasm engine (where the engine has wasm SIMD), small ones in JavaScript:
 * either way a seed must give the same values and leave the stream in the same place. The
 * references take paths that never use the engine: one-by-one words, float64 normals (whose
 * float32 roundings are the float32 fill's values).
 */

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** fillNormalInBlocks's values by the float64 path, block by block. */
function referenceBlocks(stream: RandomStream, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += NORMAL_BLOCK) out.set(stream.fillNormal(new Float64Array(Math.min(NORMAL_BLOCK, n - start))), start);
  return out;
}

describe('bulk draws on the engine', () => {
  it('runs on wasm SIMD here (else the tests below compare the JavaScript path with itself)', () => {
    expect(drawEngine()?.kind).toBe('wasm-simd');
  });

  it('hands the generator state out and back without changing the stream', () => {
    const a = RandomStream.fromSeed(21);
    const b = RandomStream.fromSeed(21);
    a.uint32();
    b.uint32();
    const state = new Int32Array(6);
    a.saveState(state, 2);
    const c = RandomStream.fromSeed(99);
    c.restoreState(state, 2);
    expect(Array.from({ length: 20 }, () => c.uint32())).toEqual(Array.from({ length: 20 }, () => b.uint32()));
    // saveState neither draws nor moves the stream it reads.
    expect(a.uint32()).toBe(RandomStream.fromSeed(21).fillUint32(new Uint32Array(2))[1]);
  });

  it('fills words as one-by-one draws give them, below and above the crossover, and continues the stream', () => {
    for (const n of [1023, 1024, 1025, 70001]) {
      const bulk = RandomStream.fromSeed(n);
      const single = RandomStream.fromSeed(n);
      const words = bulk.fillUint32(new Uint32Array(n));
      expect(words.every((w) => w === single.uint32()), `${n} words`).toBe(true);
      expect(bulk.uint32()).toBe(single.uint32());
    }
  });

  it('fills uniforms from the words one-by-one draws give, below and above the crossover', () => {
    for (const n of [1000, 5000]) {
      const bulk = RandomStream.fromSeed(n);
      const single = RandomStream.fromSeed(n);
      const expected = Float32Array.from({ length: n }, () => (single.uint32() >>> 8) / 16777216);
      expect(sameBits(bulk.fillUniform(new Float32Array(n)), expected), `${n} uniforms`).toBe(true);
      expect(bulk.uint32()).toBe(single.uint32());
    }
  });

  it('fills float32 normals with the float64 fill’s values rounded, below and above the crossover', () => {
    for (const n of [767, 768, 769, 20000, 150528]) {
      const a = RandomStream.fromSeed(n);
      const b = RandomStream.fromSeed(n);
      const got = a.fillNormal(new Float32Array(n));
      expect(sameBits(got, Float32Array.from(b.fillNormal(new Float64Array(n)))), `${n} normals`).toBe(true);
      expect(a.uint32()).toBe(b.uint32());
    }
  });

  it('draws the same blocks of normals and the same clipped noise as the JavaScript path', () => {
    const random = RandomStream.fromSeed(22);
    for (const n of [100, 3072, 2 * NORMAL_BLOCK + 5, 150528]) {
      const a = RandomStream.fromSeed(3);
      const b = RandomStream.fromSeed(3);
      expect(sameBits(fillNormalInBlocks(a, new Float32Array(n)), referenceBlocks(b, n)), `${n} blocks`).toBe(true);
      expect(a.uint32()).toBe(b.uint32());

      const base = Float32Array.from({ length: n }, (_, i) => (i % 13 === 0 ? 0 : i % 17 === 0 ? 1 : random.float()));
      for (const [form, reference] of [['additive', addScaledClipped], ['proportional', addProportionalClipped]] as const) {
        const c = RandomStream.fromSeed(4);
        const d = RandomStream.fromSeed(4);
        const got = clippedNormalNoise(base, c, 0.26, form);
        expect(sameBits(got, reference(referenceBlocks(d, n), base, 0.26)), `${n} ${form}`).toBe(true);
        expect(c.uint32()).toBe(d.uint32());
        expect(got.buffer).not.toBe(clippedNormalNoise(base, c, 0.26, form).buffer);
      }
    }
  });

  it('keeps the engine’s memory at one size over repeated draws', () => {
    const random = RandomStream.fromSeed(5);
    const base = new Float32Array(150528).fill(0.5);
    const run = () => {
      clippedNormalNoise(base, random, 0.1, 'additive');
      fillNormalInBlocks(random, new Float32Array(150528));
      random.fillNormal(new Float32Array(150528));
      random.fillUint32(new Uint32Array(150528));
    };
    run();
    const bytes = drawEngine()!.arena.f32.buffer.byteLength;
    for (let i = 0; i < 10; i++) run();
    expect(drawEngine()!.arena.f32.buffer.byteLength).toBe(bytes);
  });
});
