import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendProvider } from './types.js';

/** The pure-JavaScript fallback: slow but available everywhere, and the numerical reference in tests. */
export const cpuBackend: BackendProvider = {
  name: 'cpu',
  description: 'pure JavaScript (reference, slow)',
  probe: async () => ({ name: 'cpu', available: true, hardwareGpu: false, adapter: 'JavaScript' }),
  activate: async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  },
};
