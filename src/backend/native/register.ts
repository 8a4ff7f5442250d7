/**
 * Registers the native kernels as overrides of the wasm backend's, each wrapping the kernel
 * it replaces (tfjs's own or ours from ../wasm-kernels) as its fallback, so every other op
 * and every tensor stays where it is. Unregistering restores the kernels replaced.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { loadNativeAddon } from './addon.js';
import { castNative, identityNative } from './kernels/alias.js';
import { batchNormTrainingGradNative, batchNormTrainingNative } from './kernels/batch-norm-training.js';
import { batchMatMulNative, fusedMatMulNative } from './kernels/batch-mat-mul.js';
import { conv2DBackpropFilterNative, conv2DBackpropInputNative } from './kernels/conv2d-backprop.js';
import { conv2DNative, fusedConv2DNative } from './kernels/conv2d.js';
import {
  depthwiseBackpropFilterNative,
  depthwiseBackpropInputNative,
  depthwiseConv2dNativeNative,
  fusedDepthwiseConv2DNative,
} from './kernels/depthwise.js';
import type { AddedNativeKernel, NativeKernelDefinition } from './kernels/shared.js';
import { tileNative } from './kernels/tile.js';

export const NATIVE_KERNELS: readonly NativeKernelDefinition[] = [
  conv2DNative,
  fusedConv2DNative,
  conv2DBackpropInputNative,
  conv2DBackpropFilterNative,
  depthwiseConv2dNativeNative,
  fusedDepthwiseConv2DNative,
  depthwiseBackpropInputNative,
  depthwiseBackpropFilterNative,
  batchMatMulNative,
  fusedMatMulNative,
  tileNative,
  identityNative,
  castNative,
];

/** Kernels the addon adds to the wasm backend under names of ssl-robust's own (no wasm original). */
export const ADDED_NATIVE_KERNELS: readonly AddedNativeKernel[] = [batchNormTrainingNative, batchNormTrainingGradNative];

/** Each registered native kernel function → the config it replaced (to restore it). */
const replaced = new WeakMap<KernelFunc, KernelConfig>();

/**
 * Puts the native kernels in front of the wasm backend's. Returns false (and changes
 * nothing) when the addon is unavailable. Idempotent; safe before or after the wasm backend
 * initialises, since each override keeps the replaced kernel's setup and dispose functions.
 */
export function registerNativeKernels(): boolean {
  const load = loadNativeAddon();
  if (!load.ok) return false;
  for (const definition of NATIVE_KERNELS) {
    const current = getKernel(definition.kernelName, 'wasm');
    if (current === undefined || replaced.has(current.kernelFunc)) continue;
    const kernelFunc = definition.make(load.addon, current.kernelFunc);
    replaced.set(kernelFunc, current);
    unregisterKernel(definition.kernelName, 'wasm');
    registerKernel({ ...current, kernelFunc });
  }
  for (const definition of ADDED_NATIVE_KERNELS) {
    if (getKernel(definition.kernelName, 'wasm') === undefined) registerKernel({ kernelName: definition.kernelName, backendName: 'wasm', kernelFunc: definition.make(load.addon) });
  }
  return true;
}

/** Restores the kernels the native ones replaced; a no-op where none are registered. */
export function unregisterNativeKernels(): void {
  for (const definition of NATIVE_KERNELS) {
    const current = getKernel(definition.kernelName, 'wasm');
    const original = current && replaced.get(current.kernelFunc);
    if (original === undefined) continue;
    unregisterKernel(definition.kernelName, 'wasm');
    registerKernel(original);
  }
  for (const definition of ADDED_NATIVE_KERNELS) {
    if (getKernel(definition.kernelName, 'wasm') !== undefined) unregisterKernel(definition.kernelName, 'wasm');
  }
}

/** Whether the wasm backend's `kernelName` is currently a native override. */
export function isNativeKernelRegistered(kernelName: string): boolean {
  const current = getKernel(kernelName, 'wasm');
  return current !== undefined && replaced.has(current.kernelFunc);
}
