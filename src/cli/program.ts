import { Command, CommanderError, Option } from 'commander';
import { NATIVE_ENV, retainFreedMemory } from '../backend/native/index.js';
import { messageOf, UserInputError } from '../errors.js';
import { RandomStream } from '../random/stream.js';
import { registerAttackCommand } from './commands/attack.js';
import { registerAuditCommand } from './commands/audit.js';
import { registerGateCommand } from './commands/gate.js';
import { registerInspectCommand } from './commands/inspect.js';
import { registerMergeCommand } from './commands/merge.js';
import { registerBackendsCommand } from './commands/backends.js';
import { registerCorruptCommand } from './commands/corrupt.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerListCommand } from './commands/list.js';
import { registerProbeCommand } from './commands/probe.js';
import { registerSplitCommand } from './commands/split.js';
import { registerZooCommand } from './commands/zoo.js';
import { parseBackendOption, parseSeed, type CommandContext } from './options.js';
import { processIo, type CliIo } from './progress.js';
import { VERSION } from './version.js';

/** What a command module gets to hook itself into the program. */
export interface CommandHost {
  /** The shared context (io, global options, seeded generator) for a running command. */
  contextFor(command: Command): CommandContext;
  /** Sets the process exit code for commands whose outcome is not just success (e.g. a gate). */
  setExitCode(code: number): void;
}

/** Each subcommand registers itself from its own module. */
const COMMANDS: readonly ((program: Command, host: CommandHost) => void)[] = [
  registerEvalCommand,
  registerCorruptCommand,
  registerAttackCommand,
  registerProbeCommand,
  registerListCommand,
  registerSplitCommand,
  registerBackendsCommand,
  registerAuditCommand,
  registerGateCommand,
  registerMergeCommand,
  registerZooCommand,
  registerInspectCommand,
];

/**
 * Runs the CLI on argv (without the node and script entries) and returns the exit code:
 * 0 success, 1 a bug (or a failed gate), 2 bad input. Never throws.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('ssl-robust')
    .description('Robustness testing for image backbones: is a self-supervised backbone more robust than a supervised one?')
    .version(VERSION)
    .addOption(
      new Option('--backend <name>', 'compute backend: auto, wasm, webgpu, tensorflow or cpu')
        .env('SSL_ROBUST_BACKEND')
        .default('auto')
        .argParser(parseBackendOption),
    )
    .addOption(new Option('--seed <n>', 'seed for every random draw').default(0).argParser(parseSeed))
    .option('--quiet', 'no progress bars or notes on stderr', false)
    .option('--no-native', 'run the wasm backend without the native CPU kernels (same as SSL_ROBUST_NATIVE=0)')
    // The wasm backend reads the setting from the environment when it activates.
    .hook('preAction', (root) => {
      if (root.opts<{ native: boolean }>().native === false) process.env[NATIVE_ENV] = '0';
      // The CLI owns its process: let freed image buffers be reused (see retainFreedMemory). Where
      // that is not possible, everything runs the same, with more page faults.
      retainFreedMemory();
    })
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const host: CommandHost = {
    contextFor(command) {
      const globals = command.optsWithGlobals<{ backend: CommandContext['globals']['backend']; seed: number; quiet: boolean }>();
      return { io, globals, random: RandomStream.fromSeed(globals.seed) };
    },
    setExitCode(code) {
      exitCode = code;
    },
  };
  for (const register of COMMANDS) register(program, host);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function exitCodeFor(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; commander has already printed its one-line usage error otherwise.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof UserInputError) {
    io.stderr(`ssl-robust: error: ${error.message}\n`);
    return 2;
  }
  io.stderr(`ssl-robust: internal error: ${messageOf(error)}\n`);
  if (io.env['SSL_ROBUST_DEBUG']) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
  else io.stderr('(this is a bug; rerun with SSL_ROBUST_DEBUG=1 for the stack trace and report it)\n');
  return 1;
}
