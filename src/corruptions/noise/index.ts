import type { AnyCorruption } from '../types.js';
import { gaussianNoise } from './gaussian-noise.js';
import { impulseNoise } from './impulse-noise.js';
import { shotNoise } from './shot-noise.js';
import { speckleNoise } from './speckle-noise.js';

/** The noise corruptions (speckle noise is an ImageNet-C hold-out). */
export const noiseCorruptions: readonly AnyCorruption[] = [gaussianNoise, shotNoise, impulseNoise, speckleNoise];
