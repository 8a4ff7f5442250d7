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
