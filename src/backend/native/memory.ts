/**
 * Freed memory kept for reuse instead of handed back to the kernel. glibc returns the top of its
 * heap to the kernel once more than 128 KiB is free there and serves blocks over 128 KiB (raised
 * as such blocks are freed) with fresh mappings, so a process that allocates and drops
 * image-sized arrays, as every corruption call does, keeps writing to pages it has never touched.
 * Each such page faults; on the virtual machines this project is measured on that costs about
 * 13 µs a 4 KiB page, 2 ms for one 224×224×3 float32 image, as much as a whole noise corruption.
 * The addon raises both of glibc's thresholds (mallopt), so that freed buffers are reused as
 * they are. It is a process-wide setting: the CLI applies it, the library leaves it to its caller.
 */
import { loadNativeAddon } from './addon.js';
import { NATIVE_ENV, nativeKernelsDisabled } from './status.js';

export type MemoryRetention = { readonly retained: true } | { readonly retained: false; readonly reason: string };

/** The environment variable that keeps glibc's defaults (`0`, `false`, `off` or `no`). */
export const RETAIN_MEMORY_ENV = 'SSL_ROBUST_RETAIN_MEMORY';

/** Blocks below this come from the heap, not fresh mappings: glibc's largest allowed value. */
const MMAP_THRESHOLD_BYTES = 32 * 2 ** 20;
/** Up to this much free memory stays at the top of the heap. */
const TRIM_THRESHOLD_BYTES = 256 * 2 ** 20;

/** Asks glibc, through the native addon, to keep freed memory for reuse; says why not where it cannot. */
export function retainFreedMemory(env: NodeJS.ProcessEnv = process.env): MemoryRetention {
  const setting = env[RETAIN_MEMORY_ENV]?.trim().toLowerCase();
  if (setting === '0' || setting === 'false' || setting === 'off' || setting === 'no') return { retained: false, reason: `turned off by ${RETAIN_MEMORY_ENV}=${env[RETAIN_MEMORY_ENV]}` };
  if (nativeKernelsDisabled(env)) return { retained: false, reason: `the native addon is turned off (${NATIVE_ENV}=${env[NATIVE_ENV]} or --no-native)` };
  const load = loadNativeAddon();
  if (!load.ok) return { retained: false, reason: load.reason };
  return load.addon.retainFreedMemory(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES)
    ? { retained: true }
    : { retained: false, reason: 'the C library is not glibc' };
}
