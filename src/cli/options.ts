import { InvalidArgumentError, Option } from 'commander';
import { parseBackendChoice, type BackendChoice } from '../backend/index.js';
import { messageOf } from '../errors.js';
import { RandomStream } from '../random/stream.js';
import type { CliIo } from './progress.js';

/** Options every command shares (declared once on the program). */
export interface GlobalOptions {
  readonly backend: BackendChoice;
  readonly seed: number;
  readonly quiet: boolean;
}

/** What a command's action receives besides its own options. */
export interface CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  /** The one seeded generator; commands derive named streams from it. */
  readonly random: RandomStream;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

export function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

export function parseBackendOption(value: string): BackendChoice {
  try {
    return parseBackendChoice(value);
  } catch (error) {
    throw new InvalidArgumentError(messageOf(error));
  }
}

/** A comma list of L2 weight decays (numbers ≥ 0), as the linear probe sweeps them. */
export function parseWeightDecayList(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const decays = parts.map(Number);
  if (parts.some((part, i) => part === '' || !Number.isFinite(decays[i]) || decays[i]! < 0)) {
    throw new InvalidArgumentError('must be comma-separated numbers ≥ 0, e.g. 1e-4,1e-3.');
  }
  return decays;
}

/** A comma list of finite numbers, e.g. an input mean 0.485,0.456,0.406. */
export function parseNumberList(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  if (parts.some((part, i) => part === '' || !Number.isFinite(numbers[i]))) throw new InvalidArgumentError('must be comma-separated numbers, e.g. 0.485,0.456,0.406.');
  return numbers;
}

/** How to read a .onnx --model: its normalisation (ONNX files do not carry it) and, where used, its embedding. */
export interface ModelLoadFlags {
  readonly inputMean?: number[];
  readonly inputStd?: number[];
  readonly embeddingNode?: string;
}

export function inputMeanOption(): Option {
  return new Option('--input-mean <list>', '.onnx models: per-channel mean subtracted from [0, 1] images (default: <model>.onnx.json, else none)').argParser(parseNumberList);
}

export function inputStdOption(): Option {
  return new Option('--input-std <list>', '.onnx models: per-channel std the images are divided by (default: <model>.onnx.json, else none)').argParser(parseNumberList);
}

export function embeddingNodeOption(): Option {
  return new Option('--embedding-node <name>', 'GraphModels and .onnx models: the node (or value) whose output is the embedding');
}

/** loadClassifier's options from the flags given. */
export function modelLoadOptions(flags: ModelLoadFlags): { inputMean?: number[]; inputStd?: number[]; embeddingNode?: string } {
  return {
    ...(flags.inputMean ? { inputMean: flags.inputMean } : {}),
    ...(flags.inputStd ? { inputStd: flags.inputStd } : {}),
    ...(flags.embeddingNode ? { embeddingNode: flags.embeddingNode } : {}),
  };
}
