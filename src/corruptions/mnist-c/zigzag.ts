import type { RandomStream } from '../../random/stream.js';
import { defineCorruption, type SeverityTable } from '../types.js';
import { addCanvas, addSegment, newCanvas, type LineCanvas } from './line-drawing.js';
import { ramp, scaled } from './tables.js';

export interface ZigzagParams {
  /** How much zig-zag is drawn, in MNIST-C zig-zags (a fraction: one drawn over part of the width): the graded knob. */
  readonly zigzags: number;
  /** The line profile's reach (MNIST-C: 2.3 px on 28), in pixels of an image `side` pixels across. */
  readonly reach: number;
  /** Run along the zig-zag's axis from a peak to the centre line (MNIST-C's a = 2 px). */
  readonly run: number;
  /** Peak offset from the axis (MNIST-C's b = 2 px). */
  readonly amplitude: number;
  /** Columns left free at each side (MNIST-C draws columns 2 to 25 of 28). */
  readonly margin: number;
  /** The end row is the start row plus a whole number in [−drift, drift − 1] (MNIST-C: 5). */
  readonly drift: number;
  /** The profile's image side: on other sizes every length scales with the image. */
  readonly side: number;
}

/** MNIST-C's one zig-zag at severity 1; beyond 3 the strokes cover most of a 28-px garment. */
const ZIGZAGS: SeverityTable<number> = [1, 1.5, 2, 2.5, 3];

/** The profile's parameters: MNIST-C's 28-px geometry scaled to `side` (drift in whole pixels). */
const at = (side: number) => {
  const k = side / 28;
  return ramp(ZIGZAGS, (zigzags) => ({ zigzags, reach: 2.3 * k, run: 2 * k, amplitude: 2 * k, margin: 2 * k, drift: Math.round(5 * k), side }));
};

/** The zig-zag's offset from its axis at distance t along it: 0 at t = 0, ±amplitude at odd multiples of run. */
export function zigzagOffset(t: number, run: number, amplitude: number): number {
  const u = t / run;
  if (u <= 1) return amplitude * u;
  const k = Math.floor((u - 1) / 2);
  const frac = (u - 1 - 2 * k) / 2;
  return (k % 2 === 0 ? 1 : -1) * amplitude * (1 - 2 * frac);
}

/**
 * Draws one zig-zag from (c0, r0) towards (c1, r1), as MNIST-C's `zigzag`: vertices at distance
 * (2i + 1)·run along the axis, alternately +amplitude and −amplitude off it, the axis then rotated
 * to the end point. MNIST-C ends on an ad-hoc offset; this ends on the zig-zag itself.
 * `keepColumn`, if given, limits the columns drawn.
 */
export function drawZigzag(
  canvas: LineCanvas,
  c0: number,
  r0: number,
  c1: number,
  r1: number,
  run: number,
  amplitude: number,
  reach: number,
  keepColumn?: (column: number) => boolean,
): void {
  if (!(c1 > c0) || !(run > 0)) return;
  const theta = Math.atan((r1 - r0) / (c1 - c0));
  const length = (c1 - c0) / Math.cos(theta);
  const along: number[] = [0];
  for (let t = run; t <= length; t += 2 * run) along.push(t);
  if (along[along.length - 1]! < length) along.push(length);
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  let prevC = c0;
  let prevR = r0;
  for (let i = 1; i < along.length; i++) {
    const t = along[i]!;
    const offset = zigzagOffset(t, run, amplitude);
    const c = t * cos - offset * sin + c0;
    const r = t * sin + offset * cos + r0;
    addSegment(canvas, prevC, prevR, c, r, reach, keepColumn);
    prevC = c;
    prevR = r;
  }
}

/**
 * n start rows spread evenly over the `rows` rows 0 … rows − 1, with one random phase u:
 * row k = floor((k + u)·rows / n). One row is uniform over all of them, as MNIST-C's `randint`.
 */
export function evenlySpacedRows(random: RandomStream, n: number, rows: number): number[] {
  const phase = random.float();
  return Array.from({ length: n }, (_, k) => Math.floor(((k + phase) * rows) / n));
}

/**
 * Zig-zag lines, as MNIST-C's `zigzag`: each starts at a random row r0 (uniform integer in
 * [0, height − 2], MNIST-C's `randint(0, 27)`) at the left margin and ends r0 + a drift in
 * [−drift, drift − 1] rows at the right margin (several zig-zags share the drift and start
 * evenly spaced over the height with one random phase, at least 8 rows apart on 28 px, so they
 * do not pile up), drawn with MNIST-C's log-decay line profile; the result is clip(x + lines) in
 * every channel.
 *
 * The knob is how much zig-zag is drawn, in MNIST-C zig-zags: 1 (MNIST-C's, severity 1), 1.5,
 * 2, 2.5, 3. A fractional part is one more zig-zag drawn only over that fraction of the columns,
 * at a random place. Rows are recorded as zigzag{k}_row0 / zigzag{k}_row1, and a partial
 * zig-zag's first column as zigzag{k}_from.
 */
export const zigzag = defineCorruption<ZigzagParams>({
  id: 'zigzag',
  group: 'mnist-c',
  summary: 'white zig-zag lines across the image, added and clipped; parameter: number of zig-zags (a fraction draws part of one)',
  table: { imagenet224: at(224), cifar32: at(32), mnist28: at(28) },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, p, random) => {
    const canvas = newCanvas(height, width);
    const size = Math.min(height, width);
    const length = (v: number) => scaled(v, p.side, size);
    const c0 = scaled(p.margin, p.side, width);
    const c1 = width - 1 - c0;
    const count = Math.ceil(p.zigzags);
    // One slope for all (MNIST-C's drift), start rows evenly spaced with a random phase: parallel
    // zig-zags spread over the height, so each adds its own ink wherever the first one falls.
    const drift = length(random.int(-p.drift, p.drift - 1));
    const rows = evenlySpacedRows(random, count, Math.max(1, height - 1));
    const sampled: Record<string, number> = {};
    for (let k = 1; k <= count; k++) {
      const r0 = rows[k - 1]!;
      const r1 = r0 + drift;
      sampled[`zigzag${k}_row0`] = r0;
      sampled[`zigzag${k}_row1`] = r1;
      const fraction = Math.min(1, p.zigzags - (k - 1));
      let keep: ((column: number) => boolean) | undefined;
      if (fraction < 1) {
        const span = fraction * (c1 - c0);
        const from = c0 + random.float() * (c1 - c0 - span);
        sampled[`zigzag${k}_from`] = from;
        keep = (column) => column >= from && column < from + span;
      }
      drawZigzag(canvas, c0, r0, c1, r1, length(p.run), length(p.amplitude), length(p.reach), keep);
    }
    return { data: addCanvas(data, channels, canvas), sampled };
  },
});
