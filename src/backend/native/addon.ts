/**
 * The native kernels' Node-API addon (native/, built by scripts/build-native.mjs): loaded
 * lazily, once, from native/build/Release. It is optional: when it was not built (no
 * compiler, no oneDNN or OpenBLAS) or fails to load, `loadNativeAddon` says why and
 * everything runs on the plain wasm kernels.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../paths.js';
import { messageOf } from '../../errors.js';

/** Where scripts/build-native.mjs leaves the addon. */
export const NATIVE_ADDON_PATH = join(PACKAGE_ROOT, 'native', 'build', 'Release', 'ssl_robust_native.node');

/** Activation codes the addon understands (native/src/epilogue.h). */
export const ACTIVATION_CODES = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 } as const;
export type NativeActivation = keyof typeof ACTIVATION_CODES;

/** 0 forward (a = x, b = filter, out = y), 1 input gradient (a = dy, b = filter, out = dx), 2 filter gradient (a = x, b = dy, out = dW). */
export type ConvDirection = 0 | 1 | 2;

/** The addon's functions; every array is read or written in place, sizes checked natively. */
export interface NativeAddon {
  info(): { library: string; threads: number };
  /** Returns undefined when done, or why this geometry is unsupported (the caller falls back). */
  conv(
    direction: ConvDirection,
    geometry: Int32Array,
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    bias: Float32Array | null,
    activation: number,
    alpha: number,
  ): string | undefined;
  gemm(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    aOffsets: Int32Array,
    bOffsets: Int32Array,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    bias: Float32Array | null,
    activation: number,
    alpha: number,
  ): void;
  /** np.tile of a float32 or int32 tensor of `shape` by `reps` into `out`. */
  tile(x: Float32Array | Int32Array, shape: Int32Array, reps: Int32Array, out: Float32Array | Int32Array): void;
  /** Training-mode batch norm of x, [rows, channels] row-major: y and the batch's mean, biased variance and 1/sqrt(variance + ε). */
  batchNormTraining(
    x: Float32Array, rows: number, channels: number, gamma: Float32Array, beta: Float32Array, epsilon: number,
    y: Float32Array, mean: Float32Array, variance: Float32Array, invStd: Float32Array,
  ): void;
  /** Its gradients given dy: dx, dGamma, dBeta. */
  batchNormTrainingGrad(
    dy: Float32Array, x: Float32Array, mean: Float32Array, invStd: Float32Array, gamma: Float32Array, rows: number, channels: number,
    dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
  ): void;
  /** glibc's mallopt: blocks under the first size come from the heap, and up to the second stays free at its top. False outside glibc. */
  retainFreedMemory(mmapThresholdBytes: number, trimThresholdBytes: number): boolean;
}

export type AddonLoad = { readonly ok: true; readonly addon: NativeAddon } | { readonly ok: false; readonly reason: string };

let loaded: AddonLoad | undefined;

/** Loads the addon on first use; later calls return the same outcome. */
export function loadNativeAddon(): AddonLoad {
  loaded ??= tryLoad();
  return loaded;
}

function tryLoad(): AddonLoad {
  if (!existsSync(NATIVE_ADDON_PATH)) {
    return { ok: false, reason: 'the addon is not built (see scripts/install-native-deps.sh, then npm run build:native)' };
  }
  // OpenMP threads that spin between calls would steal the second core from the JS thread's
  // own work and from other processes; oneDNN's calls are long enough not to need spinning.
  process.env['OMP_WAIT_POLICY'] ??= 'PASSIVE';
  try {
    const raw = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    raw.info();
    // A plain object over the addon's (read-only) exports, so tests can observe the calls.
    const addon: NativeAddon = {
      info: () => raw.info(),
      conv: (...args) => raw.conv(...args),
      gemm: (...args) => raw.gemm(...args),
      tile: (...args) => raw.tile(...args),
      batchNormTraining: (...args) => raw.batchNormTraining(...args),
      batchNormTrainingGrad: (...args) => raw.batchNormTrainingGrad(...args),
      retainFreedMemory: (...args) => raw.retainFreedMemory(...args),
    };
    return { ok: true, addon };
  } catch (error) {
    return { ok: false, reason: `the addon failed to load: ${messageOf(error).split('\n')[0]}` };
  }
}
