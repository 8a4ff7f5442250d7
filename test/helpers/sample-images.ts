import type { ImageBatchData } from '../../src/corruptions/apply.js';
import { resizeBilinear } from '../../src/corruptions/shared/sampling.js';
import { openDataset } from '../../src/data/open.js';

/**
 * Real images at each profile's scale from the bundled Fashion-MNIST subset: the gray 28×28
 * originals, or the same garments resized and tinted (a warm garment on a slate ground, both
 * moderately saturated so that saturation can move either way) for colour images.
 */
export async function sampleImages(count: number, size: 28 | 32 | 224, channels: 1 | 3 = size === 28 ? 1 : 3): Promise<ImageBatchData> {
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  const gray = await dataset.read(Array.from({ length: count }, (_, i) => (i * 151) % dataset.size));
  if (channels === 1 && size === 28) return { images: gray, shape: [count, 28, 28, 1] };
  if (channels === 1) throw new Error('gray sample images come at 28×28 only');
  const images = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    const resized = resizeBilinear({ data: gray.subarray(n * 784, (n + 1) * 784), height: 28, width: 28, channels: 1 }, size, size);
    for (let p = 0; p < size * size; p++) {
      const v = resized[p]!;
      images.set([0.25 + 0.6 * v, 0.3 + 0.4 * v, 0.45 + 0.1 * v], (n * size * size + p) * 3);
    }
  }
  return { images, shape: [count, size, size, 3] };
}
