import { ensure } from '../errors.js';

/** Height, width, channels of one image. */
export type ImageShape = readonly [height: number, width: number, channels: number];

/** A random-access store of images: files are read per batch, never all at once unless small. */
export interface ImageSource {
  readonly count: number;
  readonly shape: ImageShape;
  /** Pixels of the images at these indices, NHWC float32 in [0, 1], in the order asked. */
  read(indices: readonly number[]): Promise<Float32Array>;
  /** The image's own file name, for sources that have one (image folders). */
  fileName?(index: number): string;
}

/** Where a dataset came from, for reports and manifests. */
export interface DatasetInfo {
  /** Short name, e.g. "fashion-mnist" or "fashion-mnist-subset". */
  readonly name: string;
  /** Human-readable origin, e.g. the folder or file it was read from. */
  readonly source: string;
  readonly split: string;
}

/** One batch of images, NHWC float32 in [0, 1], with their labels and dataset indices. */
export interface Batch {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly indices: readonly number[];
  readonly shape: readonly [n: number, height: number, width: number, channels: number];
}

export interface BatchOptions {
  /** Stop after this many batches' worth of images have been read ahead (default 1). */
  readonly prefetch?: number;
}

/**
 * A labelled image dataset: one shape for every loader (IDX, image folders, .npy). Images are
 * NHWC float32 in [0, 1], labels are class indices into classNames. Labels are small and held
 * in memory; images are streamed from the source in batches.
 */
export class Dataset {
  constructor(
    readonly info: DatasetInfo,
    private readonly source: ImageSource,
    /** Labels of the images, in the dataset's order. */
    readonly labels: Int32Array,
    readonly classNames: readonly string[],
    /** Which of the source's images this dataset holds, in order; all of them when absent. */
    private readonly order?: readonly number[],
  ) {
    const size = order?.length ?? source.count;
    ensure(labels.length === size, `${info.source}: ${labels.length} labels for ${size} images`);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] as number;
      ensure(
        Number.isInteger(label) && label >= 0 && label < classNames.length,
        () => `${info.source}: label ${label} of image ${i} is not a class index in [0, ${classNames.length - 1}]`,
      );
    }
  }

  get size(): number {
    return this.labels.length;
  }

  get imageShape(): ImageShape {
    return this.source.shape;
  }

  get numClasses(): number {
    return this.classNames.length;
  }

  /** The first `limit` images in file order (all of them when limit is larger). */
  take(limit: number): Dataset {
    ensure(Number.isInteger(limit) && limit > 0, `limit must be a positive integer, got ${limit}`);
    if (limit >= this.size) return this;
    return this.select(Array.from({ length: limit }, (_, i) => i));
  }

  /** The images at these positions of this dataset, in the order given. */
  select(positions: readonly number[]): Dataset {
    const labels = new Int32Array(positions.length);
    const order = positions.map((position, i) => {
      ensure(
        Number.isInteger(position) && position >= 0 && position < this.size,
        `index ${position} is outside the dataset (size ${this.size})`,
      );
      labels[i] = this.labels[position] as number;
      return this.sourceIndex(position);
    });
    return new Dataset(this.info, this.source, labels, this.classNames, order);
  }

  /** A name for the image at this position: its file name where it has one, else its source index. */
  imageName(position: number): string {
    const index = this.sourceIndex(position);
    return this.source.fileName?.(index) ?? String(index).padStart(String(this.source.count - 1).length, '0');
  }

  /** Reads the images at these positions as one NHWC float32 array. */
  read(positions: readonly number[]): Promise<Float32Array> {
    return this.source.read(positions.map((position) => this.sourceIndex(position)));
  }

  /**
   * Streams the dataset in order, batch by batch. The next batch is read while the caller
   * works on the current one, so decoding overlaps with compute.
   */
  async *batches(batchSize: number): AsyncGenerator<Batch> {
    ensure(Number.isInteger(batchSize) && batchSize > 0, `batch size must be a positive integer, got ${batchSize}`);
    const [height, width, channels] = this.imageShape;
    const readBatch = async (start: number): Promise<Batch> => {
      const positions = Array.from({ length: Math.min(batchSize, this.size - start) }, (_, i) => start + i);
      const images = await this.read(positions);
      const labels = this.labels.slice(start, start + positions.length);
      return { images, labels, indices: positions, shape: [positions.length, height, width, channels] };
    };
    let pending: Promise<Batch> | undefined = this.size > 0 ? readBatch(0) : undefined;
    for (let start = 0; pending; start += batchSize) {
      const batch = await pending;
      const next = start + batchSize;
      pending = next < this.size ? readBatch(next) : undefined;
      // A failed read-ahead must not surface as an unhandled rejection if the caller stops early.
      pending?.catch(() => undefined);
      yield batch;
    }
  }

  private sourceIndex(position: number): number {
    return this.order ? (this.order[position] as number) : position;
  }
}
