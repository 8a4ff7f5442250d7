/**
 * The protobuf wire format, just enough of it for ONNX files: a reader that walks the fields of
 * one message and a writer that builds them. Our own instead of a protobuf library so that a
 * damaged file fails with a precise reason (which field, at which byte) instead of a generic one.
 */

/** Protobuf wire types (the low three bits of a field's tag). */
export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** A file that is not valid protobuf; the loader turns it into a one-line user error. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** One field as read: its number, wire type, and where its value lies in the buffer. */
export interface WireField {
  readonly field: number;
  readonly type: WireType;
  /** varint and fixed values, as numbers (int64 values beyond 2^53 lose precision). */
  readonly value: number;
  /** bytes fields: the payload, a view into the original buffer (no copy). */
  readonly bytes: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const TWO_32 = 2 ** 32;

/** Reads the fields of one message in order; nested messages are read by new readers over `bytes`. */
export class WireReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** Where this message starts in the file, for error positions. */
    private readonly base = 0,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The next field; the caller checks `done` first. */
  next(): WireField {
    const at = this.pos;
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    const type = (tag % 8) as WireType;
    if (field === 0) throw this.fail(at, 'field number 0');
    switch (type) {
      case WireType.varint:
        return { field, type, value: this.varint(), bytes: EMPTY };
      case WireType.fixed64: {
        this.need(8, field);
        const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
        this.pos += 8;
        return { field, type, value: view.getFloat64(0, true), bytes: this.buf.subarray(this.pos - 8, this.pos) };
      }
      case WireType.fixed32: {
        this.need(4, field);
        const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4);
        this.pos += 4;
        return { field, type, value: view.getFloat32(0, true), bytes: this.buf.subarray(this.pos - 4, this.pos) };
      }
      case WireType.bytes: {
        const length = this.varint();
        this.need(length, field);
        const start = this.pos;
        this.pos += length;
        return { field, type, value: length, bytes: this.buf.subarray(start, this.pos) };
      }
      default:
        throw this.fail(at, `unsupported wire type ${type as number} for field ${field}`);
    }
  }

  /** Where a nested message read from `bytes` starts in the file. */
  offsetOf(bytes: Uint8Array): number {
    return this.base + (bytes.byteOffset - this.buf.byteOffset);
  }

  /** A bare varint as a number (packed arrays): int64 two's-complement negatives come back negative. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw this.fail(this.pos, 'the file ends inside a number (truncated?)');
      const byte = this.buf[this.pos++]!;
      const bits = byte & 0x7f;
      if (shift < 28) lo += bits * 2 ** shift;
      else if (shift === 28) {
        lo += (bits & 0x0f) * 2 ** 28;
        hi += bits >>> 4;
      } else hi += bits * 2 ** (shift - 32);
      if ((byte & 0x80) === 0) {
        // Ten-byte varints are negative int64s: the high word's top bit is set.
        if (hi >= 2 ** 31) return -((TWO_32 - 1 - (hi % TWO_32)) * TWO_32 + (TWO_32 - lo));
        return hi * TWO_32 + lo;
      }
      shift += 7;
    }
    throw this.fail(this.pos, 'a number longer than ten bytes');
  }

  private need(length: number, field: number): void {
    if (this.pos + length > this.buf.length) {
      throw this.fail(this.pos, `field ${field} needs ${length} bytes but only ${this.buf.length - this.pos} remain (truncated?)`);
    }
  }

  private fail(at: number, what: string): WireFormatError {
    return new WireFormatError(`malformed protobuf at byte ${this.base + at}: ${what}`);
  }
}

/** Decodes a packed repeated varint field (or accepts one unpacked element). */
export function packedVarints(field: WireField, base = 0): number[] {
  if (field.type === WireType.varint) return [field.value];
  const reader = new WireReader(field.bytes, base);
  const out: number[] = [];
  while (!reader.done) out.push(reader.varint());
  return out;
}

/** Decodes a packed repeated float (fixed32) field, or one unpacked element. */
export function packedFloats(field: WireField): Float32Array {
  if (field.type === WireType.fixed32) return Float32Array.of(field.value);
  if (field.bytes.length % 4 !== 0) throw new WireFormatError(`malformed protobuf: packed floats of ${field.bytes.length} bytes`);
  return copyAligned(field.bytes, Float32Array, 4);
}

/** Decodes a packed repeated double (fixed64) field, or one unpacked element. */
export function packedDoubles(field: WireField): Float64Array {
  if (field.type === WireType.fixed64) return Float64Array.of(field.value);
  if (field.bytes.length % 8 !== 0) throw new WireFormatError(`malformed protobuf: packed doubles of ${field.bytes.length} bytes`);
  return copyAligned(field.bytes, Float64Array, 8);
}

/** Little-endian bytes as a typed array, copied so the result is aligned whatever the source offset. */
export function copyAligned<T extends Float32Array | Float64Array | Int32Array | Uint16Array | BigInt64Array>(
  bytes: Uint8Array,
  kind: { new (buffer: ArrayBuffer): T },
  width: number,
): T {
  const copy = new ArrayBuffer(bytes.length - (bytes.length % width));
  new Uint8Array(copy).set(bytes.subarray(0, copy.byteLength));
  return new kind(copy);
}

const utf8 = new TextDecoder('utf-8');
export function utf8String(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Builds one message; nested messages are built by their own writer and added as bytes. */
export class WireWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  varint(field: number, value: number): this {
    this.tag(field, WireType.varint);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WireType.fixed32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.bytes);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, message: WireWriter): this {
    return this.bytes(field, message.finish());
  }

  packedVarints(field: number, values: readonly number[]): this {
    const inner = new WireWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, bytes);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private tag(field: number, type: WireType): void {
    this.rawVarint(field * 8 + type);
  }

  /** Negative numbers are written as ten-byte two's-complement int64s, as protobuf does. */
  private rawVarint(value: number): void {
    let v = value < 0 ? BigInt.asUintN(64, BigInt(value)) : BigInt(value);
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
}
