import * as tf from '@tensorflow/tfjs-core';
import type { BackendAvailability, BackendProvider } from './types.js';

// The tfjs WebGPU backend on Node, through Dawn (npm `webgpu`). On a machine without a
// GPU, Dawn runs on Mesa's lavapipe Vulkan driver (scripts/install-lavapipe.sh).
//
// Both packages are imported lazily: dawn.node is a 20 MB native addon that may fail to
// load, and a failure must turn into `available: false` rather than break every user
// of the backend registry.

const NAME = 'webgpu';
const NO_ADAPTER_NOTE =
  'no Vulkan adapter: install mesa-vulkan-drivers from bookworm-backports (scripts/install-lavapipe.sh)';

type Dawn = typeof import('webgpu');

/**
 * The process's one Dawn instance, made on first use and referenced until the process ends. A
 * Dawn instance left to the garbage collector is destroyed whenever a collection finds it, and
 * on lavapipe that crashed or hung 8 of 68 `ssl-robust backends` runs at exit (abort with
 * "The futex facility returned an unexpected error code", or a segfault); kept, 0 in 64.
 */
let dawnInstance: GPU | undefined;

function dawnGpu(dawn: Dawn): GPU {
  dawnInstance ??= dawn.create([]);
  return dawnInstance;
}

/** Describes the adapter Dawn picked: a display name and whether it is real GPU hardware. */
function describe(info: GPUAdapterInfo): { adapter: string; hardwareGpu: boolean } {
  const fields = [info.vendor, info.architecture, info.device, info.description];
  // Dawn flags CPU-type Vulkan devices (lavapipe, SwiftShader) as fallback adapters; the
  // name check also covers Dawn builds that predate `isFallbackAdapter` on the info.
  const software =
    info.isFallbackAdapter === true ||
    fields.some((f) => /llvmpipe|lavapipe|swiftshader|software/i.test(f ?? ''));
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unknown adapter';
  if (!software) return { adapter: name, hardwareGpu: true };
  return { adapter: `${name} (${/llvmpipe/i.test(name) ? 'lavapipe' : 'software'})`, hardwareGpu: false };
}

/**
 * Asks Dawn for an adapter and a device (then destroys the device). No global of tfjs's is
 * touched, so the active tfjs backend stays as it is.
 */
async function probeOnce(): Promise<BackendAvailability> {
  let dawn: Dawn;
  try {
    dawn = await import('webgpu');
  } catch (err) {
    return { name: NAME, available: false, hardwareGpu: false, note: `cannot load Dawn (npm webgpu): ${message(err)}` };
  }
  try {
    const adapter = await dawnGpu(dawn).requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) return { name: NAME, available: false, hardwareGpu: false, note: NO_ADAPTER_NOTE };
    // An adapter alone does not prove a device can be opened; activate() will need one.
    const device = await adapter.requestDevice();
    device.destroy();
    const { adapter: name, hardwareGpu } = describe(adapter.info);
    return {
      name: NAME,
      available: true,
      adapter: name,
      hardwareGpu,
      ...(hardwareGpu ? {} : { note: 'software adapter: runs on the CPU, correct but slow' }),
    };
  } catch (err) {
    return { name: NAME, available: false, hardwareGpu: false, note: `Dawn: ${message(err)}; ${NO_ADAPTER_NOTE}` };
  }
}

/**
 * tfjs-backend-webgpu is written for browsers: WebGPUBackend's constructor insists on
 * `navigator.gpu`, and its kernels use the GPUBufferUsage/GPUMapMode/GPUTextureUsage
 * constants as globals. Node 20 has neither, so install Dawn's, never replacing
 * existing ones (Node >= 21 has a `navigator` without `gpu`; Deno has both).
 */
function installBrowserGlobals(dawn: Dawn): GPU {
  const g = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(dawn.globals)) if (!(key in g)) g[key] = value;
  const nav = (g['navigator'] ??= {}) as { gpu?: GPU };
  // The process's Dawn instance (dawnGpu), which tfjs finds here.
  nav.gpu ??= dawnGpu(dawn);
  return nav.gpu;
}

/** The tfjs backend factory: tfjs-backend-webgpu's own, minus its dependence on import order. */
async function createBackend(): Promise<tf.KernelBackend> {
  const dawn = await import('webgpu');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  const gpu = installBrowserGlobals(dawn);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) throw new Error(NO_ADAPTER_NOTE);
  // Without explicit requiredLimits a device gets WebGPU's defaults (e.g. 128 MiB storage
  // bindings), well below what real GPUs offer; tfjs sizes its dispatches from these.
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  return new WebGPUBackend(device, adapter.info);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// A probe opens a device (~0.1 s), so a positive answer
// is kept for the process: once a device has opened, the driver is there to stay. A
// negative one is not kept, as it may come from a passing failure.
let found: Promise<BackendAvailability> | undefined;

export const webgpuBackend: BackendProvider = {
  name: NAME,
  description: 'TensorFlow.js WebGPU backend on Dawn (Vulkan; lavapipe on machines without a GPU)',
  probe() {
    if (found) return found;
    const result = probeOnce().catch(
      (err: unknown): BackendAvailability => ({ name: NAME, available: false, hardwareGpu: false, note: message(err) }),
    );
    found = result;
    void result.then((r) => {
      if (!r.available && found === result) found = undefined;
    });
    return result;
  },
  async activate() {
    // tfjs-backend-webgpu registers its own factory on import only when navigator.gpu
    // already exists, so on Node the registration is normally ours. Priority 0: we always
    // select backends by name, and tfjs's default pick must not wander onto this one.
    if (tf.findBackendFactory(NAME) == null) tf.registerBackend(NAME, createBackend, 0);
    // setBackend resolves false (after logging) when the factory throws.
    if (!(await tf.setBackend(NAME))) {
      throw new Error(`tfjs backend "${NAME}" failed to initialise (tfjs logged why above; probe() explains)`);
    }
    await tf.ready();
  },
};
