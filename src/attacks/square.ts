import * as tf from '@tensorflow/tfjs-core';
import { ensure } from '../errors.js';
import type { Classifier } from '../models/contract.js';
import type { RandomStream } from '../random/stream.js';
import { checkEps, checkOptions, checkPositiveInt } from './params.js';
import { defineAttack, type Attack, type AttackBudget, type AttackExampleOutcome, type AttackInput, type AttackOutput, type Norm } from './types.js';

export interface SquareParams extends AttackBudget {
  /** Forward passes allowed per image and restart, the initial one included. */
  readonly queries: number;
  /** Independent runs from fresh random starts, for the images earlier runs left unbroken. */
  readonly restarts: number;
  /** Fraction of the image a square covers at the first iterations; the schedule shrinks it. */
  readonly pInit: number;
}

/** AutoAttack's budget and p_init (0.8, tuned for robust models; the paper's 0.05 suits undefended ImageNet ones). */
export const SQUARE_DEFAULT_QUERIES = 5000;
export const SQUARE_DEFAULT_P_INIT = 0.8;

/** One image's result, with the forward passes it took (the attack stops querying an image once broken). */
export interface SquareExampleOutcome extends AttackExampleOutcome {
  readonly queries: number;
}

export interface SquareOutput extends AttackOutput {
  readonly perExample: readonly SquareExampleOutcome[];
}

/** A square proposal that leaves the image unchanged is redrawn; past this many tries it is queried anyway. */
const MAX_REDRAWS = 32;
/** Keeps a zero-length window or perturbation from dividing by zero (the reference's constant). */
const TINY = 1e-10;

/** The iterations (on a 10,000-query run) after which p halves, as in the reference schedule. */
const HALVING_POINTS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000] as const;

/**
 * The fraction p of the image that the square of a given iteration covers: p_init, halved
 * after each halving point, with the points rescaled from 10,000 iterations to the budget.
 */
export function squareFraction(pInit: number, iteration: number, budget: number): number {
  const scaled = Math.floor((iteration / budget) * 10000);
  const halvings = HALVING_POINTS.filter((point) => scaled > point).length;
  return pInit / 2 ** halvings;
}

/** Side of a square covering about p of an h×w image: at least 1, and short of the full side so it can move. */
export function linfSquareSide(p: number, height: number, width: number): number {
  const side = Math.round(Math.sqrt(p * height * width));
  return Math.max(1, Math.min(side, Math.min(height, width) - 1));
}

/** The L2 attack's side: at least 3 and odd (its bump needs a centre), never wider than the image. */
export function l2SquareSide(p: number, height: number, width: number): number {
  let side = Math.max(Math.round(Math.sqrt(p * height * width)), 3);
  if (side % 2 === 0) side += 1;
  return Math.min(side, height, width);
}

/**
 * The L2 attack's unit-norm update pattern on an s×s square: concentric rectangles weighted
 * 1/(k+1)² (a pseudo-Gaussian bump) in the top half, the same bump negated in the bottom half,
 * optionally transposed. Row-major s×s.
 */
export function squareBump(side: number, transpose: boolean): Float64Array {
  const out = new Float64Array(side * side);
  const top = Math.floor(side / 2);
  addBump(out, side, 0, top, 1);
  addBump(out, side, top, side - top, -1);
  normaliseInPlace(out);
  if (!transpose) return out;
  const flipped = new Float64Array(side * side);
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) flipped[c * side + r] = out[r * side + c]!;
  return flipped;
}

/** Adds a unit-norm bump of `rows`×`side` at row offset `firstRow`, times `sign`. */
function addBump(out: Float64Array, side: number, firstRow: number, rows: number, sign: number): void {
  if (rows <= 0) return;
  const bump = new Float64Array(rows * side);
  const centreRow = Math.floor(rows / 2);
  const centreCol = Math.floor(side / 2);
  // Ring k spans the rectangle of half-size k around the centre; the rings add up inwards.
  for (let k = 0; k <= Math.max(centreRow, centreCol); k++) {
    const weight = 1 / ((k + 1) * (k + 1));
    for (let r = Math.max(0, centreRow - k); r < Math.min(rows, centreRow + k + 1); r++) {
      for (let c = Math.max(0, centreCol - k); c < Math.min(side, centreCol + k + 1); c++) bump[r * side + c]! += weight;
    }
  }
  normaliseInPlace(bump);
  for (let i = 0; i < bump.length; i++) out[firstRow * side + i]! += sign * bump[i]!;
}

function normaliseInPlace(values: Float64Array): void {
  let sum = 0;
  for (const v of values) sum += v * v;
  const scale = 1 / Math.max(Math.sqrt(sum), TINY);
  for (let i = 0; i < values.length; i++) values[i]! *= scale;
}

/** A uniformly random sign. */
function randomSign(stream: RandomStream): number {
  return (stream.uint32() & 1) === 0 ? -1 : 1;
}

interface ImageGeometry {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly size: number;
}

/** What a forward pass says about one candidate, in float64 on the host. */
interface Score {
  readonly predicted: number;
  readonly success: boolean;
  /** What the search minimises: the margin (untargeted) or the cross-entropy to the target. */
  readonly objective: number;
  /** Cross-entropy against the label (untargeted) or the target (targeted), as outcomes report it. */
  readonly loss: number;
}

/** Scores one row of logits against the true label, or the target in targeted mode. */
export function scoreLogits(logits: ArrayLike<number>, label: number, target: number | undefined): Score {
  let predicted = 0;
  let maxAll = -Infinity;
  for (let j = 0; j < logits.length; j++) if (logits[j]! > maxAll) [maxAll, predicted] = [logits[j]!, j];
  let sumExp = 0;
  for (let j = 0; j < logits.length; j++) sumExp += Math.exp(logits[j]! - maxAll);
  const logSumExp = maxAll + Math.log(sumExp);
  const cls = target ?? label;
  const loss = logSumExp - logits[cls]!;
  if (target !== undefined) return { predicted, success: predicted === target, objective: loss, loss };
  let maxOther = -Infinity;
  for (let j = 0; j < logits.length; j++) if (j !== label) maxOther = Math.max(maxOther, logits[j]!);
  return { predicted, success: predicted !== label, objective: logits[label]! - maxOther, loss };
}

/** One image's search state: its clean pixels, best candidate so far and what that scored. */
interface ImageSearch {
  readonly clean: Float32Array;
  readonly label: number;
  readonly target: number | undefined;
  readonly stream: RandomStream;
  best: Float32Array;
  score: Score;
  queries: number;
}

/**
 * Forward passes for a batch of candidates: the classifier's logits read back to the host.
 * The only access to the model the attack has (no gradients).
 */
async function query(classifier: Classifier, candidates: readonly Float32Array[], geometry: ImageGeometry): Promise<Float32Array[]> {
  const pixels = new Float32Array(candidates.length * geometry.size);
  candidates.forEach((candidate, k) => pixels.set(candidate, k * geometry.size));
  const logits = tf.tidy(() => classifier.logits(tf.tensor4d(pixels, [candidates.length, geometry.height, geometry.width, geometry.channels])));
  try {
    const values = await logits.data<'float32'>();
    const classes = logits.shape[1];
    return candidates.map((_, k) => values.subarray(k * classes, (k + 1) * classes));
  } finally {
    logits.dispose();
  }
}

/** A pixel value clipped to [0, 1]. */
function clip01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** L∞ start: vertical stripes, each column and channel moved by ±ε (the reference's initialisation). */
function linfStart(clean: Float32Array, geometry: ImageGeometry, eps: number, stream: RandomStream): Float32Array {
  const { height, width, channels } = geometry;
  const signs = Array.from({ length: width * channels }, () => randomSign(stream));
  const out = new Float32Array(clean.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      for (let ch = 0; ch < channels; ch++) {
        const at = (r * width + c) * channels + ch;
        out[at] = clip01(clean[at]! + signs[c * channels + ch]! * eps);
      }
    }
  }
  return out;
}

/**
 * L∞ proposal: one square of side s at a random place, every pixel of each channel set to
 * clean ± ε (one sign per channel), redrawn while it would leave the image unchanged.
 */
function linfProposal(search: ImageSearch, geometry: ImageGeometry, eps: number, p: number): Float32Array {
  const { height, width, channels } = geometry;
  const { clean, best, stream } = search;
  const side = linfSquareSide(p, height, width);
  const top = stream.int(0, height - side);
  const left = stream.int(0, width - side);
  const candidate = best.slice();
  for (let attempt = 0; attempt < MAX_REDRAWS; attempt++) {
    const signs = Array.from({ length: channels }, () => randomSign(stream));
    let changed = false;
    for (let r = top; r < top + side; r++) {
      for (let c = left; c < left + side; c++) {
        for (let ch = 0; ch < channels; ch++) {
          const at = (r * width + c) * channels + ch;
          candidate[at] = clip01(clean[at]! + signs[ch]! * eps);
          if (candidate[at] !== best[at]) changed = true;
        }
      }
    }
    if (changed) break;
  }
  return candidate;
}

/** Scales delta to L2 length ε and adds it to the clean image, clipped to [0, 1]. */
function l2Candidate(clean: Float32Array, delta: Float64Array, eps: number): Float32Array {
  let sum = 0;
  for (const d of delta) sum += d * d;
  const scale = eps / Math.max(Math.sqrt(sum), TINY);
  const out = new Float32Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = clip01(clean[i]! + delta[i]! * scale);
  return out;
}

/** L2 start: a grid of bumps (side ⌊h/5⌋), each with a random sign per channel, scaled to length ε. */
function l2Start(clean: Float32Array, geometry: ImageGeometry, eps: number, stream: RandomStream): Float32Array {
  const { height, width, channels } = geometry;
  const side = Math.max(1, Math.floor(height / 5));
  const rows = Math.floor(height / side);
  const cols = Math.floor(width / side);
  const firstRow = Math.floor((height - rows * side) / 2);
  const firstCol = Math.floor((width - cols * side) / 2);
  const delta = new Float64Array(clean.length);
  for (let tr = 0; tr < rows; tr++) {
    for (let tc = 0; tc < cols; tc++) {
      const bump = squareBump(side, stream.float() > 0.5);
      const signs = Array.from({ length: channels }, () => randomSign(stream));
      for (let a = 0; a < side; a++) {
        for (let b = 0; b < side; b++) {
          const pixel = (firstRow + tr * side + a) * width + firstCol + tc * side + b;
          for (let ch = 0; ch < channels; ch++) delta[pixel * channels + ch]! += bump[a * side + b]! * signs[ch]!;
        }
      }
    }
  }
  return l2Candidate(clean, delta, eps);
}

/** Sum of squares of delta over one channel of a square window. */
function windowSquares(delta: Float64Array, geometry: ImageGeometry, top: number, left: number, side: number, channel: number): number {
  let sum = 0;
  for (let r = top; r < top + side; r++) {
    for (let c = left; c < left + side; c++) sum += delta[(r * geometry.width + c) * geometry.channels + channel]! ** 2;
  }
  return sum;
}

/**
 * L2 proposal: moves the perturbation's mass from a second random window into a fresh bump
 * on the first (per channel), keeping the total length at ε, as in the reference attack.
 */
function l2Proposal(search: ImageSearch, geometry: ImageGeometry, eps: number, p: number): Float32Array {
  const { height, width, channels } = geometry;
  const { clean, best, stream } = search;
  const side = l2SquareSide(p, height, width);
  const delta = Float64Array.from(best, (v, i) => v - clean[i]!);
  const [top, left] = [stream.int(0, height - side), stream.int(0, width - side)];
  const [top2, left2] = [stream.int(0, height - side), stream.int(0, width - side)];
  let imageSquares = 0;
  for (const d of delta) imageSquares += d * d;
  const inFirst = (r: number, c: number) => r >= top && r < top + side && c >= left && c < left + side;
  const bump = squareBump(side, stream.float() > 0.5);
  const updates = Array.from({ length: channels }, (_, ch) => {
    const firstNorm = Math.sqrt(windowSquares(delta, geometry, top, left, side, ch));
    // Mass of both windows (their union), which the new square may take over.
    let unionSquares = windowSquares(delta, geometry, top, left, side, ch);
    for (let r = top2; r < top2 + side; r++) {
      for (let c = left2; c < left2 + side; c++) if (!inFirst(r, c)) unionSquares += delta[(r * width + c) * channels + ch]! ** 2;
    }
    const sign = randomSign(stream);
    const update = new Float64Array(side * side);
    for (let a = 0; a < side; a++) {
      for (let b = 0; b < side; b++) {
        update[a * side + b] = bump[a * side + b]! * sign + delta[((top + a) * width + left + b) * channels + ch]! / (TINY + firstNorm);
      }
    }
    normaliseInPlace(update);
    const length = Math.sqrt(Math.max(eps * eps - imageSquares, 0) / channels + unionSquares);
    return update.map((v) => v * length);
  });
  for (let r = top2; r < top2 + side; r++) {
    for (let c = left2; c < left2 + side; c++) for (let ch = 0; ch < channels; ch++) delta[(r * width + c) * channels + ch] = 0;
  }
  for (let a = 0; a < side; a++) {
    for (let b = 0; b < side; b++) {
      for (let ch = 0; ch < channels; ch++) delta[((top + a) * width + left + b) * channels + ch] = updates[ch]![a * side + b]!;
    }
  }
  return l2Candidate(clean, delta, eps);
}

/** A success beats a failure; between equals, the lower objective wins. */
function better(candidate: Score, incumbent: Score): boolean {
  if (candidate.success !== incumbent.success) return candidate.success;
  return candidate.objective < incumbent.objective;
}

/**
 * One run of the random search on the given images: a random start (one query), then up to
 * queries − 1 proposals, each kept only if it lowers the objective or breaks the image.
 * Broken images leave the batch and are not queried again.
 */
async function searchRun(classifier: Classifier, searches: ImageSearch[], geometry: ImageGeometry, params: SquareParams): Promise<void> {
  const start = params.norm === 'linf' ? linfStart : l2Start;
  const propose = params.norm === 'linf' ? linfProposal : l2Proposal;
  const starts = searches.map((s) => start(s.clean, geometry, params.eps, s.stream));
  const startLogits = await query(classifier, starts, geometry);
  searches.forEach((s, k) => {
    s.best = starts[k]!;
    s.score = scoreLogits(startLogits[k]!, s.label, s.target);
    s.queries++;
  });
  for (let iteration = 0; iteration < params.queries - 1; iteration++) {
    const active = searches.filter((s) => !s.score.success);
    if (active.length === 0) break;
    const p = squareFraction(params.pInit, iteration, params.queries);
    const candidates = active.map((s) => propose(s, geometry, params.eps, p));
    const logits = await query(classifier, candidates, geometry);
    active.forEach((s, k) => {
      const score = scoreLogits(logits[k]!, s.label, s.target);
      s.queries++;
      if (better(score, s.score)) {
        s.best = candidates[k]!;
        s.score = score;
      }
    });
  }
}

function measuredNorm(clean: Float32Array, adversarial: Float32Array, norm: Norm): number {
  let m = 0;
  for (let i = 0; i < clean.length; i++) {
    const d = adversarial[i]! - clean[i]!;
    m = norm === 'linf' ? Math.max(m, Math.abs(d)) : m + d * d;
  }
  return norm === 'linf' ? m : Math.sqrt(m);
}

/**
 * Runs the Square attack on a batch and reports each image's queries. Each image draws from its
 * own stream (restart r from `derive('restart', r)`), so its result does not depend on the batch.
 */
export async function runSquare(classifier: Classifier, input: AttackInput, params: SquareParams): Promise<SquareOutput> {
  const { images, labels, targets, random } = input;
  const [n, height, width, channels] = images.shape;
  const geometry: ImageGeometry = { height, width, channels, size: height * width * channels };
  ensure(random.length === n, `square needs one random stream per image: ${random.length} for ${n} images`);
  const pixels = await images.data<'float32'>();
  const cleans = Array.from({ length: n }, (_, i) => pixels.slice(i * geometry.size, (i + 1) * geometry.size));
  const cleanLogits = n > 0 && params.eps === 0 ? await query(classifier, cleans, geometry) : [];

  const results: { best: Float32Array; score: Score; queries: number }[] = cleans.map((clean, i) => ({
    best: clean,
    // At ε = 0 nothing can move: the clean image, scored by one query, is the answer.
    score: params.eps === 0 ? scoreLogits(cleanLogits[i]!, labels[i]!, targets?.[i]) : { predicted: -1, success: false, objective: Infinity, loss: Infinity },
    queries: params.eps === 0 ? 1 : 0,
  }));
  if (params.eps > 0) {
    for (let restart = 0; restart < params.restarts; restart++) {
      const open = results.flatMap((r, i) => (r.score.success ? [] : [i]));
      if (open.length === 0) break;
      const searches: ImageSearch[] = open.map((i) => ({
        clean: cleans[i]!,
        label: labels[i]!,
        target: targets?.[i],
        stream: random[i]!.derive('restart', restart),
        best: cleans[i]!,
        score: results[i]!.score,
        queries: 0,
      }));
      await searchRun(classifier, searches, geometry, params);
      searches.forEach((s, k) => {
        const result = results[open[k]!]!;
        result.queries += s.queries;
        if (better(s.score, result.score)) Object.assign(result, { best: s.best, score: s.score });
      });
    }
  }

  const adversarial = new Float32Array(n * geometry.size);
  results.forEach((r, i) => adversarial.set(r.best, i * geometry.size));
  const perExample = results.map((r, i): SquareExampleOutcome => ({
    success: r.score.success,
    predicted: r.score.predicted,
    norm: measuredNorm(cleans[i]!, r.best, params.norm),
    loss: r.score.loss,
    queries: r.queries,
  }));
  return {
    adversarial: tf.tensor4d(adversarial, [n, height, width, channels]),
    perExample,
    costPerImage: n > 0 ? results.reduce((sum, r) => sum + r.queries, 0) / n : 0,
  };
}

/**
 * Square attack (Andriushchenko, Croce, Flammarion & Hein 2020), L∞ and L2: a score-based
 * black-box random search that reads only logits, so masked or zero gradients do not stop it.
 * `queries` is the budget per image and restart (default 5,000, as in AutoAttack).
 */
export const square: Attack<SquareParams> = defineAttack<SquareParams>({
  id: 'square',
  summary: 'Square attack: black-box random search over square updates, margin loss on logits (Andriushchenko et al.), L∞ and L2',
  kind: 'black-box',
  norms: ['linf', 'l2'],
  accepts: ['norm', 'queries', 'restarts'],
  targeted: true,
  resolve(eps, options) {
    checkOptions(square, options);
    const norm = options.norm ?? 'linf';
    checkEps(eps, norm);
    const queries = options.queries ?? SQUARE_DEFAULT_QUERIES;
    checkPositiveInt(queries, 'queries');
    const restarts = options.restarts ?? 1;
    checkPositiveInt(restarts, 'restarts');
    return { eps, norm, queries, restarts, pInit: SQUARE_DEFAULT_P_INIT };
  },
  run: runSquare,
});
