import type { RandomStream } from '../../random/stream.js';

/** log Γ(x) for x > 0 (Lanczos, g = 7): accurate to ~1e-15, enough for Poisson acceptance tests. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Below this mean, inversion (about mean + 1 steps); from it on, PTRS (a constant number of draws). */
const INVERSION_BELOW = 10;
/** Words drawn from the stream at a time: the sampler reads uniforms from this buffer, in order. */
const WORDS_PER_BLOCK = 4096;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;
/** 1/k for the inversion walk (a multiplication is several times cheaper than a division). */
const RECIPROCALS = Float64Array.from({ length: 1024 }, (_, k) => 1 / k);

/**
 * Exact Poisson draws, out[i] ~ min(Poisson(values[i]·scale), cap), independently; a mean of 0
 * or less gives 0 without a draw. (A caller that clips k/λ at 1 passes cap = ⌈λ⌉: every count
 * from there on clips alike, so the walk below can stop early; the result's law is unchanged.)
 * Small means by inversion of the CDF (one uniform each); larger ones by Hörmann's transformed
 * rejection with squeeze (PTRS, 1993: two uniforms a try, about 1.1 tries). Uniforms have 53
 * bits, two 32-bit words each, and the words are drawn from `random` in blocks (no call per
 * value): the draws depend only on the stream and the means, in order.
 */
export function fillPoisson<T extends Float32Array | Float64Array>(values: Float32Array | Float64Array, scale: number, out: T, random: RandomStream, cap = Infinity): T {
  const words = new Uint32Array(Math.min(WORDS_PER_BLOCK, 8 * values.length + 8));
  let at = words.length;
  for (let i = 0; i < values.length; i++) {
    const mean = values[i]! * scale;
    if (!(mean > 0)) {
      out[i] = 0;
      continue;
    }
    if (mean < INVERSION_BELOW) {
      if (at + 2 > words.length) at = refill(random, words);
      const u = ((words[at]! >>> 5) * TWO_POW_26 + (words[at + 1]! >>> 6)) / TWO_POW_53;
      at += 2;
      // Walk the CDF from 0: P(k) = P(k − 1)·mean/k. Once P underflows to 0 the walk stops (a
      // rounding shortfall of the summed CDF below u can only happen there).
      let k = 0;
      let p = Math.exp(-mean);
      let cdf = p;
      while (u > cdf && p > 0 && k < cap) {
        k++;
        p *= mean * RECIPROCALS[k]!;
        cdf += p;
      }
      out[i] = k;
      continue;
    }
    // PTRS, as Hörmann writes it; the constants depend on the mean only.
    const slam = Math.sqrt(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      if (at + 4 > words.length) at = refill(random, words);
      const u = ((words[at]! >>> 5) * TWO_POW_26 + (words[at + 1]! >>> 6)) / TWO_POW_53 - 0.5;
      const v = ((words[at + 2]! >>> 5) * TWO_POW_26 + (words[at + 3]! >>> 6)) / TWO_POW_53;
      at += 4;
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if ((us >= 0.07 && v <= vr) || (k >= 0 && !(us < 0.013 && v > us) && acceptsPtrs(k, mean, a, b, us, v))) {
        out[i] = k < cap ? k : cap;
        break;
      }
    }
  }
  return out;
}

function refill(random: RandomStream, words: Uint32Array): number {
  random.fillUint32(words);
  return 0;
}

/** log k! for small k: PTRS's exact test needs it on about half the tries at the means shot noise has. */
const LOG_FACTORIALS = Float64Array.from({ length: 1024 }, (_, k) => logGamma(k + 1));

/** PTRS's exact acceptance test, outside the squeeze. */
function acceptsPtrs(k: number, mean: number, a: number, b: number, us: number, v: number): boolean {
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const logFactorial = k < LOG_FACTORIALS.length ? LOG_FACTORIALS[k]! : logGamma(k + 1);
  return Math.log((v * invAlpha) / (a / (us * us) + b)) <= -mean + k * Math.log(mean) - logFactorial;
}
