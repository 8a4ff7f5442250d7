import sharp from 'sharp';
import { messageOf, UserInputError } from '../errors.js';
import type { Image } from '../corruptions/types.js';

export type ImageFormat = 'png' | 'jpg';

/** Float pixels in [0, 1] to 8-bit, rounding to nearest. */
export function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255);
  return out;
}

/** Encodes one image (gray or RGB) as PNG or lossless-as-possible JPEG (quality 95). */
export async function encodeImage(image: Image, format: ImageFormat): Promise<Buffer> {
  let pipeline = sharp(toBytes(image.data), { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 } });
  // Without this sharp writes gray pixels as RGB: a gray dataset must stay one channel.
  if (image.channels === 1) pipeline = pipeline.toColourspace('b-w');
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.jpeg({ quality: 95 }).toBuffer();
}

export interface ReadImageOptions {
  /** Resize (shorter side) and centre-crop to size × size; the image's own size when absent. */
  readonly size?: number;
  /** 1 or 3; the image's own (gray stays gray) when absent. */
  readonly channels?: 1 | 3;
}

/** Reads an image file into float pixels in [0, 1]. */
export async function readImageFile(file: string, options: ReadImageOptions = {}): Promise<Image> {
  try {
    let pipeline = sharp(file, { failOn: 'error' }).rotate();
    if (options.size) pipeline = pipeline.resize(options.size, options.size, { fit: 'cover', position: 'centre' });
    const metadata = await sharp(file).metadata();
    const gray = options.channels ? options.channels === 1 : metadata.channels !== undefined && metadata.channels <= 2 && metadata.space === 'b-w';
    pipeline = gray ? pipeline.grayscale() : pipeline.removeAlpha().toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = gray ? 1 : 3;
    const pixels = new Float32Array(info.width * info.height * channels);
    for (let p = 0; p < info.width * info.height; p++) {
      for (let c = 0; c < channels; c++) pixels[p * channels + c] = data[p * info.channels + Math.min(c, info.channels - 1)]! / 255;
    }
    return { data: pixels, height: info.height, width: info.width, channels };
  } catch (error) {
    throw new UserInputError(`${file}: cannot read image: ${messageOf(error)}`);
  }
}
