import { ensure } from '../../../errors.js';

/** Reads a list setting that may come as an array or a comma-separated string. */
export function listSetting(value: unknown, what: string): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  ensure(typeof value === 'string', `${what}: expected a list or a comma-separated string`);
  return value.split(',').map((v) => v.trim()).filter(Boolean);
}

/** Parses a comma-separated list of numbers (fractions such as 8/255 allowed). */
export function numberList(text: string, what: string): number[] {
  return text.split(',').map((part) => {
    const trimmed = part.trim();
    const fraction = /^([0-9.eE+-]+)\/([0-9.eE+-]+)$/.exec(trimmed);
    const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : trimmed === '' ? NaN : Number(trimmed);
    ensure(Number.isFinite(value), `${what}: '${part}' is not a number`);
    return value;
  });
}

/** A level as it appears in metric keys: the shortest decimal that reads back to the same number. */
export function levelKey(level: number): string {
  return String(level);
}

/** Mean of several per-item 0/1 vectors, item by item, over the first `items` items. */
export function meanVectors(vectors: readonly Uint8Array[], items: number): Float64Array {
  const out = new Float64Array(items);
  for (const vector of vectors) for (let i = 0; i < items; i++) out[i]! += vector[i]!;
  for (let i = 0; i < items; i++) out[i]! /= vectors.length || 1;
  return out;
}
