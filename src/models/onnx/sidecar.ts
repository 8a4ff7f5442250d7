/**
 * What an ONNX file cannot say about itself: its input normalisation and which value is the
 * embedding. Given on the command line, or in a sidecar JSON next to the file (`<model>.onnx.json`),
 * the command line winning.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ensure, messageOf, UserInputError } from '../../errors.js';

export interface OnnxSidecar {
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly embeddingNode?: string;
  readonly name?: string;
}

export function sidecarPath(modelFile: string): string {
  return `${modelFile}.json`;
}

function numberList(value: unknown, key: string, file: string): number[] | undefined {
  if (value === undefined) return undefined;
  ensure(Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' && Number.isFinite(v)), `${file}: "${key}" must be a non-empty list of numbers`);
  return value as number[];
}

/** Reads `<model>.onnx.json` if it exists; a malformed one is a user error, never silently ignored. */
export function readSidecar(modelFile: string): OnnxSidecar | undefined {
  const file = sidecarPath(modelFile);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserInputError(`${file}: not valid JSON: ${messageOf(error)}`);
  }
  ensure(typeof json === 'object' && json !== null && !Array.isArray(json), `${file}: expected a JSON object with "mean", "std", "embeddingNode"`);
  const record = json as Record<string, unknown>;
  const known = new Set(['mean', 'std', 'embeddingNode', 'name']);
  const unknown = Object.keys(record).filter((k) => !known.has(k));
  ensure(unknown.length === 0, `${file}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const mean = numberList(record['mean'], 'mean', file);
  const std = numberList(record['std'], 'std', file);
  const embeddingNode = record['embeddingNode'];
  const name = record['name'];
  ensure(embeddingNode === undefined || typeof embeddingNode === 'string', `${file}: "embeddingNode" must be a string`);
  ensure(name === undefined || typeof name === 'string', `${file}: "name" must be a string`);
  return { ...(mean ? { mean } : {}), ...(std ? { std } : {}), ...(embeddingNode ? { embeddingNode } : {}), ...(name ? { name } : {}) };
}
