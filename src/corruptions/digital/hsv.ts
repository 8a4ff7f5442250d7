/**
 * RGB ↔ HSV for one pixel, as scikit-image's color.rgb2hsv / hsv2rgb compute it (the functions
 * ImageNet-C calls), all components in [0, 1]:
 * - V = max, S = (max − min)/max (0 where max = min), H = sector + offset over 6, mod 1, with
 *   scikit-image's tie order: blue's formula wins over green's over red's when channels tie for
 *   the maximum (its later assignments overwrite), and H = 0 for gray pixels;
 * - back: sector ⌊6H⌋ mod 6, f = 6H − ⌊6H⌋, p = V(1 − S), q = V(1 − fS), t = V(1 − (1 − f)S).
 */

/** Writes [h, s, v] of pixel (r, g, b) into out[0..2]. */
export function rgbToHsv(r: number, g: number, b: number, out: Float64Array): void {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  if (delta === 0) {
    out[0] = 0;
    out[1] = 0;
    out[2] = v;
    return;
  }
  let h: number;
  if (b === v) h = 4 + (r - g) / delta;
  else if (g === v) h = 2 + (b - r) / delta;
  else h = (g - b) / delta;
  h /= 6;
  // Python's % is a floored modulo: (−x) % 1 = 1 − x.
  h -= Math.floor(h);
  out[0] = h;
  out[1] = delta / v;
  out[2] = v;
}

/** Writes [r, g, b] of pixel (h, s, v) into out[0..2]. */
export function hsvToRgb(h: number, s: number, v: number, out: Float64Array): void {
  const h6 = h * 6;
  const hi = Math.floor(h6);
  const f = h6 - hi;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  switch (((hi % 6) + 6) % 6) {
    case 0:
      out[0] = v; out[1] = t; out[2] = p;
      return;
    case 1:
      out[0] = q; out[1] = v; out[2] = p;
      return;
    case 2:
      out[0] = p; out[1] = v; out[2] = t;
      return;
    case 3:
      out[0] = p; out[1] = q; out[2] = v;
      return;
    case 4:
      out[0] = t; out[1] = p; out[2] = v;
      return;
    default:
      out[0] = v; out[1] = p; out[2] = q;
  }
}
