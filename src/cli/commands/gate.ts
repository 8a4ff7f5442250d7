import type { Command } from 'commander';
import { join } from 'node:path';
import { ensure } from '../../errors.js';
import { writeFileAtomic } from '../../models/files.js';
import { junitReport } from '../../report/junit.js';
import { DEFAULT_OUT, readConfigFile } from '../../runner/audit/config.js';
import { gate, parseRule } from '../../runner/audit/gate.js';
import { readResultsFile } from '../../runner/audit/results.js';
import type { CommandHost } from '../program.js';

interface GateCliOptions {
  results: string;
  rule?: string[];
  config?: string;
  junit?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerGateCommand(program: Command, host: CommandHost): void {
  program
    .command('gate')
    .description('check an audit\'s results against release rules: exit 0 if all hold, 1 if one fails, 2 on bad input')
    .option('--results <file>', 'results.json of an audit', join(DEFAULT_OUT, 'results.json'))
    .option('--rule <rule>', 'e.g. "clean.accuracy>=0.9", "corruption.mce<=1.0", "fmnist-cnn:attack.linf@0.1.robustAccuracy>=0.2" (repeatable)', collect)
    .option('--config <file>', 'take the rules from a config file\'s gate: list as well')
    .option('--junit <file>', 'also write a JUnit XML file with one test case per rule and backbone')
    .option('--json', 'print the outcome as one JSON object')
    .action(async (options: GateCliOptions, command: Command) => {
      const { io } = host.contextFor(command);
      const rules = [...(options.config ? readConfigFile(options.config).gate ?? [] : []), ...(options.rule ?? [])];
      ensure(rules.length > 0, 'no gate rules: give --rule (repeatable) or --config with a gate: list');
      const parsed = rules.map(parseRule);
      const results = readResultsFile(options.results);
      const report = gate(results, parsed);
      if (options.junit) await writeFileAtomic(options.junit, junitReport({ ...results, gate: report }));
      if (options.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const outcome of report.outcomes) io.stdout(`${outcome.message}\n`);
        io.stdout(`gate: ${report.passed ? 'passed' : 'FAILED'} (${report.outcomes.filter((o) => o.passed).length}/${report.outcomes.length} checks hold)\n`);
      }
      host.setExitCode(report.passed ? 0 : 1);
    });
}
