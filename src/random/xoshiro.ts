/**
 * xoshiro128** (Blackman and Vigna), the generator behind every RandomStream: one loop that the
 * stream's bulk fills and the SIMD engine's JavaScript twins share, so the word sequence is
 * written down once.
 */

/**
 * Writes `count` words to out[to …] from the generator whose four state words sit at
 * state[at], state[at + stride], state[at + 2·stride], state[at + 3·stride], and writes the
 * advanced state back there. A function of its own: V8 compiles the loop with the code around
 * it, not halfway through a longer function.
 */
export function runXoshiro(state: Int32Array, at: number, stride: number, out: Int32Array | Uint32Array, to: number, count: number): void {
  let s0 = state[at]!;
  let s1 = state[at + stride]!;
  let s2 = state[at + 2 * stride]!;
  let s3 = state[at + 3 * stride]!;
  for (let i = to, end = to + count; i < end; i++) {
    out[i] = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
  }
  state[at] = s0;
  state[at + stride] = s1;
  state[at + 2 * stride] = s2;
  state[at + 3 * stride] = s3;
}

export function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
