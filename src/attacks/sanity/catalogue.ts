import { Registry } from '../../registry.js';
import { batchSizeInvariance, deterministicOutputs, inputGradients, logitsNotProbabilities } from './model-probes.js';
import { iterativeBeatsOneStep, moreEffortNoBetter, unboundedReachesZero, whiteBoxBeatsBlackBox } from './reattacks.js';
import { monotoneInEps, normWithinBudget } from './result-checks.js';
import type { SanityCheck } from './types.js';

/** Every sanity check, in the order they run: cheap model probes, then result checks, then re-attacks. */
export const sanityChecks: Registry<SanityCheck> = new Registry<SanityCheck>('sanity check', [
  deterministicOutputs,
  batchSizeInvariance,
  logitsNotProbabilities,
  inputGradients,
  normWithinBudget,
  monotoneInEps,
  iterativeBeatsOneStep,
  moreEffortNoBetter,
  whiteBoxBeatsBlackBox,
  unboundedReachesZero,
]);

/** The checks that attack again (slower); `quick` skips them. */
export const REATTACK_CHECKS: readonly string[] = [iterativeBeatsOneStep.id, moreEffortNoBetter.id, whiteBoxBeatsBlackBox.id, unboundedReachesZero.id];

/** all, quick (no re-attacks), none, or a comma-separated list of check ids. */
export type CheckSelection = 'all' | 'quick' | 'none' | readonly string[];

export function selectChecks(selection: CheckSelection): SanityCheck[] {
  if (selection === 'none') return [];
  if (selection === 'all') return sanityChecks.list();
  if (selection === 'quick') return sanityChecks.list().filter((check) => !REATTACK_CHECKS.includes(check.id));
  return selection.map((id) => sanityChecks.get(id));
}
