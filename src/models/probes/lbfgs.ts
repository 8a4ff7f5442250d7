/**
 * Limited-memory BFGS for smooth unconstrained minimisation, in float64. Small and
 * dependency-free: the linear probe's objective is convex, so a backtracking (Armijo) line
 * search with a curvature check on each stored pair is enough.
 */

/** Writes the gradient at x into `gradient` and returns the objective's value there. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  /** Correction pairs kept (default 10). */
  readonly memory?: number;
  readonly maxIterations?: number;
  /** Stop once the largest gradient component is at most this (default 1e-6). */
  readonly gradientTolerance?: number;
  /** Stop once an iteration lowers the value by less than this, relative to it: stagnation at float64 precision (default 1e-15). */
  readonly relativeDecreaseTolerance?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  /** The largest gradient component at x. */
  readonly gradientMax: number;
  /** Whether a tolerance was met (rather than the iteration limit or a failed line search). */
  readonly converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function maxAbs(a: Float64Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  return max;
}

/** Minimises f from x0 (left unchanged). */
export function minimiseLbfgs(f: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const memory = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 500;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const decreaseTolerance = options.relativeDecreaseTolerance ?? 1e-15;
  const size = x0.length;
  let x = Float64Array.from(x0);
  let gradient = new Float64Array(size);
  let value = f(x, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  const direction = new Float64Array(size);
  const alphas = new Float64Array(memory);
  let nextX = new Float64Array(size);
  let nextGradient = new Float64Array(size);

  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const gradientMax = maxAbs(gradient);
    if (gradientMax <= gradientTolerance) return { x, value, iterations: iteration, gradientMax, converged: true };

    // Two-loop recursion: direction = −H·gradient with H the implicit inverse-Hessian estimate.
    direction.set(gradient);
    for (let j = steps.length - 1; j >= 0; j--) {
      alphas[j] = rhos[j]! * dot(steps[j]!, direction);
      const y = changes[j]!;
      for (let i = 0; i < size; i++) direction[i]! -= alphas[j]! * y[i]!;
    }
    const scale = steps.length
      ? dot(steps[steps.length - 1]!, changes[changes.length - 1]!) / dot(changes[changes.length - 1]!, changes[changes.length - 1]!)
      // First step: a unit move along the normalised gradient keeps the first trial point sane.
      : 1 / Math.sqrt(dot(gradient, gradient));
    for (let i = 0; i < size; i++) direction[i]! *= scale;
    for (let j = 0; j < steps.length; j++) {
      const beta = rhos[j]! * dot(changes[j]!, direction);
      const s = steps[j]!;
      for (let i = 0; i < size; i++) direction[i]! += (alphas[j]! - beta) * s[i]!;
    }
    for (let i = 0; i < size; i++) direction[i] = -direction[i]!;

    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (rounding): restart from steepest descent.
      steps.length = changes.length = rhos.length = 0;
      const norm = Math.sqrt(dot(gradient, gradient));
      for (let i = 0; i < size; i++) direction[i] = -gradient[i]! / norm;
      slope = -norm;
    }

    // Backtracking until the Armijo condition holds.
    let step = 1;
    let nextValue = Number.NaN;
    for (let trial = 0; trial < 60; trial++) {
      for (let i = 0; i < size; i++) nextX[i] = x[i]! + step * direction[i]!;
      nextValue = f(nextX, nextGradient);
      if (Number.isFinite(nextValue) && nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(Number.isFinite(nextValue) && nextValue <= value)) {
      // No decrease to be had along the direction: we are at the precision floor.
      return { x, value, iterations: iteration, gradientMax, converged: gradientMax <= Math.sqrt(gradientTolerance) };
    }

    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = nextX[i]! - x[i]!;
      y[i] = nextGradient[i]! - gradient[i]!;
    }
    const curvature = dot(s, y);
    // Only pairs with positive curvature keep the inverse-Hessian estimate positive definite.
    if (curvature > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (steps.length === memory) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
      steps.push(s);
      changes.push(y);
      rhos.push(1 / curvature);
    }
    const decrease = value - nextValue;
    [x, nextX] = [nextX, x];
    [gradient, nextGradient] = [nextGradient, gradient];
    value = nextValue;
    if (decrease <= decreaseTolerance * Math.max(1, Math.abs(value))) {
      return { x, value, iterations: iteration + 1, gradientMax: maxAbs(gradient), converged: true };
    }
  }
  return { x, value, iterations: maxIterations, gradientMax: maxAbs(gradient), converged: maxAbs(gradient) <= gradientTolerance };
}
