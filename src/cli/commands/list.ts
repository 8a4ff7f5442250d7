import type { Command } from 'commander';
import { attacks } from '../../attacks/catalogue.js';
import { MIN_EPS_ID } from '../../attacks/min-eps.js';
import { EPS_PRESETS } from '../../attacks/presets.js';
import { REATTACK_CHECKS, sanityChecks } from '../../attacks/sanity/catalogue.js';
import { corruptions } from '../../corruptions/catalogue.js';
import { PROFILE_NAMES } from '../../corruptions/types.js';
import type { CommandHost } from '../program.js';

/** Compact text for one severity's parameters: numbers to 4 significant digits, tuples in brackets. */
function formatParams(params: unknown): string {
  if (typeof params === 'number') return String(Number(params.toPrecision(4)));
  if (Array.isArray(params)) return `(${params.map(formatParams).join(',')})`;
  if (params && typeof params === 'object') return `{${Object.entries(params).map(([k, v]) => `${k}:${formatParams(v)}`).join(' ')}}`;
  return String(params);
}

const MIN_EPS_SEARCH = {
  id: MIN_EPS_ID,
  summary: 'the smallest ε breaking each image, by bisection with PGD up to the largest --eps; gives the median robustness radius',
} as const;

/** The `attack` command's flag for an attack option (random start is on unless turned off). */
function flagFor(option: string): string {
  return option === 'randomStart' ? '--no-random-start' : `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function registerListCommand(program: Command, host: CommandHost): void {
  const list = program.command('list').description('list what ssl-robust can run');
  list
    .command('corruptions')
    .description('the corruption catalogue: groups, channels and each profile\'s five severity parameters')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { io } = host.contextFor(command);
      const entries = corruptions.list();
      if (options.json) {
        io.stdout(`${JSON.stringify(entries.map(({ id, group, summary, channels, preservesConstant, table }) => ({ id, group, summary, channels, preservesConstant, table })), null, 2)}\n`);
        return;
      }
      for (const c of entries) {
        io.stdout(`${c.id}  [${c.group}${c.channels === 'rgb' ? ', colour only' : ''}]  ${c.summary}\n`);
        for (const profile of PROFILE_NAMES) {
          io.stdout(`    ${profile.padEnd(12)} ${c.table[profile].map(formatParams).join('  ')}\n`);
        }
      }
    });

  list
    .command('attacks')
    .description('the attacks: kind, norms, options they take, and the named ε presets')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { io } = host.contextFor(command);
      const entries = attacks.list().map(({ id, summary, kind, norms, accepts, targeted }) => ({ id, summary, kind, norms, accepts, targeted }));
      const checks = sanityChecks.list().map(({ id, summary }) => ({ id, summary, reattacks: REATTACK_CHECKS.includes(id) }));
      if (options.json) {
        io.stdout(`${JSON.stringify({ attacks: entries, search: MIN_EPS_SEARCH, presets: EPS_PRESETS, checks }, null, 2)}\n`);
        return;
      }
      for (const a of entries) {
        io.stdout(`${a.id}  [${a.kind}; ${a.norms.join(', ')}${a.targeted ? '; targeted too' : ''}]  ${a.summary}\n`);
        if (a.accepts.length) io.stdout(`    options: ${a.accepts.map(flagFor).join(' ')}\n`);
      }
      io.stdout(`${MIN_EPS_SEARCH.id}  [search; linf, l2]  ${MIN_EPS_SEARCH.summary}\n    options: --steps --restarts --bisections\n`);
      io.stdout('\nsanity checks (--checks; "quick" skips those marked *):\n');
      for (const c of checks) io.stdout(`  ${(c.id + (c.reattacks ? ' *' : '')).padEnd(28)} ${c.summary}\n`);
      io.stdout('\nε presets (--preset):\n');
      for (const p of EPS_PRESETS) io.stdout(`  ${p.id.padEnd(20)} ${p.norm} ε = ${p.eps.map((e) => Number(e.toPrecision(4))).join(', ')}  ${p.summary}\n`);
    });
}
