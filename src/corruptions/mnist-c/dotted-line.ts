import { defineCorruption, type SeverityTable } from '../types.js';
import { addCanvas, addSegment, newCanvas, stratifiedRow } from './line-drawing.js';
import { ramp, scaled } from './tables.js';

export interface DottedLineParams {
  /** How many dotted lines are drawn: the graded knob. */
  readonly lines: number;
  /** The line profile's reach (MNIST-C: 2.3 px on 28), in pixels of an image `side` pixels across. */
  readonly reach: number;
  /** Length of each dash and each gap along the columns (MNIST-C: 2 px on 28). */
  readonly dash: number;
  /** The profile's image side: on other sizes reach and dash scale with the image. */
  readonly side: number;
}

const LINES: SeverityTable<number> = [1, 2, 3, 4, 5];

/** The profile's parameters: MNIST-C's 28-px geometry scaled to `side`. */
const at = (side: number) => ramp(LINES, (lines) => ({ lines, reach: (2.3 * side) / 28, dash: (2 * side) / 28, side }));

/** Whether column c of an image drawn with dash length `dash` carries ink (MNIST-C: 2–3, 6–7, …). */
export function dashOn(column: number, dash: number): boolean {
  return Math.floor(column / dash) % 2 === 1;
}

/**
 * Dotted lines, as MNIST-C's `dotted_line`: each runs across the whole width, from row r0 at the
 * first column to row r1 at the last (r0, r1 uniform integers in [0, height − 2], MNIST-C's
 * `randint(0, 27)`; with several lines, each end in its own band of that range), is drawn with
 * MNIST-C's log-decay profile and keeps only every other `dash`-wide run of columns; the result is
 * clip(x + lines) in every channel. MNIST-C draws one line; severities draw 1–5. The rows drawn
 * are recorded as line{k}_row0 / line{k}_row1.
 */
export const dottedLine = defineCorruption<DottedLineParams>({
  id: 'dotted_line',
  group: 'mnist-c',
  summary: 'white dotted lines across the image, added and clipped; parameter: number of lines',
  table: { imagenet224: at(224), cifar32: at(32), mnist28: at(28) },
  channels: 'any',
  preservesConstant: false,
  apply: ({ data, height, width, channels }, { lines, reach, dash, side }, random) => {
    const canvas = newCanvas(height, width);
    const size = Math.min(height, width);
    const dashHere = scaled(dash, side, width);
    const keep = (c: number) => dashOn(c, dashHere);
    const sampled: Record<string, number> = {};
    // Ends spread over the height: line k starts in band k and ends in a shuffled band.
    const endBands = random.shuffled(Array.from({ length: lines }, (_, k) => k));
    for (let k = 1; k <= lines; k++) {
      const r0 = stratifiedRow(random, k - 1, lines, height);
      const r1 = stratifiedRow(random, endBands[k - 1]!, lines, height);
      sampled[`line${k}_row0`] = r0;
      sampled[`line${k}_row1`] = r1;
      addSegment(canvas, 0, r0, width - 1, r1, scaled(reach, side, size), keep);
    }
    return { data: addCanvas(data, channels, canvas), sampled };
  },
});
