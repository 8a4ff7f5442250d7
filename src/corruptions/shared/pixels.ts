/** Small pure helpers over HWC float32 pixel arrays. */

export function clip01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/** Mean of each channel over all pixels. */
export function channelMeans(data: Float32Array, channels: number): Float64Array {
  const sums = new Float64Array(channels);
  // One strided pass per channel: a modulo per value costs more than the additions.
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c; i < data.length; i += channels) sum += data[i]!;
    sums[c] = sum;
  }
  const pixels = data.length / channels;
  return sums.map((s) => s / pixels);
}

/** Python's round(): halves go to the even neighbour (scipy.ndimage.zoom sizes its output so). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The float32 bits of 1: the bit patterns of +0 … 1 are exactly the int32s 0 … ONE_BITS. */
const ONE_BITS = 0x3f800000;

/*
 * Clipping noisy values to [0, 1] without a branch per value: where noise is strong, whether a
 * value clips is a coin flip the processor mispredicts, which costs more than the arithmetic.
 * The value is rounded to float32 first (stored) and clipped on its bits b: a negative value
 * has the sign bit (b >> 31 = −1) and goes to +0; among the others, order of bits is order of
 * values, so min(b, ONE_BITS) clips at 1. Rounding is monotone and keeps 0 and 1, so this gives
 * the float32 of the clipped value, as `v < 0 ? 0 : v > 1 ? 1 : v` then rounding gives it, bit
 * for bit; a value of ±0 is kept as it is, as that expression keeps it (the only case where the
 * bits alone cannot tell: a tiny negative value also rounds to −0, and must become +0).
 */
function clippedBits(b: number): number {
  const above = (b & ~(b >> 31)) - ONE_BITS;
  return ONE_BITS + (above & (above >> 31));
}

/** values[i] ← clip(base[i] + scale·values[i]) to [0, 1] (additive noise), in place. */
export function addScaledClipped(values: Float32Array, base: Float32Array, scale: number): Float32Array {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = base[i]! + scale * values[i]!;
    values[i] = v;
    const b = bits[i]!;
    bits[i] = v === 0 ? b : clippedBits(b);
  }
  return values;
}

/** values[i] ← clip(x + x·scale·values[i]) to [0, 1] with x = base[i] (multiplicative noise), in place. */
export function addProportionalClipped(values: Float32Array, base: Float32Array, scale: number): Float32Array {
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = base[i]!;
    const v = x + x * scale * values[i]!;
    values[i] = v;
    const b = bits[i]!;
    bits[i] = v === 0 ? b : clippedBits(b);
  }
  return values;
}
