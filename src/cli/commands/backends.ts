import type { Command } from 'commander';
import { autoChoice, probeBackends } from '../../backend/index.js';
import { describeNativeStatus, retainFreedMemory } from '../../backend/native/index.js';
import type { CommandHost } from '../program.js';

export function registerBackendsCommand(program: Command, host: CommandHost): void {
  program
    .command('backends')
    .description('list the compute backends available here, with their adapters, and what auto would pick')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { io } = host.contextFor(command);
      const found = await probeBackends();
      const auto = autoChoice(found);
      if (options.json) {
        io.stdout(`${JSON.stringify({ backends: found, auto }, null, 2)}\n`);
        return;
      }
      for (const b of found) {
        const state = b.available ? 'available' : 'unavailable';
        const detail = [b.adapter, b.hardwareGpu ? 'GPU' : undefined, b.note].filter(Boolean).join('; ');
        io.stdout(`${b.name.padEnd(11)} ${state.padEnd(12)} ${detail}\n`);
        if (b.nativeKernels) io.stdout(`${''.padEnd(24)} native kernels: ${describeNativeStatus(b.nativeKernels)}\n`);
      }
      io.stdout(`auto → ${auto}\n`);
      // Applied by the CLI before any command (idempotent): this reports the outcome.
      const retention = retainFreedMemory();
      io.stdout(`memory: ${retention.retained ? 'freed memory kept for reuse (glibc)' : `C library defaults (${retention.reason})`}\n`);
    });
}
