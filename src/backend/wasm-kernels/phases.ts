/**
 * Stride phases for input-gradient kernels. A strided convolution's input gradient splits,
 * along each spatial axis, into `stride` phases: the input positions with the same remainder
 * modulo the stride meet the same subset of filter taps, so each phase is a stride-1
 * correlation of dy itself with a small sub-filter. No zeros are spread into dy.
 */

/**
 * One phase along one axis. Input positions first, first + s, … (count of them) receive
 * dy[u − k] · W[taps[t]] summed over t, where k grows by `dilation` per tap: a stride-1
 * correlation of dy with the reversed taps. `padBefore`/`padAfter` are the zero padding
 * of dy that makes that correlation's output start at the phase's first position, offset
 * by `shift` rows when dy must be cropped instead (padding wider than the filter).
 */
export interface Phase {
  readonly first: number;
  readonly count: number;
  /** Filter indices of this phase's taps, in increasing order. */
  readonly taps: readonly number[];
  readonly dilation: number;
  readonly padBefore: number;
  readonly padAfter: number;
  readonly shift: number;
  /** The correlation's output is exactly the phase's positions (no shift, no surplus). */
  readonly exact: boolean;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Splits one spatial axis (input size `size`, dy size `outSize`, filter `filter`, stride,
 * dilation, leading pad) into its stride phases, leaving out phases with no taps or no
 * positions inside the input.
 */
export function axisPhases(size: number, outSize: number, filter: number, stride: number, dilation: number, pad: number): Phase[] {
  const phases: Phase[] = [];
  for (let r = 0; r < stride; r++) {
    // Position i = stride·u + r − pad meets tap f (reading dy[u − (f·dilation − r)/stride])
    // exactly when f·dilation ≡ r (mod stride). Those taps are evenly spaced, so their dy
    // offsets are too: by dilation / gcd(dilation, stride).
    const taps: number[] = [];
    for (let f = 0; f < filter; f++) if ((f * dilation) % stride === r) taps.push(f);
    const uMin = Math.ceil((pad - r) / stride);
    const uMax = Math.floor((size - 1 + pad - r) / stride);
    const count = uMax - uMin + 1;
    if (taps.length === 0 || count <= 0) continue;
    const step = taps.length > 1 ? dilation / gcd(dilation, stride) : 1;
    const k0 = (taps[0]! * dilation - r) / stride;
    const span = (taps.length - 1) * step;
    // Output row v of a correlation padded by `before` reads dy rows v − before + j·step
    // for j = 0 … taps − 1; phase position u needs dy rows u − k0 − span + j·step.
    const wantBefore = k0 + span - uMin;
    const padBefore = Math.max(0, wantBefore);
    const shift = padBefore - wantBefore;
    const padAfter = Math.max(0, count + shift + span - outSize - padBefore);
    const produced = outSize + padBefore + padAfter - span;
    phases.push({
      first: stride * uMin + r - pad,
      count,
      taps,
      dilation: step,
      padBefore,
      padAfter,
      shift,
      exact: shift === 0 && produced === count,
    });
  }
  return phases;
}
