import { Registry } from '../registry.js';
import { contrast } from './digital/contrast.js';
import { gaussianNoise } from './noise/gaussian-noise.js';
import { impulseNoise } from './noise/impulse-noise.js';
import { shotNoise } from './noise/shot-noise.js';
import { speckleNoise } from './noise/speckle-noise.js';
import type { AnyCorruption } from './types.js';
import { brightness } from './weather/brightness.js';

/** Every built-in corruption, in ImageNet-C's order, then the hold-outs, then the MNIST-C shifts. */
export const corruptions: Registry<AnyCorruption> = new Registry<AnyCorruption>('corruption', [
  gaussianNoise,
  shotNoise,
  impulseNoise,
  brightness,
  contrast,
  speckleNoise,
]);
