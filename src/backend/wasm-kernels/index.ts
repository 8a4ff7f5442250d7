/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks, so that `tf.grad`
 * through conv2d filters and through depthwiseConv2d (filter and input) works on wasm.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterWasmConfig } from './depthwise-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputWasmConfig } from './depthwise-backprop-input.js';
import { maxPoolGradWasmConfig } from './max-pool-grad.js';

export { conv2DBackpropFilterWasm, conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
export { conv2DBackpropInputWasm, conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';
export {
  depthwiseConv2dNativeBackpropFilterWasm,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
} from './depthwise-backprop-filter.js';
export {
  depthwiseConv2dNativeBackpropInputWasm,
  depthwiseConv2dNativeBackpropInputWasmConfig,
} from './depthwise-backprop-input.js';

export const wasmGradientKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropFilterWasmConfig,
  depthwiseConv2dNativeBackpropInputWasmConfig,
];

/**
 * Kernels that tfjs-backend-wasm 4.22 has but computes wrongly (MaxPoolGrad) or ~10× too
 * slowly (Conv2DBackpropInput, a scalar loop); ours replace them.
 */
export const wasmKernelFixes: readonly KernelConfig[] = [maxPoolGradWasmConfig, conv2DBackpropInputWasmConfig];

/**
 * Registers the kernels above for the 'wasm' backend. Safe to call any number of times,
 * before or after the backend is initialised: a kernel already registered (by an earlier
 * call, or by a future tfjs release that ships its own) is left alone. The kernels need
 * no setup function, so registering after initialisation is fine.
 */
export function registerWasmGradientKernels(): void {
  for (const config of wasmGradientKernels) {
    if (getKernel(config.kernelName, config.backendName) === undefined) registerKernel(config);
  }
  for (const config of wasmKernelFixes) {
    const registered = getKernel(config.kernelName, config.backendName);
    if (registered?.kernelFunc === config.kernelFunc) continue;
    if (registered) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
