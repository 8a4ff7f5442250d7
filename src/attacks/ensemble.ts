import type { Classifier } from '../models/contract.js';
import { checkEps, checkOptions } from './params.js';
import { runStages } from './stages.js';
import { defineAttack, type AnyAttack, type Attack, type AttackBudget, type AttackOptionName, type AttackOptions } from './types.js';

/** One member of the ensemble with its fully resolved parameters. */
export interface EnsembleMember {
  readonly attack: string;
  readonly params: AttackBudget;
}

export interface EnsembleParams extends AttackBudget {
  readonly members: readonly EnsembleMember[];
}

/** The options of `options` that `attack` takes (a shared option such as --steps reaches only those that use it). */
function optionsFor(attack: AnyAttack, options: AttackOptions): AttackOptions {
  return Object.fromEntries(
    Object.entries(options).filter(([name, value]) => value !== undefined && attack.accepts.includes(name as AttackOptionName)),
  ) as AttackOptions;
}

/**
 * An AutoAttack-style ensemble: the members run in order, each from the clean image and only on
 * the examples no earlier member broke, and each example keeps its worst case, recording which
 * member broke it. With APGD-CE → APGD-T → Square this is AutoAttack's standard version without
 * FAB-T.
 */
export function defineEnsemble(id: string, members: readonly AnyAttack[]): Attack<EnsembleParams> {
  const norms = members.reduce<readonly AttackBudget['norm'][]>((shared, member) => shared.filter((norm) => member.norms.includes(norm)), ['linf', 'l2']);
  const accepts = [...new Set(members.flatMap((member) => member.accepts))];
  const ensemble: Attack<EnsembleParams> = defineAttack<EnsembleParams>({
    id,
    summary: `${members.map((member) => member.id).join(' → ')}, each on the examples still unbroken; worst case per example (AutoAttack-style)`,
    kind: members.every((member) => member.kind === 'black-box') ? 'black-box' : 'white-box',
    norms,
    accepts,
    targeted: false,
    resolve(eps, options) {
      checkOptions(ensemble, options);
      const norm = options.norm ?? 'linf';
      checkEps(eps, norm);
      const resolved = members.map((member) => ({
        attack: member.id,
        params: member.resolve(eps, { ...optionsFor(member, options), ...(member.accepts.includes('norm') ? { norm } : {}) }) as AttackBudget,
      }));
      return { eps, norm, members: resolved };
    },
    run(classifier: Classifier, input, params) {
      return runStages(
        input,
        params.members.map((member, k) => ({
          id: member.attack,
          run: (subset) => (members[k] as AnyAttack).run(classifier, subset, member.params),
        })),
      );
    },
  });
  return ensemble;
}
