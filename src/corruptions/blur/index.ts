import type { BlurCorruption } from './define.js';
import { defocusBlur } from './defocus-blur.js';
import { gaussianBlur } from './gaussian-blur.js';
import { glassBlur } from './glass-blur.js';
import { motionBlur } from './motion-blur.js';
import { zoomBlur } from './zoom-blur.js';

/** The blur corruptions (gaussian blur is an ImageNet-C hold-out). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const blurCorruptions: readonly BlurCorruption<any>[] = [defocusBlur, glassBlur, motionBlur, zoomBlur, gaussianBlur];
