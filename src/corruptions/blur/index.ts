import type { AnyCorruption } from '../types.js';

/** The blur corruptions (gaussian blur is an ImageNet-C hold-out). */
export const blurCorruptions: readonly AnyCorruption[] = [];
