import type { AnyCorruption } from '../types.js';
import { contrast } from './contrast.js';

/** The digital corruptions (saturate is an ImageNet-C hold-out). */
export const digitalCorruptions: readonly AnyCorruption[] = [contrast];
