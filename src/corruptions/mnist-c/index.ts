import type { AnyCorruption } from '../types.js';
import { cannyEdges } from './canny-edges.js';
import { dottedLine } from './dotted-line.js';
import { inverse } from './inverse.js';
import { rotate } from './rotate.js';
import { scale } from './scale.js';
import { shear } from './shear.js';
import { stripe } from './stripe.js';
import { translate } from './translate.js';
import { zigzag } from './zigzag.js';

/** MNIST-C's shifts for small grayscale images, graded into five severities (docs/mnist-c.md). */
export const mnistCShifts: readonly AnyCorruption[] = [shear, scale, rotate, translate, stripe, dottedLine, zigzag, cannyEdges, inverse];
