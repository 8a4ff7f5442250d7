import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNpyPair } from '../../src/data/npy.js';
import { openDataset } from '../../src/data/open.js';
import { npyBytes, tempFolder } from '../helpers/files.js';

const folder = tempFolder();

function write(name: string, bytes: Uint8Array): string {
  const file = join(folder, name);
  writeFileSync(file, bytes);
  return file;
}

describe('.npy loader', () => {
  it('reads uint8 N×H×W images with int64 labels found by name', async () => {
    const images = write('train_images.npy', npyBytes(Uint8Array.from([0, 255, 51, 102, 0, 0, 0, 255]), [2, 2, 2], '|u1'));
    write('train_labels.npy', npyBytes(BigInt64Array.from([1n, 0n]), [2], '<i8'));
    const dataset = await loadNpyPair(images);
    expect(dataset.imageShape).toEqual([2, 2, 1]);
    expect([...dataset.labels]).toEqual([1, 0]);
    expect([...(await dataset.read([0]))]).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
  });

  it('reads float32 N×H×W×C images as they are and is found in a folder by openDataset', async () => {
    const sub = join(folder, 'rgb');
    mkdirSync(sub);
    writeFileSync(join(sub, 'test_images.npy'), npyBytes(Float32Array.from({ length: 12 }, (_, i) => i / 11), [1, 2, 2, 3], '<f4'));
    writeFileSync(join(sub, 'test_labels.npy'), npyBytes(Int32Array.from([4]), [1], '<i4'));
    const { dataset } = await openDataset({ spec: sub, split: 'test' });
    expect(dataset.imageShape).toEqual([2, 2, 3]);
    expect(dataset.numClasses).toBe(5);
    expect((await dataset.read([0]))[11]).toBe(1);
  });

  it('refuses label and image counts that differ', async () => {
    const images = write('a_images.npy', npyBytes(new Uint8Array(12), [3, 2, 2], '|u1'));
    write('a_labels.npy', npyBytes(Int32Array.from([0, 1]), [2], '<i4'));
    await expect(loadNpyPair(images)).rejects.toThrow(/a_labels\.npy has 2 labels but a_images\.npy has 3 images/);
  });

  it('refuses a bad magic string, Fortran order and truncated data', async () => {
    const bad = write('bad_images.npy', new TextEncoder().encode('not numpy at all'));
    write('bad_labels.npy', npyBytes(Int32Array.from([0]), [1], '<i4'));
    await expect(loadNpyPair(bad)).rejects.toThrow(/not a \.npy file/);

    const fortranBytes = npyBytes(new Uint8Array(4), [1, 2, 2], '|u1');
    const text = Buffer.from(fortranBytes).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
    const fortran = write('f_images.npy', new Uint8Array(Buffer.from(text, 'latin1')));
    write('f_labels.npy', npyBytes(Int32Array.from([0]), [1], '<i4'));
    await expect(loadNpyPair(fortran)).rejects.toThrow(/Fortran-ordered/);

    const short = write('s_images.npy', npyBytes(new Uint8Array(8), [2, 2, 2], '|u1').subarray(0, 70));
    write('s_labels.npy', npyBytes(Int32Array.from([0, 1]), [2], '<i4'));
    await expect(loadNpyPair(short)).rejects.toThrow(/truncated/);
  });

  it('refuses float pixels outside [0, 1]', async () => {
    const images = write('big_images.npy', npyBytes(Float32Array.from([0, 2, 0, 0]), [1, 2, 2], '<f4'));
    write('big_labels.npy', npyBytes(Int32Array.from([0]), [1], '<i4'));
    const dataset = await loadNpyPair(images);
    await expect(dataset.read([0])).rejects.toThrow(/outside \[0, 1\]/);
  });
});
