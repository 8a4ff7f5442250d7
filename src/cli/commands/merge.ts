import type { Command } from 'commander';
import { mergeAudits } from '../../runner/audit/merge.js';
import type { CommandHost } from '../program.js';
import { printAuditSummary } from './audit.js';

export function registerMergeCommand(program: Command, host: CommandHost): void {
  program
    .command('merge')
    .description('combine the output folders of audit shards (--shard i/n) into one result, as a single run would write it')
    .argument('<folders...>', 'the shard output folders')
    .requiredOption('--out <dir>', 'where to write the merged results and reports')
    .action(async (folders: string[], options: { out: string }, command: Command) => {
      const { io } = host.contextFor(command);
      const outcome = await mergeAudits(folders, options.out);
      printAuditSummary(io, outcome.results, outcome.files);
      if (outcome.results.gate && !outcome.results.gate.passed) host.setExitCode(1);
    });
}
