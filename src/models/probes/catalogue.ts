import { Registry } from '../../registry.js';
import { knnProbe } from './knn.js';
import { linearProbe } from './linear.js';
import { prototypeProbe } from './prototype.js';
import type { ProbeProtocol } from './types.js';

/** Every evaluation protocol on frozen features, one module each. */
export const probeProtocols: Registry<ProbeProtocol> = new Registry<ProbeProtocol>('probe protocol', [linearProbe, knnProbe, prototypeProbe]);
