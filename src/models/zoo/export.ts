import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readModelFiles, writeFileAtomic } from '../files.js';

export interface ExportOptions {
  /** Store weights as float16 (half the bytes); tfjs dequantises them on load. */
  readonly float16?: boolean;
  /** Extra fields for model.json's userDefinedMetadata (method, card hash, …). */
  readonly metadata?: Record<string, unknown>;
}

/** IEEE half-precision bits of a float32 value, rounding to nearest even; overflow becomes ±Inf. */
export function float16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let out = mantissa >>> shift;
    if (rest > half || (rest === half && (out & 1))) out++;
    return sign | out;
  }
  let out = mantissa >>> 13;
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1))) {
    out++;
    if (out === 0x400) {
      out = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | out;
}

/**
 * Saves a LayersModel as a standard TF.js model folder (model.json + weights.bin), weights first
 * and each file atomically. Returns the content hash that `readModelFiles` (and so every load)
 * computes, for the model card.
 */
export async function exportLayersModel(model: tfl.LayersModel, folder: string, options: ExportOptions = {}): Promise<{ sha256: string; bytes: number }> {
  let bytes = 0;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    const raw = data === undefined ? new ArrayBuffer(0) : Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
    let specs: tf.io.WeightsManifestEntry[] = artifacts.weightSpecs ?? [];
    let weights = new Uint8Array(raw);
    if (options.float16) {
      if (specs.some((s) => s.dtype !== 'float32')) throw new Error('float16 export needs every weight in float32');
      const values = new Float32Array(raw);
      const half = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) half[i] = float16Bits(values[i]!);
      weights = new Uint8Array(half.buffer);
      specs = specs.map((s) => ({ ...s, quantization: { dtype: 'float16', original_dtype: 'float32' } as tf.io.WeightsManifestEntry['quantization'] }));
    }
    bytes = weights.length;
    const json = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: 'ssl-robust zoo',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
      ...(options.metadata ? { userDefinedMetadata: options.metadata } : {}),
    };
    await writeFileAtomic(join(folder, 'weights.bin'), weights);
    await writeFileAtomic(join(folder, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
  }));
  const { sha256 } = await readModelFiles(folder);
  return { sha256, bytes };
}
