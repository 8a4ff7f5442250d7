/** Per-item correctness packed one bit an item, base64: 2,000 images take 336 characters of journal. */
export function packBits(flags: Uint8Array): string {
  const bytes = new Uint8Array(Math.ceil(flags.length / 8));
  for (let i = 0; i < flags.length; i++) if (flags[i]) bytes[i >> 3]! |= 1 << (i & 7);
  return Buffer.from(bytes).toString('base64');
}

export function unpackBits(text: string, count: number): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== Math.ceil(count / 8)) throw new Error(`packed bits hold ${bytes.length} bytes, expected ${Math.ceil(count / 8)} for ${count} items`);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return out;
}
