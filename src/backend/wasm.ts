import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendProvider } from './types.js';
import { registerWasmGradientKernels } from './wasm-kernels/index.js';

/** WebAssembly with XNNPACK: the CPU default. Our weight-gradient kernels fill its gaps. */
export const wasmBackend: BackendProvider = {
  name: 'wasm',
  description: 'WebAssembly + XNNPACK on the CPU (default without a GPU)',
  probe: async () => ({ name: 'wasm', available: true, hardwareGpu: false, adapter: 'WebAssembly (XNNPACK)' }),
  activate: async () => {
    registerWasmGradientKernels();
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the wasm backend failed to initialise');
    await tf.ready();
  },
};
