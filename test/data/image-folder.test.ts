import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../../src/data/image-folder.js';
import { openDataset } from '../../src/data/open.js';
import { tempFolder } from '../helpers/files.js';

const root = tempFolder();

/** A solid-colour image of the given size and format. */
async function solid(file: string, width: number, height: number, rgb: [number, number, number]) {
  const image = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await (file.endsWith('.jpg') ? image.jpeg({ quality: 100 }) : image.png()).toFile(file);
}

beforeAll(async () => {
  for (const name of ['cat', 'dog']) mkdirSync(join(root, 'good', name), { recursive: true });
  await solid(join(root, 'good', 'cat', 'b.png'), 40, 20, [255, 0, 0]);
  await solid(join(root, 'good', 'cat', 'a.png'), 10, 10, [0, 0, 255]);
  await solid(join(root, 'good', 'dog', 'c.jpg'), 16, 16, [255, 255, 255]);
  writeFileSync(join(root, 'good', 'dog', '.DS_Store'), 'hidden files are ignored');

  mkdirSync(join(root, 'stray', 'cat'), { recursive: true });
  await solid(join(root, 'stray', 'cat', 'a.png'), 8, 8, [0, 0, 0]);
  writeFileSync(join(root, 'stray', 'cat', 'notes.txt'), 'not an image');

  mkdirSync(join(root, 'corrupt', 'cat'), { recursive: true });
  writeFileSync(join(root, 'corrupt', 'cat', 'broken.png'), 'this is not a PNG');
});

describe('image-folder loader', () => {
  it('gives classes from sorted folder names and files in sorted order', () => {
    const dataset = loadImageFolder(join(root, 'good'), { size: 8, channels: 3 });
    expect(dataset.classNames).toEqual(['cat', 'dog']);
    expect([...dataset.labels]).toEqual([0, 0, 1]);
    expect(dataset.imageShape).toEqual([8, 8, 3]);
  });

  it('resizes and centre-crops to the asked size, in RGB or gray', async () => {
    const rgb = loadImageFolder(join(root, 'good'), { size: 4, channels: 3 });
    const pixels = await rgb.read([0, 1, 2]);
    expect(pixels.length).toBe(3 * 4 * 4 * 3);
    // a.png is blue, b.png is red, c.jpg white: check one pixel of each.
    expect([...pixels.slice(0, 3)].map((v) => Math.round(v * 255))).toEqual([0, 0, 255]);
    expect([...pixels.slice(48, 51)].map((v) => Math.round(v * 255))).toEqual([255, 0, 0]);
    expect(Math.min(...pixels.slice(96))).toBeGreaterThan(0.98);

    const gray = loadImageFolder(join(root, 'good'), { size: 4, channels: 1 });
    const grayPixels = await gray.read([2]);
    expect(grayPixels.length).toBe(16);
    expect(Math.min(...grayPixels)).toBeGreaterThan(0.98);
  });

  it('refuses a non-image file in a class folder, naming it', () => {
    expect(() => loadImageFolder(join(root, 'stray'), { size: 8, channels: 3 })).toThrow(/cat\/notes\.txt: not an image file/);
  });

  it('reports an undecodable image with its name when it is read', async () => {
    const dataset = loadImageFolder(join(root, 'corrupt'), { size: 8, channels: 3 });
    await expect(dataset.read([0])).rejects.toThrow(/broken\.png: cannot decode image/);
  });

  it('refuses a folder without class folders', () => {
    expect(() => loadImageFolder(join(root, 'good', 'cat'), { size: 8, channels: 3 })).toThrow(/no class folders/);
  });

  it('is found by openDataset, which needs an image size', async () => {
    const { dataset } = await openDataset({ spec: join(root, 'good'), split: 'test', imageSize: 6, channels: 1 });
    expect(dataset.imageShape).toEqual([6, 6, 1]);
    await expect(openDataset({ spec: join(root, 'good'), split: 'test' })).rejects.toThrow(/needs an image size/);
  });
});
