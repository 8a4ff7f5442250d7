import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensure, messageOf, UserInputError } from '../../errors.js';
import { writeFileAtomic } from '../files.js';
import type { EpochRecord } from './checkpoint.js';
import type { MethodKind, Recipe } from './trainers/types.js';

/** A quality target from issue 6 and whether this model met it. */
export interface QualityGoal {
  readonly metric: 'top1' | 'linearProbe';
  readonly target: number;
  readonly reached: number;
  readonly met: boolean;
}

/** What the zoo records about a trained backbone: card.json (this) and card.md (rendered from it). */
export interface ModelCard {
  readonly name: string;
  readonly method: string;
  readonly methodTitle: string;
  readonly kind: MethodKind;
  readonly reference: string;
  readonly architecture: { readonly id: string; readonly parameters: number; readonly embeddingSize: number; readonly inputShape: readonly number[] };
  readonly recipe: Recipe;
  readonly seed: number;
  readonly epochs: number;
  readonly trainingSeconds: number;
  readonly backend: string;
  readonly machine: string;
  readonly trainingData: { readonly name: string; readonly source: string; readonly size: number; readonly labelsUsed: boolean };
  readonly evaluationData: { readonly name: string; readonly split: string; readonly size: number };
  readonly metrics: {
    /** Linear probe on frozen embeddings (trained on the training data, scored on the evaluation data). */
    readonly linearProbe: number;
    /** The weight decay the probe's held-out sweep picked (absent on cards from before the sweep). */
    readonly linearProbeWeightDecay?: number;
    readonly knn: number;
    readonly knnSettings: { readonly k: number; readonly temperature: number };
    /** The exported classifier's top-1 (the trained head for supervised methods, the probe otherwise), measured on the written files. */
    readonly classifierTop1: number;
    readonly classifierHead: 'trained' | 'linear-probe';
  };
  readonly goal: QualityGoal;
  readonly history: readonly EpochRecord[];
  readonly files: { readonly modelJson: 'model.json'; readonly sha256: string; readonly weightBytes: number; readonly float16: boolean };
  readonly intendedUse: string;
  readonly limitations: readonly string[];
  readonly created: string;
}

export const INTENDED_USE =
  'A controlled comparison of self-supervised and supervised backbones for robustness audits on 28×28 gray images ' +
  '(Fashion-MNIST and similar): the same architecture, data and budget for every method. Not a production classifier.';

export const LIMITATIONS: readonly string[] = [
  'Trained on Fashion-MNIST only: 28×28 gray, centred garments on a black background; other data is out of distribution.',
  'Not adversarially trained: expect about 0% accuracy under PGD at moderate ε, whatever the method (Hendrycks et al. 2019).',
  'One seed; differences between methods of a point or less are within seed-to-seed noise.',
  'Small-data recipes with short schedules: not the accuracy the methods reach with ResNet-50 and 1000 epochs.',
];

export function percent(value: number): string {
  return `${(100 * value).toFixed(2)}%`;
}

/** The Markdown card, rendered from the JSON one so the two never disagree. */
export function renderCardMarkdown(card: ModelCard): string {
  const r = card.recipe;
  const goal = card.goal;
  const lines = [
    `# ${card.name}: ${card.methodTitle} (${card.kind})`,
    '',
    `A ${card.architecture.id} backbone (${card.architecture.parameters.toLocaleString('en')} parameters, ${card.architecture.embeddingSize}-d embedding) trained with ${card.methodTitle}.`,
    `Method reference: ${card.reference}.`,
    '',
    '## Data',
    '',
    `- Training: ${card.trainingData.name} (${card.trainingData.size} images from ${card.trainingData.source}); labels ${card.trainingData.labelsUsed ? 'used' : 'not used by the backbone (only by the linear probe)'}.`,
    `- Evaluation: ${card.evaluationData.name}, ${card.evaluationData.split} split, ${card.evaluationData.size} images.`,
    '',
    '## Recipe',
    '',
    `- ${card.epochs} epochs, batch ${r.batchSize}, SGD with Nesterov momentum ${r.momentum}, peak learning rate ${r.learningRate}, ${r.warmupEpochs} warm-up epoch(s) then cosine, weight decay ${r.weightDecay}.`,
    `- Method options: ${Object.entries(r.options).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`,
    `- Augmentation: crop area ${r.augmentation.cropScale.join('–')}, aspect ${r.augmentation.cropRatio.map((v) => v.toFixed(2)).join('–')}, horizontal flip p ${r.augmentation.flipProbability}, brightness/contrast ±${r.augmentation.brightness}/±${r.augmentation.contrast} at p ${r.augmentation.jitterProbability}, 3×3 blur p ${r.augmentation.blurProbability}, noise p ${r.augmentation.noiseProbability} (σ ≤ ${r.augmentation.noiseStd}); no vertical flips.`,
    `- Seed ${card.seed}; trained for ${(card.trainingSeconds / 60).toFixed(1)} min on ${card.backend} (${card.machine}).`,
    '',
    '## Metrics',
    '',
    '| metric | value |',
    '|---|---|',
    `| linear probe (frozen embedding${card.metrics.linearProbeWeightDecay === undefined ? '' : `, L-BFGS, weight decay ${card.metrics.linearProbeWeightDecay}`}) | ${percent(card.metrics.linearProbe)} |`,
    `| weighted kNN (k ${card.metrics.knnSettings.k}, T ${card.metrics.knnSettings.temperature}, cosine) | ${percent(card.metrics.knn)} |`,
    `| shipped classifier top-1 (${card.metrics.classifierHead === 'trained' ? 'trained head' : 'linear-probe head'}) | ${percent(card.metrics.classifierTop1)} |`,
    '',
    `Quality goal (issue 6): ${goal.metric === 'top1' ? 'top-1' : 'linear probe'} ≥ ${percent(goal.target)}: reached ${percent(goal.reached)}, **${goal.met ? 'met' : 'not met'}**.`,
    '',
    '## Intended use',
    '',
    card.intendedUse,
    '',
    '## Limitations',
    '',
    ...card.limitations.map((l) => `- ${l}`),
    '',
    '## Files',
    '',
    `\`model.json\` + \`weights.bin\` (${card.files.float16 ? 'float16' : 'float32'} weights, ${card.files.weightBytes} bytes), sha256 \`${card.files.sha256}\` (over model.json and weights.bin; checked on load).`,
    '',
  ];
  return lines.join('\n');
}

export async function writeCard(folder: string, card: ModelCard): Promise<void> {
  await writeFileAtomic(join(folder, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  await writeFileAtomic(join(folder, 'card.md'), renderCardMarkdown(card));
}

export async function readCard(folder: string): Promise<ModelCard> {
  const file = join(folder, 'card.json');
  ensure(existsSync(file), `${folder}: no card.json (not a zoo model folder)`);
  try {
    const card = JSON.parse(await readFile(file, 'utf8')) as ModelCard;
    ensure(typeof card.name === 'string' && typeof card.files?.sha256 === 'string', `${file}: not a zoo model card`);
    return card;
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(`${file}: not valid JSON: ${messageOf(error)}`);
  }
}
