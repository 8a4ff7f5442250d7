import type { AnyCorruption } from '../types.js';
import { brightness } from './brightness.js';

/** The weather corruptions (spatter is an ImageNet-C hold-out). */
export const weatherCorruptions: readonly AnyCorruption[] = [brightness];
