import type { RandomStream } from '../../random/stream.js';


/** The smallest power of two ≥ n (at least 2, the smallest map diamond–square can fill). */
export function nextPowerOfTwo(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * The ImageNet-C plasma fractal (diamond–square, after FLHerne/mapgen): a mapSize² heightmap,
 * row-major, min–max normalised to [0, 1]. As in the reference, map[0, 0] starts at 0, the
 * neighbours wrap around (np.roll), each new point is the mean of its four neighbours plus
 * wibble·U(−wibble, wibble) (so the noise amplitude is wibble², a quirk kept as is), wibble
 * starts at 100 and is divided by `decay` after each level: a smaller decay keeps more
 * fine-scale noise, a rougher fog.
 *
 * Draws mapSize² − 1 uniforms from `random`, level by level (squares, then the two diamond
 * grids), each grid in row-major order, as numpy draws them; each uniform is one 32-bit word's
 * top 24 bits. Writes into `out` when given.
 */
export function plasmaFractal(mapSize: number, decay: number, random: RandomStream, out?: Float32Array): Float32Array {
  if (!(Number.isInteger(mapSize) && mapSize >= 2 && (mapSize & (mapSize - 1)) === 0)) {
    throw new RangeError(`plasma fractal map size must be a power of two ≥ 2, got ${mapSize}`);
  }
  if (!(Number.isFinite(decay) && decay > 0)) throw new RangeError(`plasma fractal decay must be a positive number, got ${decay}`);
  const n = mapSize;
  // Float32 is plenty: the finest wibble that float32 cannot resolve next to the map's range is
  // below 10⁻⁶ of it.
  const map = new Float32Array(n * n);
  const target = out ?? new Float32Array(n * n);
  // Every point but the first takes one word, in the order the loops below visit them: drawn in
  // one block (the same words, one call instead of n² − 1), into the target's memory, which is
  // only written once the map is done.
  const words = random.fillUint32(new Uint32Array(target.buffer, target.byteOffset, n * n - 1));
  let next = 0;
  map[0] = 0;
  let step = n;
  let wibble = 100;
  while (step >= 2) {
    const half = step >> 1;
    const cells = (n / step) | 0;
    const wrap = cells - 1;
    // wibble·U(−wibble, wibble) = wibble²·(2u − 1).
    const amplitude = wibble * wibble;
    const twice = 2 * amplitude;
    const rowStep = step * n;
    // Squares: each cell's centre from its four corners.
    for (let i = 0; i < cells; i++) {
      const top = i * rowStep;
      const bottom = ((i + 1) & wrap) * rowStep;
      const centreRow = top + half * n + half;
      for (let j = 0; j < cells; j++) {
        const left = j * step;
        const right = ((j + 1) & wrap) * step;
        const sum = map[top + left]! + map[bottom + left]! + map[top + right]! + map[bottom + right]!;
        map[centreRow + left] = sum / 4 + twice * ((words[next++]! >>> 8) / 16777216) - amplitude;
      }
    }
    // Diamonds on the corner rows, (i·step, j·step + half): between the centres above and below
    // and the corners left and right.
    for (let i = 0; i < cells; i++) {
      const row = i * rowStep;
      const below = row + half * n + half;
      const above = ((i + wrap) & wrap) * rowStep + half * n + half;
      for (let j = 0; j < cells; j++) {
        const col = j * step;
        const sum = map[below + col]! + map[above + col]! + map[row + col]! + map[row + ((j + 1) & wrap) * step]!;
        map[row + col + half] = sum / 4 + twice * ((words[next++]! >>> 8) / 16777216) - amplitude;
      }
    }
    // Diamonds on the corner columns, (i·step + half, j·step): between the centres left and
    // right and the corners above and below.
    for (let i = 0; i < cells; i++) {
      const row = i * rowStep;
      const centreRow = row + half * n;
      const rowBelow = ((i + 1) & wrap) * rowStep;
      for (let j = 0; j < cells; j++) {
        const col = j * step;
        const sum = map[centreRow + col + half]! + map[centreRow + ((j + wrap) & wrap) * step + half]! + map[row + col]! + map[rowBelow + col]!;
        map[centreRow + col] = sum / 4 + twice * ((words[next++]! >>> 8) / 16777216) - amplitude;
      }
    }
    step = half;
    wibble /= decay;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  if (range > 0) for (let i = 0; i < map.length; i++) target[i] = (map[i]! - min) / range;
  else target.fill(0);
  return target;
}
