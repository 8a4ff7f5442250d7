import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { BACKEND_NAMES } from '../../backend/index.js';
import { ensure, messageOf, UserInputError } from '../../errors.js';
import { bundledModelNames, resolveModelPath } from '../../models/load.js';
import { zooFolder } from '../../models/zoo/catalogue.js';
import type { Registry } from '../../registry.js';
import { auditFamilies } from './families/index.js';
import { parseRule } from './gate.js';
import { BACKBONE_KINDS, type AuditFamily, type BackboneKind, type BackboneSpec, type FamilySettings, type ResolvedAuditConfig } from './types.js';

/** Where reports go when --out is not given. */
export const DEFAULT_OUT = './ssl-robust-report';

/** A backbone as a user writes it: "name=path[:ssl|supervised]", or an object in a config file. */
export interface BackboneRequest {
  readonly id?: string;
  readonly path: string;
  readonly kind?: BackboneKind;
  readonly method?: string;
}

/**
 * An audit request as flags or a config file give it: everything optional. Family sections sit
 * under their family id ("corruption": {...}); `resolveAuditConfig` fills the rest from defaults.
 */
export interface AuditRequest {
  readonly models?: readonly (string | BackboneRequest)[];
  readonly data?: string;
  readonly split?: 'train' | 'test';
  readonly limit?: number | null;
  readonly families?: readonly string[] | string;
  readonly protocol?: 'linear' | 'knn';
  readonly reference?: string | null;
  readonly seed?: number;
  readonly backend?: string;
  readonly batchSize?: number;
  readonly bootstrap?: number;
  readonly gate?: readonly string[];
  readonly out?: string;
  readonly quick?: boolean;
  readonly [family: string]: unknown;
}

/** The JSON Schema of a config file, with one section per registered family. */
export function configSchema(registry: Registry<AuditFamily> = auditFamilies): Record<string, unknown> {
  const familySections = Object.fromEntries(
    registry.list().filter((f) => Object.keys(f.settingsSchema).length > 0).map((family) => [
      family.id,
      { type: 'object', additionalProperties: false, properties: family.settingsSchema, description: family.title },
    ]),
  );
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'ssl-robust audit configuration',
    type: 'object',
    additionalProperties: false,
    properties: {
      models: {
        type: 'array',
        items: {
          anyOf: [
            { type: 'string' },
            {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: { id: { type: 'string', minLength: 1 }, path: { type: 'string', minLength: 1 }, kind: { enum: [...BACKBONE_KINDS] }, method: { type: 'string' } },
            },
          ],
        },
      },
      data: { type: 'string', minLength: 1 },
      split: { enum: ['train', 'test'] },
      limit: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
      families: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      protocol: { enum: ['linear', 'knn'] },
      reference: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      seed: { type: 'integer', minimum: 0 },
      backend: { enum: ['auto', ...BACKEND_NAMES] },
      batchSize: { type: 'integer', minimum: 1 },
      bootstrap: { type: 'integer', minimum: 100 },
      gate: { type: 'array', items: { type: 'string' } },
      out: { type: 'string', minLength: 1 },
      quick: { type: 'boolean' },
      ...familySections,
    },
  };
}

/** One line per ajv error, naming where in the file and what is wrong. */
export function describeSchemaErrors(errors: readonly ErrorObject[], source: string): string[] {
  const lines = errors
    .filter((e) => e.keyword !== 'anyOf' || !errors.some((other) => other !== e && other.instancePath.startsWith(e.instancePath) && other.keyword !== 'anyOf' && other.instancePath !== e.instancePath))
    .map((error) => {
      const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : '(top level)';
      const params = error.params as Record<string, unknown>;
      switch (error.keyword) {
        case 'additionalProperties': {
          const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
          return `${source}: ${where}: unknown key '${String(params['additionalProperty'])}' (known: ${known.join(', ')})`;
        }
        case 'enum':
          return `${source}: ${where}: must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        case 'required':
          return `${source}: ${where}: missing '${String(params['missingProperty'])}'`;
        default:
          return `${source}: ${where}: ${error.message ?? 'is invalid'}`;
      }
    });
  return [...new Set(lines)];
}

/** Checks a config object against the schema; every mistake becomes one line of one UserInputError. */
export function validateAuditRequest(request: unknown, source: string, registry: Registry<AuditFamily> = auditFamilies): AuditRequest {
  // verbose: errors carry their schema, so an unknown key's message can list the known ones.
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  const validate = ajv.compile(configSchema(registry));
  if (!validate(request)) throw new UserInputError(describeSchemaErrors(validate.errors ?? [], source).join('\n'));
  return request as AuditRequest;
}

/** Reads a YAML or JSON config file (by extension; YAML otherwise, which also reads JSON). */
export function readConfigFile(file: string, registry: Registry<AuditFamily> = auditFamilies): AuditRequest {
  ensure(existsSync(file), `--config ${file}: no such file`);
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UserInputError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${messageOf(error).split('\n')[0]}`);
  }
  ensure(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${file}: expected a mapping of settings at the top level`);
  return validateAuditRequest(parsed, file, registry);
}

/** "name=path[:ssl|supervised]" → its parts; a bare path or bundled name takes its id from the name. */
export function parseModelFlag(text: string): BackboneRequest {
  const kindMatch = /:(ssl|supervised)$/.exec(text);
  const rest = kindMatch ? text.slice(0, -kindMatch[0].length) : text;
  const eq = rest.indexOf('=');
  const id = eq > 0 ? rest.slice(0, eq) : undefined;
  const path = eq > 0 ? rest.slice(eq + 1) : rest;
  ensure(path.length > 0, `--model ${text}: expected name=path[:ssl|supervised]`);
  return { ...(id ? { id } : {}), path, ...(kindMatch ? { kind: kindMatch[1] as BackboneKind } : {}) };
}

interface ModelCard {
  readonly kind?: string;
  readonly method?: string;
}

/**
 * What a model's card says about how it was trained: card.json next to model.json, else the
 * model.json's userDefinedMetadata. A bundled model without a card but with the reference.json
 * of scripts/train_reference_cnn.py was trained with labels (cross-entropy).
 */
export function readModelCard(modelJson: string): ModelCard {
  const folder = dirname(modelJson);
  const cardFile = join(folder, 'card.json');
  if (existsSync(cardFile)) return JSON.parse(readFileSync(cardFile, 'utf8')) as ModelCard;
  try {
    const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { userDefinedMetadata?: ModelCard };
    if (json.userDefinedMetadata?.kind) return json.userDefinedMetadata;
  } catch {
    // An unreadable model.json is reported when the model is loaded.
  }
  if (existsSync(join(folder, 'reference.json'))) return { kind: 'supervised', method: 'cross-entropy' };
  return {};
}

function idFor(request: BackboneRequest): string {
  if (request.id) return request.id;
  if (bundledModelNames().includes(request.path)) return request.path;
  const trimmed = request.path.replace(/[\\/]+$/, '');
  return basename(trimmed.endsWith('.json') ? dirname(trimmed) : trimmed);
}

/** Resolves backbone requests: paths checked, ids unique, kind from the flag or the model card. */
export function resolveBackbones(requests: readonly (string | BackboneRequest)[]): BackboneSpec[] {
  const specs = requests.map((entry): BackboneSpec => {
    const request = typeof entry === 'string' ? parseModelFlag(entry) : entry;
    const id = idFor(request);
    ensure(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id), `--model ${request.path}: backbone name '${id}' may hold only letters, digits, '.', '_' and '-' (give name=path)`);
    const file = resolveModelPath(modelLocation(request.path));
    const card = readModelCard(file.endsWith('.json') ? file : join(file, 'model.json'));
    const kind = request.kind ?? card.kind;
    ensure(
      kind === 'ssl' || kind === 'supervised',
      `--model ${request.path}: is it self-supervised or supervised? The model has no card saying so; write ${id}=${request.path}:ssl or :supervised`,
    );
    // The card's method describes the card's kind: a kind overridden by the user leaves the method unknown.
    return { id, path: modelLocation(request.path), kind, method: request.method ?? (kind === card.kind ? card.method : undefined) ?? 'unknown' };
  });
  const ids = specs.map((s) => s.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  ensure(twice === undefined, `backbone name '${twice}' is used twice; name them with name=path`);
  ensure(specs.length > 0, 'no backbones to audit: give --model name=path (repeatable)');
  return specs;
}

/** Names of the zoo backbones that ship in the package (folders of assets/zoo with a card.json). */
export function shippedZooNames(): string[] {
  const root = zooFolder();
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory() && existsSync(join(root, name, 'card.json'))).sort();
}

/** A backbone path as given, with a shipped zoo backbone's name turned into its folder. */
function modelLocation(path: string): string {
  return !path.includes('/') && !bundledModelNames().includes(path) && shippedZooNames().includes(path) ? join(zooFolder(), path) : path;
}

/** The default backbones: every bundled model and every shipped zoo backbone. */
export function defaultBackbones(): string[] {
  return [...bundledModelNames(), ...shippedZooNames()];
}

function familyIds(value: AuditRequest['families'], registry: Registry<AuditFamily>): string[] {
  const wanted = value === undefined ? registry.ids() : typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [...value];
  for (const id of wanted) registry.get(id);
  // The clean cell is what every drop is measured from: always run it.
  return registry.ids().filter((id) => id === 'clean' || wanted.includes(id));
}

/**
 * Merges defaults < config file < flags into the full configuration, validating each family's
 * settings. Family sections merge key by key, so a flag for one key keeps the file's others.
 */
export function resolveAuditConfig(
  file: AuditRequest,
  flags: AuditRequest,
  registry: Registry<AuditFamily> = auditFamilies,
): ResolvedAuditConfig {
  const pick = <K extends keyof AuditRequest>(key: K): AuditRequest[K] => (flags[key] !== undefined ? flags[key] : file[key]);
  const quick = pick('quick') ?? false;
  const grids: Record<string, FamilySettings> = {};
  for (const family of registry.list()) {
    const settings = { ...family.defaults(quick), ...(file[family.id] as object | undefined), ...(flags[family.id] as object | undefined) };
    family.validate(settings);
    grids[family.id] = settings;
  }
  const models = pick('models');
  const backbones = resolveBackbones(models && models.length > 0 ? models : defaultBackbones());
  const reference = pick('reference') ?? null;
  ensure(reference === null || backbones.some((b) => b.id === reference), `--reference ${reference}: not one of the backbones (${backbones.map((b) => b.id).join(', ')})`);
  const limit = pick('limit');
  const bootstrap = pick('bootstrap') ?? 1000;
  ensure(Number.isInteger(bootstrap) && bootstrap >= 100, `--bootstrap ${bootstrap}: use at least 100 resamples for a 95% interval`);
  const gateRules = pick('gate') ?? [];
  // Rules are checked before any work, not after an hour of audit.
  for (const rule of gateRules) parseRule(rule);
  return {
    backbones,
    data: { spec: pick('data') ?? 'fashion-mnist-subset', split: pick('split') ?? 'test', limit: limit === undefined ? (quick ? 200 : 500) : limit },
    families: familyIds(pick('families'), registry),
    grids,
    protocol: pick('protocol') ?? 'linear',
    reference,
    seed: pick('seed') ?? 0,
    backend: pick('backend') ?? 'auto',
    batchSize: pick('batchSize') ?? 256,
    bootstrap,
    gate: gateRules,
    quick,
  };
}

/** The backbone mCE is normalised by: the chosen one, else the first supervised one, else none. */
export function referenceBackbone(config: ResolvedAuditConfig): BackboneSpec | null {
  if (config.reference) return config.backbones.find((b) => b.id === config.reference) ?? null;
  return config.backbones.find((b) => b.kind === 'supervised') ?? null;
}
