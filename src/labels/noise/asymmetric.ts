import { ensure } from '../../errors.js';
import type { RandomStream } from '../../random/stream.js';
import { checkNoiseInput, checkRate, flipMatrix, matrixNoise } from '../matrix.js';
import { defineLabelNoise, NOISE_SAMPLINGS, type NoiseInput, type NoiseParams, type NoiseSpecContext } from '../types.js';
import { checkSampling, numberArg } from './args.js';
import { builtInClassMap, checkFlips, parseClassMapJson, resolveBuiltInMap, type ResolvedClassMap, BUILT_IN_CLASS_MAPS } from './class-maps.js';
import { majorityWarning } from './pair-flip.js';

export interface AsymmetricParams extends NoiseParams {
  readonly map: ResolvedClassMap;
}

const usage = `asym:<${BUILT_IN_CLASS_MAPS.map((m) => m.id).join('|')}|map.json>:<rate>`;

/** A built-in map's id, or else a JSON file of source → target classes. */
function resolveMap(name: string, context: NoiseSpecContext): ResolvedClassMap {
  const builtIn = builtInClassMap(name);
  if (builtIn) return resolveBuiltInMap(builtIn, context.classNames);
  ensure(
    name.toLowerCase().endsWith('.json'),
    `unknown class map '${name}' (built in: ${BUILT_IN_CLASS_MAPS.map((m) => m.id).join(', ')}; or a .json file of source → target classes)`,
  );
  return parseClassMapJson(context.readTextFile(name), context.classNames, name);
}

export const asymmetricNoise = defineLabelNoise<AsymmetricParams>({
  id: 'asym',
  summary: 'classes in a map flip to their confusable class with probability ε, others keep their label (Patrini et al. 2017)',
  usage,
  needsFeatures: false,
  samplings: NOISE_SAMPLINGS,
  parse(args, context) {
    // The map may be a path with colons in it; the rate is always the last part.
    ensure(args.length >= 2, `expected ${usage}`);
    const rate = numberArg(args[args.length - 1], 'noise rate', usage);
    checkRate(rate);
    return { rate, map: resolveMap(args.slice(0, -1).join(':'), context) };
  },
  apply(input: NoiseInput, params: AsymmetricParams, random: RandomStream) {
    checkRate(params.rate);
    checkNoiseInput(input);
    checkFlips(params.map.flips, input.numClasses, `class map ${params.map.name}`);
    const sampling = params.sampling ?? 'per-example';
    checkSampling('asym', sampling, NOISE_SAMPLINGS);
    const matrix = flipMatrix(input.numClasses, params.rate, params.map.flips);
    return matrixNoise('asym', input, matrix, sampling, random, majorityWarning('asym', params.rate));
  },
});
