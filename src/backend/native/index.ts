export { loadNativeAddon, NATIVE_ADDON_PATH, type NativeAddon } from './addon.js';
export { isNativeKernelRegistered, NATIVE_KERNELS, registerNativeKernels, unregisterNativeKernels } from './register.js';
export { describeNativeStatus, NATIVE_ENV, nativeKernelStatus, nativeKernelsDisabled, type NativeKernelStatus } from './status.js';
export { retainFreedMemory, RETAIN_MEMORY_ENV, type MemoryRetention } from './memory.js';
