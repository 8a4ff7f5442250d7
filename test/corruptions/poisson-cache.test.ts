import { expect, it } from 'vitest';
import { RandomStream } from '../../src/random/stream.js';
import { fillPoisson, PoissonTableCache } from '../../src/corruptions/shared/poisson.js';

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

it('fillPoisson draws the same counts with kept tables as with fresh ones, call after call', () => {
  const kept = new PoissonTableCache();
  const random = RandomStream.fromSeed(11);
  // 20 000 values (enough for the tables), with means that reach new grid points call after call
  // (so kept tables grow) and more caps than the cache keeps (so some are dropped and remade).
  for (let call = 0; call < 24; call++) {
    const scale = [3, 60, 12, 5, 25, 400][call % 6]! + Math.floor(call / 6);
    const top = 0.2 + 0.8 * ((call % 5) / 4);
    const values = Float32Array.from({ length: 20000 }, () => top * random.float());
    const seed = 100 + call;
    const fresh = fillPoisson(values, scale, new Float32Array(values.length), RandomStream.fromSeed(seed), Math.ceil(scale));
    const withKept = fillPoisson(values, scale, new Float32Array(values.length), RandomStream.fromSeed(seed), Math.ceil(scale), kept);
    expect(bits(withKept).equals(bits(fresh)), `call ${call}, scale ${scale}`).toBe(true);
  }
});
