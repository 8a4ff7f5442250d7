/**
 * How a filter or a resampler reads outside the image, named as in scipy.ndimage:
 * reflect (d c b a | a b c d | d c b a), mirror (d c b | a b c d | c b a, OpenCV's
 * BORDER_REFLECT_101), nearest (a a a | a b c d | d d d) and constant (zeros).
 */
export type Border = 'reflect' | 'mirror' | 'nearest' | 'constant';

/** The in-range index that position i (possibly outside [0, n)) reads, or -1 for a constant border. */
export function borderIndex(i: number, n: number, border: Border): number {
  if (i >= 0 && i < n) return i;
  if (border === 'constant') return -1;
  if (border === 'nearest' || n === 1) return i < 0 ? 0 : n - 1;
  if (border === 'reflect') {
    const period = 2 * n;
    const k = ((i % period) + period) % period;
    return k < n ? k : period - 1 - k;
  }
  const period = 2 * n - 2;
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}
