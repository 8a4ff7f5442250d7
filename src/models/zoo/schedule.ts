/** Learning rate at a step: linear warm-up from 0, then cosine decay to 0 (SimCLR / solo-learn style). */
export function warmupCosine(step: number, totalSteps: number, warmupSteps: number, peak: number): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return 0.5 * peak * (1 + Math.cos(Math.PI * progress));
}

/** BYOL's target momentum: from `base` at the start to 1 at the end, on a cosine. */
export function emaMomentum(step: number, totalSteps: number, base: number): number {
  return 1 - ((1 - base) * (Math.cos((Math.PI * step) / Math.max(1, totalSteps)) + 1)) / 2;
}
