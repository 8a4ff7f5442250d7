import type { SeverityTable } from '../types.js';

/** A severity table built from five knob values (severities 1–5, in order). */
export function ramp<P>(values: SeverityTable<number>, make: (value: number) => P): SeverityTable<P> {
  return [make(values[0]), make(values[1]), make(values[2]), make(values[3]), make(values[4])];
}

/**
 * How many pixels of an image `actual` pixels across correspond to `pixels` on the profile's
 * `side`: pixel quantities in the tables are the profile's own, and scale with other sizes.
 */
export function scaled(pixels: number, side: number, actual: number): number {
  return (pixels * actual) / side;
}
