import type { RandomStream } from '../../random/stream.js';
import { colourForChannels } from './layers.js';
import { plasmaFractal } from './plasma-fractal.js';

/**
 * Procedural frost, in place of the six photographs the reference bundles (their licence is not
 * stated, so ssl-robust ships none). Like those photographs it is a sheet larger than the image
 * from which a random window is cropped; what is on the sheet is generated from the stream:
 *
 * - dendrites: ice crystals grown as jittered random walks that branch on both sides at ±60°
 *   (ice's hexagonal habit) down to two levels, fern-like, splatted anti-aliased and softened
 *   by a small blur, then saturated (g·d / (1 + g·d) for line density d) where they overlap;
 * - haze: a coarse plasma fractal, the uneven thickness of the frost film;
 * - grain: fine per-pixel noise, from an integer hash of the sheet position keyed by one draw
 *   (no draw per pixel; the same sheet pixel gets the same grain wherever the crop falls).
 *
 * All lengths are fractions of the image's longer side, so the texture looks the same at 28 px
 * and at 224 px, as the reference's photographs do at 224 (cropped at full size) and at 32
 * (shrunk ×0.2 first). Its gray level averages about 0.5, crystals near white on a gray-blue
 * film: the photographs whiten images about as much (the table's frost weights assume them).
 */
export interface FrostTexture {
  /** The gray texture, H × W in [0, 1]. */
  readonly intensity: Float32Array;
  /** Its colour per image channel: the bluish tint on RGB, the tint's luma on gray. */
  readonly tint: Float64Array;
  /** Where the window was cropped from the sheet (sheet pixels). */
  readonly cropTop: number;
  readonly cropLeft: number;
}

/** Bluish white: frost photographs are a cold blue-white. Gray images get its luma (≈ 0.92). */
export const FROST_TINT = [0.86, 0.94, 1] as const;

/** The sheet extends the image by this fraction of its longer side on every side. */
const MARGIN = 0.25;
/** Crystals per (longer side)² of sheet. */
const CRYSTALS_PER_AREA = 24;
/** Stem length range, in longer sides. */
const STEM_MIN = 0.08;
const STEM_SPAN = 0.22;
/**
 * The walk's step, in longer sides (but never under a pixel: finer steps only cost time), and
 * its direction jitter per step of that length, in radians (scaled by √(step/SEGMENT) for other
 * steps, so the walk bends as much per unit length at every image size).
 */
const SEGMENT = 1 / 48;
const JITTER = 0.35;
/** Side branches every this many longer sides of stem, at ±60° ± 9°. */
const BRANCH_SPACING = 2 / 48;
const BRANCH_DEPTH = 2;
/** Crystal line width, in longer sides (1 px at 224). */
const LINE_WIDTH = 1 / 224;
/** Saturation of overlapping crystals: c = g·d / (1 + g·d) for line density d. */
const GAIN = 4;
/** Composition: base level + haze + crystals + grain. */
const BASE = 0.25;
const HAZE = 0.4;
const CRYSTAL = 0.75;
const GRAIN = 0.05;

export function frostTexture(height: number, width: number, channels: number, random: RandomStream): FrostTexture {
  const side = Math.max(height, width);
  const margin = Math.ceil(side * MARGIN);
  const sheetH = height + 2 * margin;
  const sheetW = width + 2 * margin;
  const cropTop = random.int(0, 2 * margin);
  const cropLeft = random.int(0, 2 * margin);

  // Only the cropped window (plus the blur's reach) is rasterised; crystals are grown over the
  // whole sheet, so the ones rooted outside the window still reach into it.
  const blur = Math.round(side / 160);
  const winH = height + 2 * blur;
  const winW = width + 2 * blur;
  const originY = cropTop - blur;
  const originX = cropLeft - blur;
  const density = new Float32Array(winH * winW).fill(0);

  const segment = Math.max(1, side * SEGMENT);
  const jitter = JITTER * Math.sqrt(segment / (side * SEGMENT));
  const branchSpacing = side * BRANCH_SPACING;
  const lineWidth = side * LINE_WIDTH;
  // Splats at most half a pixel apart along each step.
  const subSteps = Math.ceil(segment / 0.5);
  const sheet: CrystalSheet = { random, density, winH, winW, originY, originX, segment, jitter, branchSpacing, lineWidth, subSteps };
  const crystals = Math.max(1, Math.round((CRYSTALS_PER_AREA * sheetH * sheetW) / (side * side)));
  for (let n = 0; n < crystals; n++) {
    const y = random.float() * sheetH;
    const x = random.float() * sheetW;
    const angle = 2 * Math.PI * random.float();
    const length = side * (STEM_MIN + STEM_SPAN * random.float());
    const intensity = 0.55 + 0.45 * random.float();
    growCrystal(sheet, y, x, angle, length, intensity, BRANCH_DEPTH);
  }
  const soft = blur > 0 ? boxBlur(density, winH, winW, blur) : density;

  // Haze: a 16² plasma map stretched over the sheet (it wraps around, like np.roll's map).
  const haze = plasmaFractal(16, 2, random, new Float32Array(256));
  const grainKey = random.uint32();

  const intensity = new Float32Array(height * width);
  const col0 = new Int32Array(width);
  const col1 = new Int32Array(width);
  const colF = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const u = ((cropLeft + x) / sheetW) * 16;
    const f = Math.floor(u);
    col0[x] = f & 15;
    col1[x] = (f + 1) & 15;
    colF[x] = u - f;
  }
  for (let y = 0; y < height; y++) {
    const v = ((cropTop + y) / sheetH) * 16;
    const f = Math.floor(v);
    const r0 = (f & 15) * 16;
    const r1 = ((f + 1) & 15) * 16;
    const fy = v - f;
    const densityRow = (y + blur) * winW + blur;
    const gy = cropTop + y;
    for (let x = 0; x < width; x++) {
      const fx = colF[x]!;
      const top = haze[r0 + col0[x]!]! + fx * (haze[r0 + col1[x]!]! - haze[r0 + col0[x]!]!);
      const bottom = haze[r1 + col0[x]!]! + fx * (haze[r1 + col1[x]!]! - haze[r1 + col0[x]!]!);
      const d = GAIN * soft[densityRow + x]!;
      const grain = GRAIN * (2 * hash01(grainKey, gy, cropLeft + x) - 1);
      const t = BASE + HAZE * (top + fy * (bottom - top)) + (CRYSTAL * d) / (1 + d) + grain;
      intensity[y * width + x] = t < 0 ? 0 : t > 1 ? 1 : t;
    }
  }
  return { intensity, tint: colourForChannels(FROST_TINT, channels), cropTop, cropLeft };
}

/** What a crystal grows on: the window's density layer and the growth constants. */
interface CrystalSheet {
  readonly random: RandomStream;
  readonly density: Float32Array;
  readonly winH: number;
  readonly winW: number;
  readonly originY: number;
  readonly originX: number;
  readonly segment: number;
  readonly jitter: number;
  readonly branchSpacing: number;
  readonly lineWidth: number;
  readonly subSteps: number;
}

/**
 * Grows one crystal stem (and, recursively, its side branches) from (y, x), splatting it into
 * the window. Module-level rather than a closure per texture: a fresh closure starts without type
 * feedback and would run unoptimised.
 */
function growCrystal(sheet: CrystalSheet, y: number, x: number, angle: number, length: number, intensity: number, depth: number): void {
  const { random, density, winH, winW, originY, originX, segment, jitter, branchSpacing, lineWidth, subSteps } = sheet;
  let remaining = length;
  let sinceBranch = 0;
  while (remaining > 0) {
    const step = remaining < segment ? remaining : segment;
    angle += jitter * (random.float() - 0.5);
    const dy = (step * Math.sin(angle)) / subSteps;
    const dx = (step * Math.cos(angle)) / subSteps;
    const mass = (intensity * lineWidth * step) / subSteps;
    let sy = y + 0.5 * dy - originY;
    let sx = x + 0.5 * dx - originX;
    for (let k = 0; k < subSteps; k++, sy += dy, sx += dx) {
      // Bilinear splat into the window (points outside it are dropped).
      if (sy <= -1 || sx <= -1 || sy >= winH || sx >= winW) continue;
      const y0 = Math.floor(sy);
      const x0 = Math.floor(sx);
      const fy = sy - y0;
      const fx = sx - x0;
      const i = y0 * winW + x0;
      if (y0 >= 0) {
        if (x0 >= 0) density[i]! += mass * (1 - fy) * (1 - fx);
        if (x0 + 1 < winW) density[i + 1]! += mass * (1 - fy) * fx;
      }
      if (y0 + 1 < winH) {
        if (x0 >= 0) density[i + winW]! += mass * fy * (1 - fx);
        if (x0 + 1 < winW) density[i + winW + 1]! += mass * fy * fx;
      }
    }
    y += step * Math.sin(angle);
    x += step * Math.cos(angle);
    remaining -= step;
    sinceBranch += step;
    if (depth > 0 && sinceBranch >= branchSpacing && remaining > 0) {
      sinceBranch = 0;
      // Fern-like: side branches shorten towards the tip.
      const branch = remaining * (0.3 + 0.4 * random.float());
      const spread = (Math.PI / 3) * (0.85 + 0.3 * random.float());
      growCrystal(sheet, y, x, angle + spread, branch, intensity * 0.85, depth - 1);
      growCrystal(sheet, y, x, angle - spread, branch, intensity * 0.85, depth - 1);
    }
  }
}

/** A (2r + 1)-wide box blur along each axis, edges clamped (one pass: crystals only need softening). */
function boxBlur(layer: Float32Array, height: number, width: number, r: number): Float32Array {
  const norm = 1 / (2 * r + 1);
  const rows = new Float32Array(layer.length);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += layer[base + Math.min(width - 1, Math.max(0, k))]!;
    for (let x = 0; x < width; x++) {
      rows[base + x] = sum * norm;
      sum += layer[base + Math.min(width - 1, x + r + 1)]! - layer[base + Math.max(0, x - r)]!;
    }
  }
  const out = new Float32Array(layer.length);
  const sums = new Float64Array(width);
  for (let k = -r; k <= r; k++) {
    const row = Math.min(height - 1, Math.max(0, k)) * width;
    for (let x = 0; x < width; x++) sums[x]! += rows[row + x]!;
  }
  for (let y = 0; y < height; y++) {
    const base = y * width;
    const add = Math.min(height - 1, y + r + 1) * width;
    const sub = Math.max(0, y - r) * width;
    for (let x = 0; x < width; x++) {
      out[base + x] = sums[x]! * norm;
      sums[x]! += rows[add + x]! - rows[sub + x]!;
    }
  }
  return out;
}

/** A uniform value in [0, 1) from an integer hash of (key, row, column). */
function hash01(key: number, y: number, x: number): number {
  let h = key ^ Math.imul(y, 0x27d4eb2d) ^ Math.imul(x, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
