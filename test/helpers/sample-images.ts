import type { ImageBatchData } from '../../src/corruptions/apply.js';
import { resizeBilinear } from '../../src/corruptions/shared/sampling.js';
import { openDataset } from '../../src/data/open.js';

/**
 * Real images at each profile's scale from the bundled Fashion-MNIST subset: the gray 28×28
 * originals, and for the RGB profiles the same garments upscaled and tinted (a warm garment
 * on a blue-gray ground) so colour corruptions have colour to act on.
 */
export async function sampleImages(count: number, size: 28 | 32 | 224): Promise<ImageBatchData> {
  const { dataset } = await openDataset({ spec: 'fashion-mnist-subset', split: 'test' });
  const gray = await dataset.read(Array.from({ length: count }, (_, i) => (i * 151) % dataset.size));
  if (size === 28) return { images: gray, shape: [count, 28, 28, 1] };
  const images = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    const resized = resizeBilinear({ data: gray.subarray(n * 784, (n + 1) * 784), height: 28, width: 28, channels: 1 }, size, size);
    for (let p = 0; p < size * size; p++) {
      const v = resized[p]!;
      images.set([v, 0.2 + 0.6 * v, 0.5 * (1 - v) + 0.3 * v], (n * size * size + p) * 3);
    }
  }
  return { images, shape: [count, size, size, 3] };
}
