#!/usr/bin/env node
import { runCli } from './program.js';

// A reader that stops early (`| head`, `| grep -q`) closes the pipe: not an error of ours, so leave
// quietly instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2));
