import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { nativeKernelsDisabled, nativeKernelStatus, registerNativeKernels, unregisterNativeKernels } from './native/index.js';
import type { BackendProvider } from './types.js';
import { registerWasmGradientKernels } from './wasm-kernels/index.js';

/**
 * WebAssembly with XNNPACK: the CPU default. Our weight-gradient kernels fill its gaps, and
 * the native kernels (oneDNN + OpenBLAS, when built and not turned off) replace its heavy ones.
 */
export const wasmBackend: BackendProvider = {
  name: 'wasm',
  description: 'WebAssembly + XNNPACK on the CPU (default without a GPU)',
  probe: async () => ({
    name: 'wasm',
    available: true,
    hardwareGpu: false,
    adapter: 'WebAssembly (XNNPACK)',
    nativeKernels: nativeKernelStatus(),
  }),
  activate: async () => {
    registerWasmGradientKernels();
    // After the wasm fixes, so that the native kernels fall back to those.
    if (nativeKernelsDisabled()) unregisterNativeKernels();
    else registerNativeKernels();
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('the wasm backend failed to initialise');
    await tf.ready();
  },
};
