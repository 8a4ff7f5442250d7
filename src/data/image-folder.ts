import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import sharp from 'sharp';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { Dataset, type ImageShape, type ImageSource } from './dataset.js';

/** Extensions libvips (through sharp) decodes; anything else in a class folder is an error, not a silent skip. */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.svg']);

export interface ImageFolderOptions {
  /** Images are resized (shorter side) and centre-cropped to size × size. */
  readonly size: number;
  /** 1 for gray, 3 for RGB. */
  readonly channels: 1 | 3;
  readonly name?: string;
  readonly split?: string;
  /** How many images are decoded at once (libvips also threads each decode). */
  readonly concurrency?: number;
}

/** Hidden files such as .DS_Store are ignored: they are never images a user meant to include. */
function visibleEntries(folder: string): string[] {
  return readdirSync(folder).filter((name) => !name.startsWith('.')).sort();
}

class ImageFolderSource implements ImageSource {
  readonly shape: ImageShape;

  constructor(
    readonly files: readonly string[],
    private readonly options: ImageFolderOptions,
    private readonly root: string,
  ) {
    this.shape = [options.size, options.size, options.channels];
  }

  get count(): number {
    return this.files.length;
  }

  fileName(index: number): string {
    return basename(this.files[index]!);
  }

  async read(indices: readonly number[]): Promise<Float32Array> {
    const imageSize = this.shape[0] * this.shape[1] * this.shape[2];
    const out = new Float32Array(indices.length * imageSize);
    const concurrency = this.options.concurrency ?? 8;
    for (let start = 0; start < indices.length; start += concurrency) {
      const chunk = indices.slice(start, start + concurrency);
      const decoded = await Promise.all(chunk.map((index) => this.decode(this.files[index]!)));
      decoded.forEach((pixels, i) => {
        const offset = (start + i) * imageSize;
        for (let p = 0; p < imageSize; p++) out[offset + p] = (pixels[p] as number) / 255;
      });
    }
    return out;
  }

  private async decode(file: string): Promise<Uint8Array> {
    const { size, channels } = this.options;
    try {
      let pipeline = sharp(file, { failOn: 'error' })
        .rotate() // respect EXIF orientation, as a viewer would
        .resize(size, size, { fit: 'cover', position: 'centre' });
      pipeline = channels === 1 ? pipeline.grayscale() : pipeline.removeAlpha().toColourspace('srgb');
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
      // Flattening alpha or gray-to-RGB can leave a different channel count; settle it explicitly.
      if (info.channels === channels) return data;
      return await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
        .toColourspace(channels === 1 ? 'b-w' : 'srgb')
        .removeAlpha()
        .raw()
        .toBuffer();
    } catch (error) {
      throw new UserInputError(`${relative(this.root, file) || file}: cannot decode image: ${messageOf(error)}`);
    }
  }
}

/**
 * Loads an image-folder tree root/<class>/<file>: class folders sorted by name give the class
 * indices; files are sorted by name within each class. Images are decoded batch by batch.
 */
export function loadImageFolder(root: string, options: ImageFolderOptions): Dataset {
  ensure(Number.isInteger(options.size) && options.size > 0, `image size must be a positive integer, got ${options.size}`);
  const classNames = visibleEntries(root).filter((name) => statSync(join(root, name)).isDirectory());
  ensure(classNames.length > 0, `${root}: no class folders (expected ${root}/<class>/<image files>)`);
  const files: string[] = [];
  const labels: number[] = [];
  classNames.forEach((className, classIndex) => {
    for (const name of visibleEntries(join(root, className))) {
      const file = join(root, className, name);
      if (statSync(file).isDirectory()) continue;
      ensure(
        IMAGE_EXTENSIONS.has(extname(name).toLowerCase()),
        `${join(className, name)}: not an image file (expected one of ${[...IMAGE_EXTENSIONS].join(' ')})`,
      );
      files.push(file);
      labels.push(classIndex);
    }
  });
  ensure(files.length > 0, `${root}: the class folders hold no images`);
  return new Dataset(
    { name: options.name ?? root.split('/').filter(Boolean).pop() ?? root, source: root, split: options.split ?? 'all' },
    new ImageFolderSource(files, options, root),
    Int32Array.from(labels),
    classNames,
  );
}
