/**
 * Training-mode batch normalisation as two kernels a backend may provide, beyond tfjs's own: tfjs has
 * none (its FusedBatchNorm takes given statistics), and built from tfjs ops it costs about ten
 * single-threaded passes over the activation per direction, half of a zoo training step on wasm.
 * The native addon provides both on wasm (src/backend/native); where a backend has neither, callers
 * build it from tfjs ops (src/models/zoo/batch-norm.ts).
 */
import { getBackend, getKernel } from '@tensorflow/tfjs-core';

/** inputs { x, scale, offset } (channels last), attrs { epsilon } → [y, mean, variance (biased), invStd]. */
export const BatchNormTraining = 'SslRobustBatchNormTraining';
/** inputs { dy, x, mean, invStd, scale } → [dx, dScale, dOffset]. */
export const BatchNormTrainingGrad = 'SslRobustBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  readonly epsilon: number;
}

/** Whether the active backend has both kernels. */
export function hasBatchNormTrainingKernels(): boolean {
  const backend = getBackend();
  return getKernel(BatchNormTraining, backend) !== undefined && getKernel(BatchNormTrainingGrad, backend) !== undefined;
}
