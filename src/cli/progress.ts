/** Where the CLI writes: injectable so tests run commands in-process and read what they printed. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is an interactive terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
};

export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const SILENT: Progress = { update: () => undefined, finish: () => undefined };

/**
 * A one-line progress bar on stderr. It appears only on a terminal, only without --quiet, and
 * only once the work has taken over a second, so quick commands and logs stay clean.
 */
export function progressBar(io: CliIo, label: string, quiet: boolean, now: () => number = () => performance.now()): Progress {
  if (quiet || !io.stderrIsTTY) return SILENT;
  const started = now();
  let drawn = false;
  return {
    update(done, total) {
      const elapsed = (now() - started) / 1000;
      if (elapsed < 1 && done < total) return;
      const width = 30;
      const filled = total > 0 ? Math.round((width * done) / total) : width;
      const eta = done > 0 && done < total ? ` eta ${((elapsed * (total - done)) / done).toFixed(0)}s` : '';
      io.stderr(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${elapsed.toFixed(1)}s${eta}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) io.stderr('\n');
    },
  };
}
