import type { AnyCorruption } from '../types.js';
import { contrast } from './contrast.js';
import { elasticTransform } from './elastic-transform.js';
import { jpegCompression } from './jpeg-compression.js';
import { pixelate } from './pixelate.js';
import { saturate } from './saturate.js';

/** The digital corruptions, then saturate (an ImageNet-C hold-out, group 'holdout'). */
export const digitalCorruptions: readonly AnyCorruption[] = [contrast, elasticTransform, pixelate, jpegCompression, saturate];
