/** Every ONNX op the importer converts, by op type, with the opsets each converter implements. */
import { Registry } from '../../../registry.js';
import { ACTIVATION_OPS } from './activation.js';
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { MATMUL_OPS } from './matmul.js';
import { NORMALIZATION_OPS } from './normalization.js';
import { PAD_OPS } from './pad.js';
import { POOL_OPS } from './pool.js';
import { REDUCE_OPS } from './reduce.js';
import { SHAPE_OPS } from './shape.js';
import type { OpConverter } from './types.js';

export const onnxOps = new Registry<OpConverter>('ONNX op', [
  ...CONV_OPS,
  ...POOL_OPS,
  ...NORMALIZATION_OPS,
  ...ACTIVATION_OPS,
  ...ELEMENTWISE_OPS,
  ...MATMUL_OPS,
  ...REDUCE_OPS,
  ...SHAPE_OPS,
  ...PAD_OPS,
]);

export type { OpConverter } from './types.js';
