/**
 * Whether the wasm backend runs with the native kernels, for `ssl-robust backends` and the
 * library: active with the libraries behind them, or off with the reason.
 */
import { loadNativeAddon } from './addon.js';

export type NativeKernelStatus =
  | { readonly active: true; readonly library: string; readonly threads: number }
  | { readonly active: false; readonly reason: string };

/** The environment variable that turns the native kernels off (`0`, `false`, `off` or `no`). */
export const NATIVE_ENV = 'SSL_ROBUST_NATIVE';

export function nativeKernelsDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[NATIVE_ENV]?.trim().toLowerCase();
  return value === '0' || value === 'false' || value === 'off' || value === 'no';
}

/** Loads the addon if it is enabled (and not loaded yet); never registers anything. */
export function nativeKernelStatus(env: NodeJS.ProcessEnv = process.env): NativeKernelStatus {
  if (nativeKernelsDisabled(env)) return { active: false, reason: `turned off by ${NATIVE_ENV}=${env[NATIVE_ENV]} or --no-native` };
  const load = loadNativeAddon();
  if (!load.ok) return { active: false, reason: load.reason };
  const { library, threads } = load.addon.info();
  return { active: true, library, threads };
}

/** One line: "active (oneDNN 2.6.3 (OpenMP) + OpenBLAS 0.3.21, 2 threads)" or "off (reason)". */
export function describeNativeStatus(status: NativeKernelStatus): string {
  return status.active ? `active (${status.library}, ${status.threads} threads)` : `off (${status.reason})`;
}
