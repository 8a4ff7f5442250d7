import { defineCorruption } from '../types.js';
import { canny, luminance } from './canny.js';
import { ramp } from './tables.js';

export interface CannyEdgesParams {
  /** Blend weight of the edge map: (1 − weight)·x + weight·edges; 1 is MNIST-C's edges-only image. */
  readonly weight: number;
  /** Gaussian σ of Canny's smoothing, in pixels. */
  readonly sigma: number;
  /** Hysteresis thresholds on the Sobel gradient magnitude. */
  readonly low: number;
  readonly high: number;
}

/** Severities blend evenly towards MNIST-C's edges-only image, which is severity 5. */
const WEIGHTS = [0.2, 0.4, 0.6, 0.8, 1] as const;
const at = (sigma: number) => ramp(WEIGHTS, (weight) => ({ weight, sigma, low: 0.1, high: 0.2 }));

/**
 * Canny edges, as MNIST-C's `canny_edges` (`feature.canny(x)`, scikit-image's defaults σ = 1,
 * thresholds 0.1 / 0.2): the edge map (1 on edges, 0 elsewhere) blended over the image. Canny runs
 * on the luminance of RGB images and its map is written to every channel. A constant image has no
 * edges and comes out constant, (1 − weight)·x.
 */
export const cannyEdges = defineCorruption<CannyEdgesParams>({
  id: 'canny_edges',
  group: 'mnist-c',
  summary: 'Canny edge map (σ 1–2, thresholds 0.1/0.2) blended over the image; parameter: edge-map weight',
  table: {
    // σ = 2 px: a 224-px photo has pixel-scale texture that σ = 1 turns into clutter.
    imagenet224: at(2),
    cifar32: at(1),
    mnist28: at(1),
  },
  channels: 'any',
  preservesConstant: true,
  apply: (image, { weight, sigma, low, high }) => {
    const { data, height, width, channels } = image;
    const edges = canny(luminance(image), height, width, { sigma, low, high });
    const out = new Float32Array(data.length);
    const keep = 1 - weight;
    for (let p = 0; p < edges.length; p++) {
      const e = weight * edges[p]!;
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        out[i] = weight === 1 ? e : Math.min(1, keep * data[i]! + e);
      }
    }
    return { data: out };
  },
});
