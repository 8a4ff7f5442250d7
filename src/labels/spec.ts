import { readFileSync } from 'node:fs';
import { ensure, messageOf, UserInputError } from '../errors.js';
import { imbalanceProfiles, labelNoise } from './catalogue.js';
import { FEW_SHOT_DEFAULT_EPISODES, FEW_SHOT_DEFAULT_QUERIES, checkFewShotParams, type FewShotParams } from './few-shot.js';
import { classIndex } from './noise/class-maps.js';
import {
  NOISE_SAMPLINGS,
  type AnyImbalanceProfile,
  type AnyLabelNoiseModel,
  type ImbalanceParams,
  type NoiseParams,
  type NoiseSampling,
  type NoiseSpecContext,
} from './types.js';

/** Spellings from the literature and from habit, for the registry ids. */
const NOISE_ALIASES: Readonly<Record<string, string>> = {
  sym: 'symmetric',
  uniform: 'uniform-mix',
  unif: 'uniform-mix',
  pair: 'pair-flip',
  pairflip: 'pair-flip',
  asymmetric: 'asym',
  instance: 'idn',
  'instance-dependent': 'idn',
};
const IMBALANCE_ALIASES: Readonly<Record<string, string>> = { lt: 'longtail', 'long-tail': 'longtail', exp: 'longtail', exponential: 'longtail' };

export interface ParsedNoise {
  readonly spec: string;
  readonly model: AnyLabelNoiseModel;
  readonly params: NoiseParams;
}

export interface ParsedImbalance {
  readonly spec: string;
  readonly profile: AnyImbalanceProfile;
  readonly params: ImbalanceParams;
}

function splitSpec(text: string, what: string, example: string): [name: string, args: string[]] {
  const parts = text.trim().split(':');
  const name = parts[0]!.toLowerCase();
  ensure(name !== '', `--${what}: empty spec (e.g. ${example})`);
  return [name, parts.slice(1)];
}

/** Reads class-map files for `asym:<map.json>:<rate>`, with one-line errors. */
export function noiseSpecContext(classNames: readonly string[]): NoiseSpecContext {
  return {
    classNames,
    readTextFile(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        throw new UserInputError(`${path}: cannot read the class map: ${messageOf(error)}`);
      }
    },
  };
}

/** `symmetric:0.4`, `asym:fashion-mnist:0.3`, `idn:0.2` … into a noise model and its parameters. */
export function parseNoiseSpec(text: string, context: NoiseSpecContext, sampling: NoiseSampling = 'per-example'): ParsedNoise {
  const [name, args] = splitSpec(text, 'noise', 'symmetric:0.4');
  const model = labelNoise.get(NOISE_ALIASES[name] ?? name);
  ensure((NOISE_SAMPLINGS as readonly string[]).includes(sampling), `unknown noise sampling '${sampling}' (known: ${NOISE_SAMPLINGS.join(', ')})`);
  ensure(model.samplings.includes(sampling), `${model.id} noise supports ${model.samplings.join(', ')} sampling, not ${sampling}`);
  try {
    return { spec: text, model, params: { ...model.parse(args, context), sampling } };
  } catch (error) {
    if (error instanceof UserInputError) throw new UserInputError(`--noise ${text}: ${error.message}`);
    throw error;
  }
}

/** `longtail:100`, `step:100`, `step:100:0.3` into a profile and its parameters. */
export function parseImbalanceSpec(text: string): ParsedImbalance {
  const [name, args] = splitSpec(text, 'imbalance', 'longtail:100');
  const profile = imbalanceProfiles.get(IMBALANCE_ALIASES[name] ?? name);
  try {
    return { spec: text, profile, params: profile.parse(args) };
  } catch (error) {
    if (error instanceof UserInputError) throw new UserInputError(`--imbalance ${text}: ${error.message}`);
    throw error;
  }
}

const FEW_SHOT_PATTERN = /^(\d+)[-_]?way[-_]?(\d+)[-_]?shot(?:[-_]?(\d+)[-_]?(?:q|query|queries))?$/i;

/** `5way5shot` or `5way5shot15query` (dashes allowed: `5-way-1-shot`); options fill queries and episodes. */
export function parseFewShotSpec(text: string, options: { queries?: number; episodes?: number } = {}): FewShotParams {
  const match = FEW_SHOT_PATTERN.exec(text.trim());
  ensure(match, `--few-shot ${text}: expected <N>way<K>shot or <N>way<K>shot<Q>query, e.g. 5way5shot`);
  const inSpec = match[3] === undefined ? undefined : Number(match[3]);
  ensure(
    inSpec === undefined || options.queries === undefined || inSpec === options.queries,
    `--few-shot ${text} says ${inSpec} queries but --queries says ${options.queries}`,
  );
  const params: FewShotParams = {
    ways: Number(match[1]),
    shots: Number(match[2]),
    queries: inSpec ?? options.queries ?? FEW_SHOT_DEFAULT_QUERIES,
    episodes: options.episodes ?? FEW_SHOT_DEFAULT_EPISODES,
  };
  checkFewShotParams(params);
  return params;
}

/** `seeded` (undefined: the caller shuffles), `natural` (0 … K−1), or a comma list of class names or indices, head first. */
export function parseClassOrder(text: string, classNames: readonly string[]): number[] | undefined {
  const value = text.trim();
  if (value === 'seeded') return undefined;
  if (value === 'natural') return classNames.map((_, i) => i);
  return value.split(',').map((part) => classIndex(part.trim(), classNames, '--class-order'));
}
