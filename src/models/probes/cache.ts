import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../../errors.js';
import { writeFileAtomic } from '../files.js';

/**
 * On-disk cache of a dataset's embeddings under one backbone. A file holds a magic tag, a
 * JSON header (key, shape, sha256 of the payload) and the float32 payload; anything that does
 * not check out is reported as a problem so the caller recomputes instead of trusting it.
 */

const MAGIC = 'SSLREMB1';
const FORMAT_VERSION = 1;

/** `$SSL_ROBUST_CACHE/embeddings`, else `$XDG_CACHE_HOME/ssl-robust/embeddings`, else `~/.cache/ssl-robust/embeddings`. */
export function defaultEmbeddingCacheFolder(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SSL_ROBUST_CACHE']) return join(env['SSL_ROBUST_CACHE'], 'embeddings');
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'ssl-robust', 'embeddings');
}

/** Everything the embeddings depend on. */
export interface EmbeddingCacheKeyParts {
  /** sha256 of the model's files. */
  readonly modelSha256: string;
  /** Which layer or node gives the embedding. */
  readonly embedding: string;
  /** Content hash of the images, in dataset order. */
  readonly imagesSha256: string;
  readonly split: string;
  /** Height, width, channels the images were read at. */
  readonly imageShape: readonly number[];
}

export function embeddingCacheKey(parts: EmbeddingCacheKeyParts): string {
  const text = JSON.stringify([FORMAT_VERSION, parts.modelSha256, parts.embedding, parts.imagesSha256, parts.split, parts.imageShape]);
  return createHash('sha256').update(text).digest('hex');
}

export function embeddingCacheFile(folder: string, key: string): string {
  return join(folder, `${key}.emb`);
}

interface CacheHeader {
  readonly format: number;
  readonly key: string;
  readonly count: number;
  readonly dim: number;
  readonly payloadSha256: string;
  readonly [detail: string]: unknown;
}

export interface CachedEmbeddings {
  readonly features: Float32Array;
  readonly count: number;
  readonly dim: number;
}

export type CacheRead = { readonly status: 'hit'; readonly embeddings: CachedEmbeddings } | { readonly status: 'missing' } | { readonly status: 'corrupt'; readonly problem: string };

/** Reads a cache file, checking its tag, key, shape and payload hash. Never throws for bad contents. */
export async function readEmbeddingCache(file: string, key: string): Promise<CacheRead> {
  if (!existsSync(file)) return { status: 'missing' };
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { status: 'corrupt', problem: `cannot read it: ${messageOf(error)}` };
  }
  const corrupt = (problem: string): CacheRead => ({ status: 'corrupt', problem });
  if (bytes.length < MAGIC.length + 4 || bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) return corrupt('not an embeddings cache file');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLength > bytes.length) return corrupt('truncated header');
  let header: CacheHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', headerStart, headerStart + headerLength)) as CacheHeader;
  } catch {
    return corrupt('unreadable header');
  }
  if (header.format !== FORMAT_VERSION || header.key !== key) return corrupt('written for another key or format');
  const { count, dim } = header;
  if (!Number.isInteger(count) || !Number.isInteger(dim) || count < 0 || dim <= 0) return corrupt('bad shape in the header');
  const payloadStart = payloadOffset(headerLength);
  if (bytes.length - payloadStart !== count * dim * 4) return corrupt(`payload holds ${bytes.length - payloadStart} bytes, expected ${count * dim * 4}`);
  const payload = bytes.subarray(payloadStart);
  if (createHash('sha256').update(payload).digest('hex') !== header.payloadSha256) return corrupt('payload checksum mismatch');
  // Copy into a fresh buffer: the payload's offset in the file need not be float-aligned in memory.
  const features = new Float32Array(count * dim);
  new Uint8Array(features.buffer).set(payload);
  return { status: 'hit', embeddings: { features, count, dim } };
}

/** The payload starts on a 4-byte boundary after the header. */
function payloadOffset(headerLength: number): number {
  return Math.ceil((MAGIC.length + 4 + headerLength) / 4) * 4;
}

/** Writes embeddings atomically, so that a crash never leaves a half-written file behind. */
export async function writeEmbeddingCache(
  file: string,
  key: string,
  embeddings: CachedEmbeddings,
  details: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const { features, count, dim } = embeddings;
  const payload = new Uint8Array(features.buffer, features.byteOffset, features.byteLength);
  const header: CacheHeader = {
    ...details,
    format: FORMAT_VERSION,
    key,
    count,
    dim,
    payloadSha256: createHash('sha256').update(payload).digest('hex'),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = payloadOffset(headerBytes.length);
  const out = new Uint8Array(start + payload.length);
  out.set(Buffer.from(MAGIC, 'latin1'));
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  out.set(payload, start);
  await writeFileAtomic(file, out);
}
