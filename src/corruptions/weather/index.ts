import type { AnyCorruption } from '../types.js';
import { brightness } from './brightness.js';
import { fog } from './fog.js';
import { frost } from './frost.js';
import { snow } from './snow.js';
import { spatter } from './spatter.js';

/** The weather corruptions (spatter is an ImageNet-C hold-out). */
export const weatherCorruptions: readonly AnyCorruption[] = [snow, frost, fog, brightness, spatter];
