import type { AnyCorruption } from '../types.js';

/** MNIST-C's shifts for small grayscale images, graded into five severities. */
export const mnistCShifts: readonly AnyCorruption[] = [];
