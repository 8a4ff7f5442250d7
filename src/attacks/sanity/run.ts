import type { SanityFlag } from '../types.js';
import type { SanityCheck, SanityContext } from './types.js';

/** Runs the checks in order; `checksRun` names those that applied (a skipped one returned null). */
export async function runSanityChecks(checks: readonly SanityCheck[], context: SanityContext): Promise<{ flags: SanityFlag[]; checksRun: string[] }> {
  const flags: SanityFlag[] = [];
  const checksRun: string[] = [];
  for (const check of checks) {
    const found = await check.run(context);
    if (found === null) continue;
    checksRun.push(check.id);
    flags.push(...found);
  }
  return { flags, checksRun };
}
