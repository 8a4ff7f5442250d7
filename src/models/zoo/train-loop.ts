import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../data/dataset.js';
import { ensure } from '../../errors.js';
import { RandomStream } from '../../random/stream.js';
import { buildBackbone, RESNET_FMNIST, type ArchitectureSpec } from './architecture.js';
import { readCheckpoint, writeCheckpoint, type CheckpointMeta, type EpochRecord } from './checkpoint.js';
import { layerVariables, trainableVariables } from './forward.js';
import { warmupCosine } from './schedule.js';
import { trainers } from './trainers/index.js';
import type { Recipe, Trainer, TrainingModels } from './trainers/types.js';

/** What identifies a run: a resume must match all of it. */
export interface RunSetup {
  readonly recipe: Recipe;
  readonly seed: number;
  readonly numClasses: number;
  readonly data: CheckpointMeta['data'];
  readonly backend: string;
  readonly architecture?: ArchitectureSpec;
}

export interface StepProgress {
  readonly epoch: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly loss: number;
}

/** Steps per epoch: the last partial batch is dropped, so every step sees a full batch (contrastive losses and batch norm want that). */
export function stepsPerEpoch(datasetSize: number, batchSize: number): number {
  return Math.floor(datasetSize / batchSize);
}

/** Every tensor a checkpoint holds, named `<model>/<weight>` and `optimizer/<index>`. */
function modelEntries(models: TrainingModels): [string, tfl.LayersModel][] {
  return [['backbone', models.backbone], ...Object.entries(models.heads)];
}

/**
 * One training run of one method: the models, the optimiser and the epochs done. Every random
 * draw is derived from (seed, epoch, batch), so a run restored from the checkpoint of epoch k
 * continues exactly as the uninterrupted run would have.
 */
export class TrainingRun {
  readonly trainer: Trainer;
  readonly architecture: ArchitectureSpec;
  readonly models: TrainingModels;
  private readonly optimizer: tf.MomentumOptimizer;
  private readonly random: RandomStream;
  private done: number;
  private readonly records: EpochRecord[];

  private constructor(readonly setup: RunSetup, epochsDone: number, history: readonly EpochRecord[]) {
    this.trainer = trainers.get(setup.recipe.method);
    this.architecture = setup.architecture ?? RESNET_FMNIST;
    this.random = RandomStream.fromSeed(setup.seed).derive('zoo-train', setup.recipe.method);
    const backbone = buildBackbone(this.architecture, this.random.derive('backbone'));
    const heads = this.trainer.createHeads(this.architecture, backbone, setup.numClasses, setup.recipe, this.random.derive('heads'));
    this.models = { backbone, heads };
    this.optimizer = tf.train.momentum(setup.recipe.learningRate, setup.recipe.momentum, true);
    this.done = epochsDone;
    this.records = [...history];
  }

  static create(setup: RunSetup): TrainingRun {
    ensure(Number.isInteger(setup.recipe.epochs) && setup.recipe.epochs > 0, `epochs must be a positive integer, got ${setup.recipe.epochs}`);
    ensure(Number.isInteger(setup.recipe.batchSize) && setup.recipe.batchSize > 1, `batch size must be an integer above 1, got ${setup.recipe.batchSize}`);
    ensure(
      stepsPerEpoch(setup.data.size, setup.recipe.batchSize) >= 1,
      `the training data has ${setup.data.size} images, fewer than one batch of ${setup.recipe.batchSize}`,
    );
    return new TrainingRun(setup, 0, []);
  }

  /** Rebuilds a run from its checkpoint file. */
  static async restore(file: string): Promise<TrainingRun> {
    const { meta, tensors } = await readCheckpoint(file);
    try {
      ensure(trainers.has(meta.recipe.method), `${file}: unknown training method '${meta.recipe.method}'`);
      ensure(meta.architecture === RESNET_FMNIST.id, `${file}: architecture ${meta.architecture}, this version trains ${RESNET_FMNIST.id}`);
      const run = new TrainingRun(
        { recipe: meta.recipe, seed: meta.seed, numClasses: meta.numClasses, data: meta.data, backend: meta.backend },
        meta.epochsDone,
        meta.history,
      );
      for (const [key, model] of modelEntries(run.models)) {
        for (const variable of layerVariables(model)) {
          const value = tensors[`${key}/${variable.originalName}`];
          ensure(value && value.shape.join() === variable.read().shape.join(), `${file}: weight ${key}/${variable.originalName} is missing or has the wrong shape`);
          variable.write(value);
        }
      }
      const optimizerWeights = Object.keys(tensors)
        .filter((name) => name.startsWith('optimizer/'))
        .sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1]))
        .map((name, i) => ({ name: i === 0 ? 'iter' : name, tensor: tensors[name]! }));
      if (optimizerWeights.length > 0) await run.optimizer.setWeights(optimizerWeights);
      return run;
    } finally {
      tf.dispose(Object.values(tensors));
    }
  }

  get epochsDone(): number {
    return this.done;
  }

  get history(): readonly EpochRecord[] {
    return this.records;
  }

  get finished(): boolean {
    return this.done >= this.setup.recipe.epochs;
  }

  /** The metadata a checkpoint of this run records. */
  meta(): CheckpointMeta {
    const { recipe, seed, numClasses, data, backend } = this.setup;
    return { architecture: this.architecture.id, recipe, seed, numClasses, data, epochsDone: this.done, history: this.records, backend };
  }

  /** Runs the next epoch over the dataset (shuffled by the seed and the epoch number). */
  async trainEpoch(dataset: Dataset, onStep?: (progress: StepProgress) => void): Promise<EpochRecord> {
    ensure(!this.finished, `the run has already trained all ${this.setup.recipe.epochs} epochs`);
    ensure(dataset.size === this.setup.data.size, `the run was set up for ${this.setup.data.size} training images, got ${dataset.size}`);
    const { recipe } = this.setup;
    const epoch = this.done;
    const steps = stepsPerEpoch(dataset.size, recipe.batchSize);
    const totalSteps = steps * recipe.epochs;
    const warmupSteps = Math.round(recipe.warmupEpochs * steps);
    const epochRandom = this.random.derive('epoch', epoch);
    const order = epochRandom.derive('order').shuffled(Array.from({ length: dataset.size }, (_, i) => i));
    const shape = dataset.imageShape;
    const variables = [this.models.backbone, ...this.trainer.trainedHeads.map((key) => this.models.heads[key]!)].flatMap(trainableVariables);
    const decayed = new Set(variables.filter((v) => /\/kernel(_\d+)?$/.test(v.name)).map((v) => v.name));

    const started = performance.now();
    let lossSum = 0;
    const readBatch = (b: number) => dataset.read(order.slice(b * recipe.batchSize, (b + 1) * recipe.batchSize));
    let pending = readBatch(0);
    for (let b = 0; b < steps; b++) {
      const pixels = await pending;
      if (b + 1 < steps) pending = readBatch(b + 1);
      const positions = order.slice(b * recipe.batchSize, (b + 1) * recipe.batchSize);
      const images = tf.tensor4d(pixels, [positions.length, ...shape]);
      const labels = tf.tensor1d(Int32Array.from(positions, (p) => dataset.labels[p]!), 'int32');
      const step = epoch * steps + b;
      const prepared = this.trainer.prepare(this.models, { images, labels }, epochRandom.derive('batch', b), recipe);
      this.optimizer.setLearningRate(warmupCosine(step, totalSteps, warmupSteps, recipe.learningRate));
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => this.trainer.loss(this.models, prepared, recipe), variables);
        for (const variable of variables) {
          if (decayed.has(variable.name) && grads[variable.name]) grads[variable.name] = tf.add(grads[variable.name]!, tf.mul(variable, recipe.weightDecay));
        }
        this.optimizer.applyGradients(grads as Record<string, tf.Variable>);
        return value;
      });
      this.trainer.afterStep?.(this.models, { step, totalSteps }, recipe);
      const [value] = await loss.data();
      tf.dispose([loss, images, labels, ...Object.values(prepared)]);
      ensure(Number.isFinite(value), `training diverged: the loss is ${value} at epoch ${epoch + 1}, step ${b + 1} (try a lower learning rate)`);
      lossSum += value!;
      onStep?.({ epoch, step: b, stepsPerEpoch: steps, loss: value! });
    }
    const record: EpochRecord = { epoch: epoch + 1, meanLoss: lossSum / steps, seconds: (performance.now() - started) / 1000, images: steps * recipe.batchSize };
    this.records.push(record);
    this.done++;
    return record;
  }

  /** Writes a checkpoint (all model weights, optimiser state, epochs done) atomically. */
  async saveCheckpoint(file: string): Promise<void> {
    const tensors: tf.NamedTensorMap = {};
    for (const [key, model] of modelEntries(this.models)) {
      for (const variable of layerVariables(model)) tensors[`${key}/${variable.originalName}`] = variable.read();
    }
    const optimizerWeights = await this.optimizer.getWeights();
    optimizerWeights.forEach(({ tensor }, i) => (tensors[`optimizer/${i}`] = tensor));
    try {
      await writeCheckpoint(file, this.meta(), tensors);
    } finally {
      // Only the iteration count is a fresh tensor; the rest are live variables.
      optimizerWeights[0]?.tensor.dispose();
    }
  }

  dispose(): void {
    for (const [, model] of modelEntries(this.models)) model.dispose();
    this.optimizer.dispose();
  }
}
