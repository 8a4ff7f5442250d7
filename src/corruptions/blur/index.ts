import type { AnyCorruption } from '../types.js';
import { defocusBlur } from './defocus-blur.js';
import { gaussianBlur } from './gaussian-blur.js';
import { glassBlur } from './glass-blur.js';
import { motionBlur } from './motion-blur.js';
import { zoomBlur } from './zoom-blur.js';

/** The blur corruptions (gaussian blur is an ImageNet-C hold-out). */
export const blurCorruptions: readonly AnyCorruption[] = [defocusBlur, glassBlur, motionBlur, zoomBlur, gaussianBlur];
