import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { tempFolder } from '../helpers/files.js';

it('draws a progress bar of cells on a terminal, and none with --quiet', async () => {
  const run = async (...extra: string[]) => {
    let stderr = '';
    const code = await runCli(
      ['--backend', 'wasm', ...extra, 'audit', '--model', 'fmnist-cnn', '--limit', '64', '--corruptions', 'fog', '--severities', '1,2', '--families', 'corruption', '--out', join(tempFolder(), 'out')],
      { stdout: () => undefined, stderr: (text) => void (stderr += text), stderrIsTTY: true, env: {} },
    );
    return { code, stderr };
  };
  const shown = await run();
  expect(shown.code, shown.stderr).toBe(0);
  expect(shown.stderr).toMatch(/\raudit \[#*\.*\] 0\/3 cells \d+s fmnist-cnn\/clean\/clean@-/);
  expect(shown.stderr).toMatch(/\raudit \[#{30}\] 3\/3 cells/);
  const quiet = await run('--quiet');
  expect(quiet.code).toBe(0);
  expect(quiet.stderr).toBe('');
});
