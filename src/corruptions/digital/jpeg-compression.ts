import sharp, { type JpegOptions } from 'sharp';
import { defineCorruption } from '../types.js';
import { jpegRoundTripPixels, jpegRoundTripUnit } from './jpeg-codec.js';

/**
 * The JPEG settings that match what ImageNet-C's `PIL.Image.save(f, 'JPEG', quality=q)` does:
 * libjpeg's standard (Annex K) tables scaled by the IJG quality formula and capped at 255
 * (force_baseline, as both Pillow and libvips call jpeg_set_quality), 4:2:0 chroma subsampling
 * (Pillow's default at every quality, set explicitly here), baseline, islow DCT; Huffman
 * optimisation off like Pillow's default (it is lossless anyway).
 * sharp's libvips is built on mozjpeg, whose extra tricks (trellis quantisation, its own tables)
 * stay off unless `mozjpeg: true` is asked for, so it behaves as libjpeg-turbo.
 */
export function jpegOptions(quality: number): JpegOptions {
  return { quality, chromaSubsampling: '4:2:0', optimiseCoding: false, progressive: false, mozjpeg: false, trellisQuantisation: false, overshootDeringing: false };
}

/**
 * Encodes 8-bit HWC pixels as a JPEG: 1 channel gives a one-component gray JPEG, 3 give YCbCr.
 * Not used by the corruption itself (see jpegCompression); kept as the reference the in-process
 * codec is tested against, and for writing real files.
 */
export function encodeJpeg(pixels: Uint8Array, height: number, width: number, channels: 1 | 3, quality: number): Promise<Buffer> {
  const input = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } });
  // sharp's output colour space defaults to sRGB: 'b-w' keeps a gray image one channel in the file.
  return (channels === 1 ? input.toColourspace('b-w') : input).jpeg(jpegOptions(quality)).toBuffer();
}

/** Decodes a JPEG made by encodeJpeg back to 8-bit HWC pixels with the given channel count. */
export async function decodeJpeg(jpeg: Buffer, height: number, width: number, channels: 1 | 3): Promise<Uint8Array> {
  const { data, info } = await sharp(jpeg).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || info.width !== width || info.height !== height) {
    throw new Error(`JPEG decoding gave ${info.width}×${info.height}×${info.channels} for ${width}×${height}×${channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** b/255 for every byte b, as float32: a lookup instead of a division per value. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/**
 * JPEG compression: the image is quantised to 8 bits (round(255·x); the reference's input is an
 * 8-bit PIL image already), put through a baseline JPEG encode + decode at the table's quality,
 * and the decoded bytes / 255 are the result.
 *
 * The round trip is computed in-process by jpegRoundTripUnit (jpeg-codec.ts) rather than by
 * writing and reading a file with sharp: a JPEG's loss lies entirely in colour conversion,
 * subsampling, DCT, quantisation and upsampling (entropy coding is lossless), and that codec
 * follows libjpeg-turbo's integer arithmetic step by step, so its bytes equal sharp's
 * `decodeJpeg(encodeJpeg(…))` bit for bit (test/corruptions/jpeg-codec.test.ts checks noise,
 * gradients, real images, saturated colours, sizes from 1×1 to 224×224 and qualities 1–100).
 * What it saves is sharp's fixed cost per call: two libvips pipelines and byte copies, about
 * 3.5 ms at 224×224×3 and 1 ms at 28×28×1. sharp's libjpeg in turn gives the bytes Pillow gives
 * for the same pixels and quality (test/corruptions/digital.test.ts), i.e. what ImageNet-C does.
 *
 * Gray images are encoded as one-component JPEGs, as Pillow does for mode 'L' (imagecorruptions
 * converts them to RGB first). Other channel counts than 1 and 3 are encoded one channel at a time
 * as gray JPEGs. A constant image comes out constant (every 8×8 block keeps only its DC term, the
 * same in each block), though its value may move to the nearest level the DC quantiser allows.
 */
export const jpegCompression = defineCorruption<number>({
  id: 'jpeg_compression',
  group: 'digital',
  summary: 'JPEG encode and decode (libjpeg arithmetic, bit for bit, 4:2:0, gray stays one channel); parameter: quality',
  table: {
    imagenet224: [25, 18, 15, 10, 7],
    cifar32: [80, 65, 58, 50, 40],
    // MNIST-C's jpeg_compression keeps ImageNet-C's qualities, and they suit 28-px gray images:
    // at quality 7 every garment of a Fashion-MNIST preview was still recognisable (blocky edges,
    // flattened texture); CIFAR's 80–40 leaves them visibly unchanged.
    mnist28: [25, 18, 15, 10, 7],
  },
  channels: 'any',
  preservesConstant: true,
  apply: ({ data, height, width, channels }, quality) => {
    // Quantised to bytes as round(255·x) and decoded back to b / 255 inside the codec.
    if (channels === 1 || channels === 3) return { data: jpegRoundTripUnit(data, height, width, channels, quality) };
    const bytes = new Uint8Array(data.length);
    // Math.round(255·x), as floor(255·x + ½): exact here, since 255·x of a float32 x in [0, 1]
    // has few enough bits that adding ½ never rounds (checked over every float32 in [0, 1]).
    for (let i = 0; i < data.length; i++) bytes[i] = Math.floor(data[i]! * 255 + 0.5);
    const out = new Float32Array(data.length);
    const plane = new Uint8Array(height * width);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane.length; p++) plane[p] = bytes[p * channels + c]!;
      const decoded = jpegRoundTripPixels(plane, height, width, 1, quality, plane);
      for (let p = 0; p < plane.length; p++) out[p * channels + c] = BYTE_TO_UNIT[decoded[p]!]!;
    }
    return { data: out };
  },
});
