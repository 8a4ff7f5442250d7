import sharp from 'sharp';
import type { Image } from '../corruptions/types.js';
import { toBytes } from './images.js';

export interface GridRow {
  readonly label: string;
  readonly cells: readonly Image[];
}

const LABEL_WIDTH = 150;
const HEADER_HEIGHT = 22;
const GAP = 2;

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/**
 * Draws a labelled grid of images as a PNG (or a JPEG, for large grids): one row per label,
 * one column per header, each cell enlarged `scale` times with nearest-neighbour pixels so
 * small images stay legible.
 */
export async function renderGrid(rows: readonly GridRow[], columnLabels: readonly string[], scale: number, format: 'png' | 'jpg' = 'png'): Promise<Buffer> {
  const first = rows[0]?.cells[0];
  if (!first) throw new Error('a preview grid needs at least one image');
  const cellW = first.width * scale;
  const cellH = first.height * scale;
  const columns = Math.max(...rows.map((r) => r.cells.length));
  const width = LABEL_WIDTH + columns * (cellW + GAP);
  const height = HEADER_HEIGHT + rows.length * (cellH + GAP);
  const canvas = new Uint8Array(width * height * 3).fill(255);
  rows.forEach((row, r) => {
    row.cells.forEach((cell, c) => {
      const bytes = toBytes(cell.data);
      const top = HEADER_HEIGHT + r * (cellH + GAP);
      const left = LABEL_WIDTH + c * (cellW + GAP);
      for (let y = 0; y < cellH; y++) {
        for (let x = 0; x < cellW; x++) {
          const source = (Math.floor(y / scale) * cell.width + Math.floor(x / scale)) * cell.channels;
          const target = ((top + y) * width + left + x) * 3;
          for (let k = 0; k < 3; k++) canvas[target + k] = bytes[source + (cell.channels === 1 ? 0 : k)]!;
        }
      }
    });
  });
  const text = [
    ...columnLabels.map((label, c) => `<text x="${LABEL_WIDTH + c * (cellW + GAP) + 2}" y="15">${escapeXml(label)}</text>`),
    ...rows.map((row, r) => `<text x="4" y="${HEADER_HEIGHT + r * (cellH + GAP) + cellH / 2 + 5}">${escapeXml(row.label)}</text>`),
  ].join('');
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12" fill="#222">${text}</svg>`;
  const grid = sharp(canvas, { raw: { width, height, channels: 3 } }).composite([{ input: Buffer.from(overlay), top: 0, left: 0 }]);
  return (format === 'png' ? grid.png() : grid.jpeg({ quality: 85 })).toBuffer();
}
