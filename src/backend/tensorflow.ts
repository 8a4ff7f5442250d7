import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendAvailability, BackendProvider } from './types.js';

/**
 * libtensorflow through tfjs-node. It is an optional peer, never installed by default: its
 * install step downloads libtensorflow, which fails on machines without general internet.
 */
const PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function installedPackage(): (typeof PACKAGES)[number] | undefined {
  const require = createRequire(import.meta.url);
  return PACKAGES.find((name) => {
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  });
}

export const tensorflowBackend: BackendProvider = {
  name: 'tensorflow',
  description: 'libtensorflow via @tensorflow/tfjs-node(-gpu), when installed',
  probe: async (): Promise<BackendAvailability> => {
    const pkg = installedPackage();
    if (!pkg) {
      return {
        name: 'tensorflow',
        available: false,
        hardwareGpu: false,
        note: 'not installed (npm install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu; needs internet access at install)',
      };
    }
    return { name: 'tensorflow', available: true, hardwareGpu: pkg.endsWith('-gpu'), adapter: pkg };
  },
  activate: async () => {
    const pkg = installedPackage();
    if (!pkg) throw new Error('tfjs-node is not installed');
    await import(pkg);
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} did not register the tensorflow backend`);
    await tf.ready();
  },
};
