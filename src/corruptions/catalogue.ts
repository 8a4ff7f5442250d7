import { Registry } from '../registry.js';
import { blurCorruptions } from './blur/index.js';
import { digitalCorruptions } from './digital/index.js';
import { mnistCShifts } from './mnist-c/index.js';
import { noiseCorruptions } from './noise/index.js';
import type { AnyCorruption, CorruptionGroup } from './types.js';
import { weatherCorruptions } from './weather/index.js';

/** Every built-in corruption: each group's folder lists its own modules. */
export const corruptions: Registry<AnyCorruption> = new Registry<AnyCorruption>('corruption', [
  ...noiseCorruptions,
  ...blurCorruptions,
  ...weatherCorruptions,
  ...digitalCorruptions,
  ...mnistCShifts,
]);

/** The ImageNet-C benchmark groups (the 15), the hold-outs (4), and MNIST-C's shifts. */
export function corruptionsInGroup(group: CorruptionGroup): AnyCorruption[] {
  return corruptions.list().filter((c) => c.group === group);
}
