import { ensure, messageOf, UserInputError } from '../../errors.js';
import { FASHION_MNIST_CLASSES } from '../../data/open.js';

/** One class flips to another: indices into the dataset's classes. */
export type ClassFlip = readonly [from: number, to: number];

/** A class map resolved against a dataset: which classes flip to which. */
export interface ResolvedClassMap {
  /** The built-in map's id, or the file it came from. */
  readonly name: string;
  readonly flips: readonly ClassFlip[];
}

/** A built-in map of confusable classes, written with the class names of the dataset it is for. */
export interface BuiltInClassMap {
  readonly id: string;
  readonly summary: string;
  /** The dataset's classes in their canonical order. */
  readonly classNames: readonly string[];
  readonly flips: readonly (readonly [from: string, to: string])[];
}

export const BUILT_IN_CLASS_MAPS: readonly BuiltInClassMap[] = [
  {
    id: 'fashion-mnist',
    summary: 'Ankle boot→Sneaker, Sneaker→Sandal, Pullover→Shirt, Coat↔Dress (Zhang & Sabuncu 2018)',
    classNames: FASHION_MNIST_CLASSES,
    flips: [['Ankle boot', 'Sneaker'], ['Sneaker', 'Sandal'], ['Pullover', 'Shirt'], ['Coat', 'Dress'], ['Dress', 'Coat']],
  },
  {
    id: 'mnist',
    summary: '2→7, 3→8, 5↔6, 7→1 (Patrini et al. 2017)',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    flips: [['2', '7'], ['3', '8'], ['5', '6'], ['6', '5'], ['7', '1']],
  },
  {
    id: 'cifar10',
    summary: 'truck→automobile, bird→airplane, deer→horse, cat↔dog (Patrini et al. 2017)',
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    flips: [['truck', 'automobile'], ['bird', 'airplane'], ['deer', 'horse'], ['cat', 'dog'], ['dog', 'cat']],
  },
];

/** Other spellings users type for the built-in maps. */
const MAP_ALIASES: Readonly<Record<string, string>> = { fmnist: 'fashion-mnist', 'cifar-10': 'cifar10' };

export function builtInClassMap(name: string): BuiltInClassMap | undefined {
  const id = MAP_ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  return BUILT_IN_CLASS_MAPS.find((m) => m.id === id);
}

/** Names compared without case or punctuation: 'T-shirt/top' matches a folder named 't_shirt_top'. */
function normalName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** Class names that are just their indices ('0', '1', …), as IDX folders without classes.txt have. */
function namesAreIndices(classNames: readonly string[]): boolean {
  return classNames.every((name, i) => name === String(i));
}

/**
 * A class given by name, or by index when it is an integer: names win, so a class named '3'
 * is that class wherever it sits.
 */
export function classIndex(key: string | number, classNames: readonly string[], where: string): number {
  const text = String(key);
  const byName = classNames.findIndex((name) => normalName(name) === normalName(text) && normalName(text) !== '');
  if (byName >= 0) return byName;
  const index = Number(text);
  if (text.trim() !== '' && Number.isInteger(index) && index >= 0 && index < classNames.length) return index;
  throw new UserInputError(`${where}: unknown class '${text}' (known: ${classNames.join(', ')}, or an index 0–${classNames.length - 1})`);
}

/** Checks a map's flips: classes in range, no class flipping to itself, at most one target per class. */
export function checkFlips(flips: readonly ClassFlip[], numClasses: number, where: string): void {
  const sources = new Set<number>();
  for (const [from, to] of flips) {
    ensure(Number.isInteger(from) && from >= 0 && from < numClasses, `${where}: class ${from} is not a class index in [0, ${numClasses - 1}]`);
    ensure(Number.isInteger(to) && to >= 0 && to < numClasses, `${where}: class ${to} is not a class index in [0, ${numClasses - 1}]`);
    ensure(from !== to, `${where}: class ${from} maps to itself`);
    ensure(!sources.has(from), `${where}: class ${from} maps to more than one class`);
    sources.add(from);
  }
}

/**
 * A built-in map for a dataset: by position when the dataset's classes are the map's own or bare
 * indices, otherwise by name (an image-folder copy may list its classes in another order).
 */
export function resolveBuiltInMap(map: BuiltInClassMap, classNames: readonly string[]): ResolvedClassMap {
  const where = `class map ${map.id}`;
  const samePositions =
    classNames.length === map.classNames.length &&
    (namesAreIndices(classNames) || classNames.every((name, i) => normalName(name) === normalName(map.classNames[i]!)));
  const indexOf = (name: string) => (samePositions ? map.classNames.indexOf(name) : classIndexByName(name, classNames, where));
  const flips = map.flips.map(([from, to]) => [indexOf(from), indexOf(to)] as const);
  checkFlips(flips, classNames.length, where);
  return { name: map.id, flips };
}

function classIndexByName(name: string, classNames: readonly string[], where: string): number {
  const index = classNames.findIndex((n) => normalName(n) === normalName(name));
  ensure(index >= 0, `${where}: this dataset has no class '${name}' (its classes: ${classNames.join(', ')})`);
  return index;
}

/** A user's map from a JSON object of source class → target class, each a name or an index. */
export function parseClassMapJson(text: string, classNames: readonly string[], file: string): ResolvedClassMap {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(`${file}: not valid JSON: ${messageOf(error)}`);
  }
  ensure(
    json !== null && typeof json === 'object' && !Array.isArray(json),
    `${file}: a class map is a JSON object of source class → target class, e.g. {"Ankle boot": "Sneaker", "3": 4}`,
  );
  const entries = Object.entries(json as Record<string, unknown>);
  ensure(entries.length > 0, `${file}: the class map is empty`);
  const flips = entries.map(([from, to]) => {
    ensure(typeof to === 'string' || typeof to === 'number', `${file}: the target of '${from}' must be a class name or index, got ${JSON.stringify(to)}`);
    return [classIndex(from, classNames, file), classIndex(to, classNames, file)] as const;
  });
  checkFlips(flips, classNames.length, file);
  return { name: file, flips };
}
