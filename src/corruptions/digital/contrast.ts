import { channelMeans, clip01 } from '../shared/pixels.js';
import { defineCorruption } from '../types.js';

/** Contrast: (x − mean)·c + mean, with the spatial mean of each channel. */
export const contrast = defineCorruption<number>({
  id: 'contrast',
  group: 'digital',
  summary: 'contrast reduced towards each channel\'s mean; parameter: contrast factor',
  table: {
    imagenet224: [0.4, 0.3, 0.2, 0.1, 0.05],
    cifar32: [0.75, 0.5, 0.4, 0.3, 0.15],
    // CIFAR-like ramp: at ImageNet's 0.05 a 28-px gray garment is a near-uniform field.
    mnist28: [0.75, 0.5, 0.4, 0.3, 0.15],
  },
  channels: 'any',
  preservesConstant: true,
  apply: ({ data, channels }, factor) => {
    const means = channelMeans(data, channels);
    const out = new Float32Array(data.length);
    // Channel by channel (strided) rather than a modulo per value to find each value's mean.
    for (let c = 0; c < channels; c++) {
      const mean = means[c]!;
      for (let i = c; i < data.length; i += channels) out[i] = clip01((data[i]! - mean) * factor + mean);
    }
    return { data: out };
  },
});
