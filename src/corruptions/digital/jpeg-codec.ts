/**
 * A JPEG round trip (encode then decode) computed in-process, without writing a file.
 *
 * All of a baseline JPEG's loss happens in colour conversion, chroma subsampling, the forward DCT,
 * quantisation, the inverse DCT, upsampling and clamping; Huffman coding is lossless. Each of
 * those steps here follows libjpeg-turbo's integer arithmetic (islow DCTs, its reciprocal
 * quantiser, h2v2 downsampling with alternating bias, fancy (triangle) upsampling, or repetition
 * for chroma planes 1–2 samples wide, 16-bit fixed-point colour conversion, edge replication of
 * partial blocks and MCUs, saturation to 0..255), so the result equals
 * sharp's encode + decode with `jpegOptions()` bit for bit; test/corruptions/jpeg-codec.test.ts
 * compares the two on noise, gradients, real images, saturated colours, many sizes and qualities.
 *
 * Only what sharp does with those options is modelled: baseline, quality tables scaled from
 * Annex K and capped at 255, 4:2:0 for three channels, one component for gray.
 *
 * Speed (the corruption ran about 2× faster at 224×224×3 and 40–80× at 28×28×1 than with sharp,
 * measured on 2 shared cores): integer
 * typed-array arithmetic with tables built once at load, blocks decoded in place, and shortcuts
 * for flat and DC-only blocks that give exactly what the full path would. jpegRoundTripUnit reads
 * and writes the corruption's floats directly, saving two passes over the image.
 */

/** Standard (ITU T.81 Annex K) luminance quantisation table, natural (row-major) order. */
const LUMA_BASE_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
  14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
] as const;

/** Standard (Annex K) chrominance quantisation table, natural order. */
const CHROMA_BASE_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
  24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
] as const;

/**
 * One quantisation table as the encoder and decoder use it. The encoder divides the DCT output
 * (8× the true coefficient) by 8·q through a reciprocal: |x| ↦ ((|x| + correction) · reciprocal)
 * >> shift, which libjpeg-turbo's SIMD and C quantisers both compute; the decoder multiplies back by q.
 */
interface QuantTable {
  readonly quant: Int32Array;
  readonly reciprocal: Int32Array;
  readonly correction: Int32Array;
  readonly shift: Int32Array;
  /** The decoded value of a block whose 64 samples all equal the index (it keeps only its DC term). */
  readonly uniformBlock: Uint8Array;
}

/** IJG quality scaling (jpeg_quality_scaling + jpeg_add_quant_table with force_baseline). */
function scaledQuantValues(base: readonly number[], quality: number): Int32Array {
  const scale = quality < 50 ? Math.trunc(5000 / quality) : 200 - quality * 2;
  return Int32Array.from(base, (b) => Math.min(255, Math.max(1, Math.trunc((b * scale + 50) / 100))));
}

/**
 * The reciprocal divisor for 8·q with 16-bit words, as libjpeg-turbo derives it (after Agner Fog's
 * division by reciprocals): r = 16 + floor(log2 d), f = 2^r / d rounded so that, with the
 * correction d/2 (+1 when f was rounded down), the product gives round-half-up |x| / d.
 */
function quantTable(quant: Int32Array): QuantTable {
  const reciprocal = new Int32Array(64);
  const correction = new Int32Array(64);
  const shift = new Int32Array(64);
  for (let i = 0; i < 64; i++) {
    const divisor = quant[i]! * 8;
    let r = 16 + 31 - Math.clz32(divisor); // 16 + floor(log2 d)
    let fq = Math.floor(2 ** r / divisor);
    const fr = 2 ** r % divisor;
    let c = divisor >> 1;
    if (fr === 0) {
      fq = Math.floor(fq / 2); // a power of two: keep the reciprocal within 16 bits
      r--;
    } else if (fr <= divisor >> 1) {
      c++;
    } else {
      fq++;
    }
    reciprocal[i] = fq;
    correction[i] = c;
    shift[i] = r;
  }
  const uniformBlock = Uint8Array.from({ length: 256 }, (_, v) => {
    // The forward DCT of a constant block is exactly DC = 64·(v − 128) with every AC term 0.
    const dc = 64 * (v - 128);
    const level = ((Math.abs(dc) + correction[0]!) * reciprocal[0]!) >>> shift[0]!;
    return dcOnlyValue((dc < 0 ? -level : level) * quant[0]!);
  });
  return { quant, reciprocal, correction, shift, uniformBlock };
}

/** The inverse DCT of a block with only a (dequantised) DC term: the same value everywhere. */
function dcOnlyValue(dequantisedDc: number): number {
  return Math.min(255, Math.max(0, (((dequantisedDc << 2) + 16) >> 5) + 128));
}

interface QualityTables {
  readonly luma: QuantTable;
  readonly chroma: QuantTable;
}

/** Tables for every quality 1–100 (index quality − 1), built once at load: well under 1 ms. */
const TABLES_BY_QUALITY: readonly QualityTables[] = Array.from({ length: 100 }, (_, i) => ({
  luma: quantTable(scaledQuantValues(LUMA_BASE_TABLE, i + 1)),
  chroma: quantTable(scaledQuantValues(CHROMA_BASE_TABLE, i + 1)),
}));

// 13-bit fixed-point constants of the LL&M islow DCT: round(c · 2^13).
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** islow forward DCT in place on 64 level-shifted samples (row pass keeps 2 extra bits, column pass removes them; output is 8× the true DCT). */
function forwardDct(ws: Int32Array): void {
  for (let row = 0; row < 64; row += 8) forwardDctLine(ws, row, 1, true);
  for (let column = 0; column < 8; column++) forwardDctLine(ws, column, 8, false);
}

/**
 * One 8-point islow DCT over ws[first], ws[first + step], …, in place. The row pass scales the DC
 * and even terms up by 2 bits and descales the rest by 11; the column pass takes the 2 bits back
 * off everything (libjpeg's PASS1_BITS), descaling by 15.
 */
function forwardDctLine(ws: Int32Array, first: number, step: number, rowPass: boolean): void {
  const shift = rowPass ? 11 : 15;
  const half = 1 << (shift - 1);
  const d0 = ws[first]!, d1 = ws[first + step]!, d2 = ws[first + 2 * step]!, d3 = ws[first + 3 * step]!;
  const d4 = ws[first + 4 * step]!, d5 = ws[first + 5 * step]!, d6 = ws[first + 6 * step]!, d7 = ws[first + 7 * step]!;
  const t0 = d0 + d7, t7 = d0 - d7, t1 = d1 + d6, t6 = d1 - d6;
  const t2 = d2 + d5, t5 = d2 - d5, t3 = d3 + d4, t4 = d3 - d4;
  const t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;
  ws[first] = rowPass ? (t10 + t11) << 2 : (t10 + t11 + 2) >> 2;
  ws[first + 4 * step] = rowPass ? (t10 - t11) << 2 : (t10 - t11 + 2) >> 2;
  const z1 = (t12 + t13) * FIX_0_541196100;
  ws[first + 2 * step] = (z1 + t13 * FIX_0_765366865 + half) >> shift;
  ws[first + 6 * step] = (z1 - t12 * FIX_1_847759065 + half) >> shift;
  const z5 = (t4 + t5 + t6 + t7) * FIX_1_175875602;
  const n1 = (t4 + t7) * FIX_0_899976223, n2 = (t5 + t6) * FIX_2_562915447;
  const o3 = z5 - (t4 + t6) * FIX_1_961570560, o4 = z5 - (t5 + t7) * FIX_0_390180644;
  ws[first + 7 * step] = (t4 * FIX_0_298631336 - n1 + o3 + half) >> shift;
  ws[first + 5 * step] = (t5 * FIX_2_053119869 - n2 + o4 + half) >> shift;
  ws[first + 3 * step] = (t6 * FIX_3_072711026 - n2 + o3 + half) >> shift;
  ws[first + step] = (t7 * FIX_1_501321110 - n1 + o4 + half) >> shift;
}

/**
 * Quantises then dequantises in place: what the decoder sees after the (lossless) entropy coding.
 * Returns whether any AC term survived.
 */
function quantiseRoundTrip(ws: Int32Array, table: QuantTable): boolean {
  const { quant, reciprocal, correction, shift } = table;
  let ac = 0;
  for (let i = 0; i < 64; i++) {
    const x = ws[i]!;
    const magnitude = ((x < 0 ? -x : x) + correction[i]!) * reciprocal[i]!;
    // The product stays below 2^31 (|x| < 2^14, reciprocal ≤ 2^16), so >>> is exact.
    const level = magnitude >>> shift[i]!;
    ws[i] = (x < 0 ? -level : level) * quant[i]!;
    if (i > 0) ac |= level;
  }
  return ac !== 0;
}

/**
 * islow inverse DCT of 64 dequantised coefficients into 8×8 bytes at dst[offset], rows `stride`
 * apart. The clamped array saturates to 0..255 as libjpeg-turbo's SIMD packing does (its C
 * range-limit table agrees for every value a real block produces).
 */
function inverseDct(ws: Int32Array, dst: Uint8ClampedArray, offset: number, stride: number): void {
  for (let c = 0; c < 8; c++) {
    const i1 = ws[c + 8]!, i2 = ws[c + 16]!, i3 = ws[c + 24]!, i4 = ws[c + 32]!;
    const i5 = ws[c + 40]!, i6 = ws[c + 48]!, i7 = ws[c + 56]!;
    if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
      // A column with only DC: the general formula reduces exactly to DC << 2.
      const dc = ws[c]! << 2;
      for (let r = 0; r < 64; r += 8) ws[c + r] = dc;
      continue;
    }
    const z1 = (i2 + i6) * FIX_0_541196100;
    const e2 = z1 - i6 * FIX_1_847759065, e3 = z1 + i2 * FIX_0_765366865;
    const e0 = (ws[c]! + i4) * 8192, e1 = (ws[c]! - i4) * 8192;
    const t10 = e0 + e3, t13 = e0 - e3, t11 = e1 + e2, t12 = e1 - e2;
    const z5 = (i7 + i5 + i3 + i1) * FIX_1_175875602;
    const q1 = (i7 + i1) * FIX_0_899976223, q2 = (i5 + i3) * FIX_2_562915447;
    const q3 = z5 - (i7 + i3) * FIX_1_961570560, q4 = z5 - (i5 + i1) * FIX_0_390180644;
    const o0 = i7 * FIX_0_298631336 - q1 + q3, o1 = i5 * FIX_2_053119869 - q2 + q4;
    const o2 = i3 * FIX_3_072711026 - q2 + q3, o3 = i1 * FIX_1_501321110 - q1 + q4;
    ws[c] = (t10 + o3 + 1024) >> 11;
    ws[c + 56] = (t10 - o3 + 1024) >> 11;
    ws[c + 8] = (t11 + o2 + 1024) >> 11;
    ws[c + 48] = (t11 - o2 + 1024) >> 11;
    ws[c + 16] = (t12 + o1 + 1024) >> 11;
    ws[c + 40] = (t12 - o1 + 1024) >> 11;
    ws[c + 24] = (t13 + o0 + 1024) >> 11;
    ws[c + 32] = (t13 - o0 + 1024) >> 11;
  }
  for (let o = 0; o < 64; o += 8, offset += stride) {
    const i1 = ws[o + 1]!, i2 = ws[o + 2]!, i3 = ws[o + 3]!, i4 = ws[o + 4]!;
    const i5 = ws[o + 5]!, i6 = ws[o + 6]!, i7 = ws[o + 7]!;
    if ((i1 | i2 | i3 | i4 | i5 | i6 | i7) === 0) {
      // Only DC in this row: the general formula reduces exactly to (DC + 16) >> 5, level-shifted.
      dst.fill(((ws[o]! + 16) >> 5) + 128, offset, offset + 8);
      continue;
    }
    const z1 = (i2 + i6) * FIX_0_541196100;
    const e2 = z1 - i6 * FIX_1_847759065, e3 = z1 + i2 * FIX_0_765366865;
    // The level shift (+128 after the final descale) and the rounding half folded in here.
    const dc = ws[o]! + (128 << 5) + 16;
    const e0 = (dc + i4) * 8192, e1 = (dc - i4) * 8192;
    const t10 = e0 + e3, t13 = e0 - e3, t11 = e1 + e2, t12 = e1 - e2;
    const z5 = (i7 + i5 + i3 + i1) * FIX_1_175875602;
    const q1 = (i7 + i1) * FIX_0_899976223, q2 = (i5 + i3) * FIX_2_562915447;
    const q3 = z5 - (i7 + i3) * FIX_1_961570560, q4 = z5 - (i5 + i1) * FIX_0_390180644;
    const o0 = i7 * FIX_0_298631336 - q1 + q3, o1 = i5 * FIX_2_053119869 - q2 + q4;
    const o2 = i3 * FIX_3_072711026 - q2 + q3, o3 = i1 * FIX_1_501321110 - q1 + q4;
    dst[offset] = (t10 + o3) >> 18;
    dst[offset + 7] = (t10 - o3) >> 18;
    dst[offset + 1] = (t11 + o2) >> 18;
    dst[offset + 6] = (t11 - o2) >> 18;
    dst[offset + 2] = (t12 + o1) >> 18;
    dst[offset + 5] = (t12 - o1) >> 18;
    dst[offset + 3] = (t13 + o0) >> 18;
    dst[offset + 4] = (t13 - o0) >> 18;
  }
}

/**
 * Every 8×8 block of a padded plane through DCT, quantisation and inverse DCT, in place (a block
 * is read whole into the workspace before its decoded values are written back).
 */
function roundTripPlane(plane: Uint8ClampedArray, stride: number, rows: number, table: QuantTable, ws: Int32Array): void {
  for (let by = 0; by < rows; by += 8) {
    for (let bx = 0; bx < stride; bx += 8) {
      const origin = by * stride + bx;
      const first = plane[origin]!;
      let differs = 0;
      for (let r = 0, p = origin; r < 64; r += 8, p += stride) {
        for (let k = 0; k < 8; k++) {
          const v = plane[p + k]!;
          differs |= v ^ first;
          ws[r + k] = v - 128;
        }
      }
      // Shortcuts that give exactly what the full path would: flat blocks (common in backgrounds)
      // and blocks left with only a DC term (common at low quality) decode to one value.
      if (differs === 0) {
        fillBlock(plane, origin, stride, table.uniformBlock[first]!);
        continue;
      }
      forwardDct(ws);
      if (quantiseRoundTrip(ws, table)) inverseDct(ws, plane, origin, stride);
      else fillBlock(plane, origin, stride, dcOnlyValue(ws[0]!));
    }
  }
}

/** Sets all 64 samples of the block at `origin` to one value. */
function fillBlock(plane: Uint8ClampedArray, origin: number, stride: number, value: number): void {
  for (let r = 0, p = origin; r < 8; r++, p += stride) plane.fill(value, p, p + 8);
}

/** Fills columns [width, stride) and rows [height, rows) of a plane by repeating its last column and row (libjpeg's edge expansion). */
function replicateEdges(plane: Uint8ClampedArray, width: number, height: number, stride: number, rows: number): void {
  if (width < stride) {
    for (let y = 0; y < height; y++) plane.fill(plane[y * stride + width - 1]!, y * stride + width, (y + 1) * stride);
  }
  const last = (height - 1) * stride;
  for (let y = height; y < rows; y++) plane.copyWithin(y * stride, last, last + stride);
}

const ceilTo = (n: number, multiple: number): number => Math.ceil(n / multiple) * multiple;

function grayRoundTrip(source: Source, height: number, width: number, tables: QualityTables, out: DecodedArray, levels: DecodedArray): void {
  const stride = ceilTo(width, 8);
  const rows = ceilTo(height, 8);
  const plane = new Uint8ClampedArray(stride * rows);
  const { pixels, scale } = source;
  for (let y = 0, i = 0; y < height; y++) {
    for (let p = y * stride, end = p + width; p < end; p++, i++) plane[p] = (pixels[i]! * scale + 0.5) & 255;
  }
  replicateEdges(plane, width, height, stride, rows);
  roundTripPlane(plane, stride, rows, tables.luma, new Int32Array(64));
  for (let y = 0, o = 0; y < height; y++) {
    for (let p = y * stride, end = p + width; p < end; p++, o++) out[o] = levels[plane[p]! + LEVEL_OFFSET]!;
  }
}

// RGB ↔ YCbCr in 16-bit fixed point (jccolor.c / jdcolor.c): FIX(x) = round(x · 2^16).
const fix16 = (x: number): number => Math.floor(x * 65536 + 0.5);
const Y_R = fix16(0.299), Y_G = fix16(0.587), Y_B = fix16(0.114);
const CB_R = fix16(0.16874), CB_G = fix16(0.33126), C_HALF = fix16(0.5);
const CR_G = fix16(0.41869), CR_B = fix16(0.08131);
/** Chroma offset 128 plus rounding just under ½ (libjpeg's choice, so that Cb, Cr never reach 256). */
const CHROMA_BIAS = (128 << 16) + (1 << 15) - 1;

const lumaOf = (r: number, g: number, b: number): number => (Y_R * r + Y_G * g + Y_B * b + (1 << 15)) >> 16;
const cbOf = (r: number, g: number, b: number): number => (C_HALF * b - CB_R * r - CB_G * g + CHROMA_BIAS) >> 16;
const crOf = (r: number, g: number, b: number): number => (C_HALF * r - CR_G * g - CR_B * b + CHROMA_BIAS) >> 16;

/** Decoder tables indexed by the 8-bit chroma value. */
const CR_TO_R = Int32Array.from({ length: 256 }, (_, c) => (fix16(1.402) * (c - 128) + (1 << 15)) >> 16);
const CB_TO_B = Int32Array.from({ length: 256 }, (_, c) => (fix16(1.772) * (c - 128) + (1 << 15)) >> 16);
const CR_TO_G = Int32Array.from({ length: 256 }, (_, c) => -fix16(0.71414) * (c - 128));
const CB_TO_G = Int32Array.from({ length: 256 }, (_, c) => -fix16(0.34414) * (c - 128) + (1 << 15));

/**
 * Input samples: bytes (scale 1) or floats in [0, 1] (scale 255), each read as
 * (x · scale + ½) & 255, i.e. round(255·x) for floats (see jpegRoundTripUnit), the byte itself for
 * bytes, and in either case what storing that rounded value into a Uint8Array would keep.
 */
interface Source {
  readonly pixels: Uint8Array | Float32Array;
  readonly scale: 1 | 255;
}

/**
 * Decoded samples are written through a table indexed by value + LEVEL_OFFSET, which saturates
 * to 0..255 (libjpeg's range limiting) and gives either the byte or byte / 255 as float32, so
 * the corruption gets its floats without a second pass. Y + chroma offsets lie in [−227, 482].
 */
type DecodedArray = Uint8Array | Float32Array;

const LEVEL_OFFSET = 384;
const saturated = (i: number): number => Math.min(255, Math.max(0, i - LEVEL_OFFSET));
const BYTE_LEVELS = Uint8Array.from({ length: 1024 }, (_, i) => saturated(i));
const UNIT_LEVELS = Float32Array.from({ length: 1024 }, (_, i) => saturated(i) / 255);

/**
 * Encoder colour conversion and h2v2 downsampling in one pass over 2×2 cells. Chroma is the mean of
 * each cell's four converted samples, rounded with a bias alternating 1, 2 along each row; cells
 * past the right or bottom edge take the edge pixels again, as libjpeg expands the full-resolution
 * rows to whole MCUs before downsampling. Luma is written for the real pixels only.
 */
function convertAndDownsample(source: Source, height: number, width: number, luma: Uint8ClampedArray, stride: number, cb: Uint8ClampedArray, cr: Uint8ClampedArray, chromaHeight: number): void {
  const { pixels, scale } = source;
  const chromaStride = stride >> 1;
  const lastX = width - 1;
  for (let k = 0; k < chromaHeight; k++) {
    const y0 = 2 * k, y1 = Math.min(y0 + 1, height - 1);
    const top = y0 * width, bottom = y1 * width;
    for (let j = 0, c = k * chromaStride; j < chromaStride; j++, c++) {
      const x0 = Math.min(2 * j, lastX), x1 = Math.min(2 * j + 1, lastX);
      const i00 = 3 * (top + x0), i01 = 3 * (top + x1), i10 = 3 * (bottom + x0), i11 = 3 * (bottom + x1);
      const r00 = (pixels[i00]! * scale + 0.5) & 255, g00 = (pixels[i00 + 1]! * scale + 0.5) & 255, b00 = (pixels[i00 + 2]! * scale + 0.5) & 255;
      const r01 = (pixels[i01]! * scale + 0.5) & 255, g01 = (pixels[i01 + 1]! * scale + 0.5) & 255, b01 = (pixels[i01 + 2]! * scale + 0.5) & 255;
      const r10 = (pixels[i10]! * scale + 0.5) & 255, g10 = (pixels[i10 + 1]! * scale + 0.5) & 255, b10 = (pixels[i10 + 2]! * scale + 0.5) & 255;
      const r11 = (pixels[i11]! * scale + 0.5) & 255, g11 = (pixels[i11 + 1]! * scale + 0.5) & 255, b11 = (pixels[i11 + 2]! * scale + 0.5) & 255;
      // Clamped positions repeat an edge pixel, so rewriting its luma is harmless.
      luma[y0 * stride + x0] = lumaOf(r00, g00, b00);
      luma[y0 * stride + x1] = lumaOf(r01, g01, b01);
      luma[y1 * stride + x0] = lumaOf(r10, g10, b10);
      luma[y1 * stride + x1] = lumaOf(r11, g11, b11);
      const bias = 1 + (j & 1);
      cb[c] = (cbOf(r00, g00, b00) + cbOf(r01, g01, b01) + cbOf(r10, g10, b10) + cbOf(r11, g11, b11) + bias) >> 2;
      cr[c] = (crOf(r00, g00, b00) + crOf(r01, g01, b01) + crOf(r10, g10, b10) + crOf(r11, g11, b11) + bias) >> 2;
    }
  }
}

function colourRoundTrip(source: Source, height: number, width: number, tables: QualityTables, out: DecodedArray, levels: DecodedArray): void {
  // 4:2:0: luma in 16×16 MCUs, chroma at half resolution in 8×8 blocks.
  const stride = ceilTo(width, 16);
  const rows = ceilTo(height, 16);
  const chromaStride = stride >> 1;
  const chromaHeight = (height + 1) >> 1;
  const chromaRows = rows >> 1;
  const luma = new Uint8ClampedArray(stride * rows);
  const cb = new Uint8ClampedArray(chromaStride * chromaRows);
  const cr = new Uint8ClampedArray(chromaStride * chromaRows);
  convertAndDownsample(source, height, width, luma, stride, cb, cr, chromaHeight);
  replicateEdges(luma, width, height, stride, rows);
  // Downsampled rows are padded to whole blocks by repeating the last one (not by downsampling
  // repeated full-resolution rows: the two differ when the height is even).
  replicateEdges(cb, chromaStride, chromaHeight, chromaStride, chromaRows);
  replicateEdges(cr, chromaStride, chromaHeight, chromaStride, chromaRows);

  const ws = new Int32Array(64);
  roundTripPlane(luma, stride, rows, tables.luma, ws);
  roundTripPlane(cb, chromaStride, chromaRows, tables.chroma, ws);
  roundTripPlane(cr, chromaStride, chromaRows, tables.chroma, ws);
  // libjpeg-turbo's decoder uses fancy upsampling only for chroma planes wider than 2 samples
  // (jdsample.c); narrower ones (images up to 4 px wide) are upsampled by repetition.
  const upsample = width > 4 ? upsampleToRgb : repeatToRgb;
  upsample(luma, stride, cb, cr, chromaStride, height, width, out, levels);
}

/**
 * Decoder side: fancy (triangle-filter) upsampling of the chroma planes, each output weighing its
 * nearest chroma sample 9/16, the two next nearest 3/16 each and the diagonal 1/16, with edges
 * repeated (rounding +8 for the left output of a pair, +7 for the right); then YCbCr → RGB,
 * saturated through the `levels` table. Output rows 2k and 2k + 1 both centre on chroma row k
 * (leaning up and down respectively), so they are made together.
 */
function upsampleToRgb(luma: Uint8ClampedArray, stride: number, cb: Uint8ClampedArray, cr: Uint8ClampedArray, chromaStride: number, height: number, width: number, out: DecodedArray, levels: DecodedArray): void {
  const chromaWidth = (width + 1) >> 1;
  const chromaHeight = (height + 1) >> 1;
  // Column sums 3·near + far for the upper (…Up) and lower (…Down) output row, with one repeated
  // column on each side.
  const cbUp = new Int32Array(chromaWidth + 2), crUp = new Int32Array(chromaWidth + 2);
  const cbDown = new Int32Array(chromaWidth + 2), crDown = new Int32Array(chromaWidth + 2);
  for (let k = 0; k < chromaHeight; k++) {
    const row = k * chromaStride;
    const above = Math.max(k - 1, 0) * chromaStride, below = Math.min(k + 1, chromaHeight - 1) * chromaStride;
    for (let j = 0; j < chromaWidth; j++) {
      const cbNear = 3 * cb[row + j]!, crNear = 3 * cr[row + j]!;
      cbUp[j + 1] = cbNear + cb[above + j]!;
      crUp[j + 1] = crNear + cr[above + j]!;
      cbDown[j + 1] = cbNear + cb[below + j]!;
      crDown[j + 1] = crNear + cr[below + j]!;
    }
    for (const sums of [cbUp, crUp, cbDown, crDown]) {
      sums[0] = sums[1]!;
      sums[chromaWidth + 1] = sums[chromaWidth]!;
    }
    const y = 2 * k;
    fancyRow(luma, y * stride, cbUp, crUp, out, levels, y * width * 3, width);
    if (y + 1 < height) fancyRow(luma, (y + 1) * stride, cbDown, crDown, out, levels, (y + 1) * width * 3, width);
  }
}

/** One output row from its column sums: horizontal triangle filter, then YCbCr → RGB. */
function fancyRow(luma: Uint8ClampedArray, lumaRow: number, cbSums: Int32Array, crSums: Int32Array, out: DecodedArray, levels: DecodedArray, o: number, width: number): void {
  for (let j = 1, x = 0; x < width; j++, x += 2, o += 6) {
    const cbMid = 3 * cbSums[j]!, crMid = 3 * crSums[j]!;
    let cbValue = (cbMid + cbSums[j - 1]! + 8) >> 4;
    let crValue = (crMid + crSums[j - 1]! + 8) >> 4;
    let l = luma[lumaRow + x]! + LEVEL_OFFSET;
    out[o] = levels[l + CR_TO_R[crValue]!]!;
    out[o + 1] = levels[l + ((CB_TO_G[cbValue]! + CR_TO_G[crValue]!) >> 16)]!;
    out[o + 2] = levels[l + CB_TO_B[cbValue]!]!;
    if (x + 1 === width) break;
    cbValue = (cbMid + cbSums[j + 1]! + 7) >> 4;
    crValue = (crMid + crSums[j + 1]! + 7) >> 4;
    l = luma[lumaRow + x + 1]! + LEVEL_OFFSET;
    out[o + 3] = levels[l + CR_TO_R[crValue]!]!;
    out[o + 4] = levels[l + ((CB_TO_G[cbValue]! + CR_TO_G[crValue]!) >> 16)]!;
    out[o + 5] = levels[l + CB_TO_B[cbValue]!]!;
  }
}

/** Box upsampling (each chroma sample covers its 2×2 cell), then YCbCr → RGB as in upsampleToRgb. */
function repeatToRgb(luma: Uint8ClampedArray, stride: number, cb: Uint8ClampedArray, cr: Uint8ClampedArray, chromaStride: number, height: number, width: number, out: DecodedArray, levels: DecodedArray): void {
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      const c = (y >> 1) * chromaStride + (x >> 1);
      const cbValue = cb[c]!, crValue = cr[c]!, l = luma[y * stride + x]! + LEVEL_OFFSET;
      out[o] = levels[l + CR_TO_R[crValue]!]!;
      out[o + 1] = levels[l + ((CB_TO_G[cbValue]! + CR_TO_G[crValue]!) >> 16)]!;
      out[o + 2] = levels[l + CB_TO_B[cbValue]!]!;
    }
  }
}

function checkedTables(length: number, height: number, width: number, channels: 1 | 3, quality: number, outLength: number | undefined): QualityTables {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`JPEG quality must be an integer in 1..100, got ${quality}`);
  if (!(height >= 1 && width >= 1) || length !== height * width * channels) {
    throw new RangeError(`${length} bytes do not make a ${height}×${width}×${channels} image`);
  }
  if (outLength !== undefined && outLength !== length) throw new RangeError(`the output holds ${outLength} values, not ${length}`);
  return TABLES_BY_QUALITY[quality - 1]!;
}

/**
 * The pixels that encoding 8-bit HWC `pixels` as a baseline JPEG at `quality` (1–100) and decoding
 * them again gives, exactly as sharp does with jpegOptions(): one gray component for 1 channel,
 * YCbCr 4:2:0 for 3. Any size from 1×1 up; partial blocks are padded by edge replication.
 * The result goes to `out` when given (same length; it may be `pixels` itself, which is read in
 * full before anything is written), else to a new array.
 */
export function jpegRoundTripPixels(pixels: Uint8Array, height: number, width: number, channels: 1 | 3, quality: number, out?: Uint8Array): Uint8Array {
  const tables = checkedTables(pixels.length, height, width, channels, quality, out?.length);
  const result = out ?? new Uint8Array(pixels.length);
  const source: Source = { pixels, scale: 1 };
  if (channels === 1) grayRoundTrip(source, height, width, tables, result, BYTE_LEVELS);
  else colourRoundTrip(source, height, width, tables, result, BYTE_LEVELS);
  return result;
}

/**
 * The same round trip for an image of floats in [0, 1]: each value x is quantised to the byte
 * round(255·x) (as floor(255·x + ½), exact for float32 x: 255·x never lands within an ulp of a
 * half), and each decoded byte b comes back as the float32 of b / 255. Equal to converting to
 * bytes, calling jpegRoundTripPixels and dividing by 255, without the two extra passes.
 */
export function jpegRoundTripUnit(data: Float32Array, height: number, width: number, channels: 1 | 3, quality: number): Float32Array {
  const tables = checkedTables(data.length, height, width, channels, quality, undefined);
  const result = new Float32Array(data.length);
  const source: Source = { pixels: data, scale: 255 };
  if (channels === 1) grayRoundTrip(source, height, width, tables, result, UNIT_LEVELS);
  else colourRoundTrip(source, height, width, tables, result, UNIT_LEVELS);
  return result;
}
