import type { NativeKernelStatus } from './native/status.js';

/** The compute backends ssl-robust can run on. `auto` picks the best available one. */
export const BACKEND_NAMES = ['wasm', 'webgpu', 'tensorflow', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

/** What a probe found out about one backend on this machine. */
export interface BackendAvailability {
  readonly name: BackendName;
  readonly available: boolean;
  /** Hardware or library behind it, e.g. "NVIDIA H200 (vulkan)" or "llvmpipe (lavapipe)". */
  readonly adapter?: string;
  /** True when the backend runs on a real GPU rather than a CPU emulation. */
  readonly hardwareGpu: boolean;
  /** Why it is unavailable, or a remark worth showing to a user. */
  readonly note?: string;
  /** wasm only: whether the native CPU kernels replace its heavy ones, or why not. */
  readonly nativeKernels?: NativeKernelStatus;
}

/**
 * One backend module: it can tell whether it works here without side effects on the
 * active tfjs engine (probe), and make itself the active tfjs backend (activate).
 */
export interface BackendProvider {
  readonly name: BackendName;
  readonly description: string;
  probe(): Promise<BackendAvailability>;
  /** Registers the tfjs backend (and our extra kernels) if needed, then sets it active. */
  activate(): Promise<void>;
}
