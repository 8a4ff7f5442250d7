import { ensure } from '../errors.js';
import './gradients.js';
import { cpuBackend } from './cpu.js';
import { tensorflowBackend } from './tensorflow.js';
import { BACKEND_NAMES, type BackendAvailability, type BackendChoice, type BackendName, type BackendProvider } from './types.js';
import { wasmBackend } from './wasm.js';
import { webgpuBackend } from './webgpu.js';

export type { BackendAvailability, BackendChoice, BackendName, BackendProvider } from './types.js';
export { BACKEND_NAMES } from './types.js';

/** Every backend ssl-robust knows, by name. */
const PROVIDERS: Readonly<Record<BackendName, BackendProvider>> = {
  wasm: wasmBackend,
  webgpu: webgpuBackend,
  tensorflow: tensorflowBackend,
  cpu: cpuBackend,
};

export function backendProvider(name: BackendName): BackendProvider {
  return PROVIDERS[name];
}

/** Parses a --backend / SSL_ROBUST_BACKEND value. */
export function parseBackendChoice(value: string): BackendChoice {
  const choices: readonly string[] = ['auto', ...BACKEND_NAMES];
  ensure(choices.includes(value), `unknown backend '${value}' (known: ${choices.join(', ')})`);
  return value as BackendChoice;
}

/** Probes every backend; never changes the active one. */
export async function probeBackends(): Promise<BackendAvailability[]> {
  return Promise.all(BACKEND_NAMES.map((name) => PROVIDERS[name].probe()));
}

/** What `auto` picks: tensorflow on a GPU > webgpu on a real GPU > tensorflow on the CPU > wasm. */
export function autoChoice(found: readonly BackendAvailability[]): BackendName {
  const has = (name: BackendName, gpu?: boolean) =>
    found.some((b) => b.name === name && b.available && (gpu === undefined || b.hardwareGpu === gpu));
  if (has('tensorflow', true)) return 'tensorflow';
  if (has('webgpu', true)) return 'webgpu';
  if (has('tensorflow')) return 'tensorflow';
  return 'wasm';
}

/** Activates the chosen backend (probing first, so an unavailable one gets a clear reason). */
export async function useBackend(choice: BackendChoice): Promise<BackendAvailability> {
  const name = choice === 'auto' ? autoChoice(await probeBackends()) : choice;
  const provider = PROVIDERS[name];
  const found = await provider.probe();
  ensure(found.available, `backend ${name} is not available here: ${found.note ?? 'unknown reason'}`);
  await provider.activate();
  return found;
}
