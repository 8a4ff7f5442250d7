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

/**
 * Writes one phase's correlation output into dx (NHWC) at the phase's positions. Each run of
 * `group` consecutive output channels sums into one dx channel: the depthwise channel
 * multiplier; 1 for a plain convolution.
 */
export function scatterPhase(
  conv: Float32Array,
  convHeight: number,
  convWidth: number,
  dx: Float32Array,
  dxShape: readonly [batch: number, height: number, width: number, channels: number],
  rows: Phase,
  cols: Phase,
  strideHeight: number,
  strideWidth: number,
  group: number,
): void {
  const [batchSize, inHeight, inWidth, channels] = dxShape;
  const dstStep = (strideWidth - 1) * channels;
  for (let b = 0; b < batchSize; b++) {
    for (let u = 0; u < rows.count; u++) {
      const ih = rows.first + u * strideHeight;
      let src = ((b * convHeight + u + rows.shift) * convWidth + cols.shift) * channels * group;
      let dst = ((b * inHeight + ih) * inWidth + cols.first) * channels;
      if (group === 1 && strideWidth === 1) {
        dx.set(conv.subarray(src, src + cols.count * channels), dst);
        continue;
      }
      for (let v = 0; v < cols.count; v++) {
        if (group === 1 && channels >= 16) {
          // A native block copy beats the scalar loop from ~16 floats on.
          dx.set(conv.subarray(src, src + channels), dst);
          src += channels;
          dst += channels;
        } else if (group === 1) {
          for (let k = 0; k < channels; k++) dx[dst++] = conv[src++]!;
        } else {
          for (let k = 0; k < channels; k++) {
            let sum = 0;
            for (let q = 0; q < group; q++) sum += conv[src++]!;
            dx[dst++] = sum;
          }
        }
        dst += dstStep;
      }
    }
  }
}
