/**
 * Calibration of the weather family against the original ImageNet-C generator: each test
 * rebuilds a corruption's random layer from an identical stream and checks the blend formula
 * exactly, or measures a statistic the reference fixes (the plasma's decay per level, the
 * flake threshold, the spatter modes per severity, the motion-blur kernel's shape).
 */
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../../src/random/stream.js';
import { lineKernel } from '../../src/corruptions/shared/line-kernel.js';
import { fillNormalZiggurat } from '../../src/random/ziggurat.js';
import { PROFILE_NAMES, type Image } from '../../src/corruptions/types.js';
import { fog, fogLayer } from '../../src/corruptions/weather/fog.js';
import { frost } from '../../src/corruptions/weather/frost.js';
import { FROST_TINT, frostTexture } from '../../src/corruptions/weather/frost-texture.js';
import { gaussianBlurLayer, luma } from '../../src/corruptions/weather/layers.js';
import { plasmaFractal } from '../../src/corruptions/weather/plasma-fractal.js';
import { snow, snowFlakeLayer, type SnowParams } from '../../src/corruptions/weather/snow.js';
import { MUD_RGB, WATER_RGB, spatter } from '../../src/corruptions/weather/spatter.js';

/** Two streams that draw the same numbers: one for the corruption, one to rebuild its layer. */
const twins = (seed: number) => [RandomStream.fromSeed(seed).derive('weather-test'), RandomStream.fromSeed(seed).derive('weather-test')] as const;

/** Φ, the standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error < 2·10⁻⁷). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** A smooth, non-constant test image in [0, 1]. */
function gradient(height: number, width: number, channels: number): Image {
  const data = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = (0.2 + 0.6 * ((x + 2 * y + 5 * c) % 17) / 16) * 0.9;
    }
  }
  return { data, height, width, channels };
}

const constant = (height: number, width: number, channels: number, value: number): Image => ({
  data: new Float32Array(height * width * channels).fill(value),
  height,
  width,
  channels,
});

describe('plasma fractal', () => {
  it('lies in [0, 1], reaching both ends, and is reproducible from its stream', () => {
    const a = plasmaFractal(64, 2, RandomStream.fromSeed(3));
    const b = plasmaFractal(64, 2, RandomStream.fromSeed(3));
    const c = plasmaFractal(64, 2, RandomStream.fromSeed(4));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Math.min(...a)).toBe(0);
    expect(Math.max(...a)).toBe(1);
  });

  it('adds noise that shrinks by 1/decay² per level, as the wibble decay says', () => {
    // Each level's new centre points are the mean of their four corners plus wibble²·U(−1, 1), and
    // wibble is divided by the decay after every level; later levels never touch them. So the
    // largest |centre − mean of corners| at one level over the next coarser one is 1/decay².
    const n = 256;
    const maxDeviation = (map: Float32Array, step: number) => {
      let max = 0;
      const half = step / 2;
      for (let y = 0; y < n; y += step) {
        for (let x = 0; x < n; x += step) {
          const corners = map[y * n + x]! + map[((y + step) % n) * n + x]! + map[y * n + ((x + step) % n)]! + map[((y + step) % n) * n + ((x + step) % n)]!;
          max = Math.max(max, Math.abs(map[(y + half) * n + x + half]! - corners / 4));
        }
      }
      return max;
    };
    for (const decay of [1.4, 1.75, 2, 3]) {
      const map = plasmaFractal(n, decay, RandomStream.fromSeed(11));
      for (const step of [16, 8]) {
        const ratio = maxDeviation(map, step) / maxDeviation(map, step * 2);
        expect(ratio).toBeCloseTo(1 / (decay * decay), 2);
      }
    }
  });

  it('is rougher (larger neighbour differences) for a smaller decay', () => {
    const roughness = (decay: number) => {
      let sum = 0;
      for (let seed = 0; seed < 6; seed++) {
        const map = plasmaFractal(64, decay, RandomStream.fromSeed(seed));
        for (let i = 0; i < 64 * 63; i++) sum += Math.abs(map[i + 64]! - map[i]!);
      }
      return sum;
    };
    const [r14, r2, r3] = [roughness(1.4), roughness(2), roughness(3)];
    expect(r14).toBeGreaterThan(1.5 * r2);
    expect(r2).toBeGreaterThan(1.1 * r3);
  });
});

describe('fog', () => {
  it('is x·max/(max + s) after adding s·plasma, on gray and RGB', () => {
    for (const channels of [1, 3]) {
      const image = gradient(13, 9, channels);
      const params = fog.table.imagenet224[4];
      const [forCorruption, forCheck] = twins(5);
      const out = fog.apply(image, params, forCorruption) as { data: Float32Array };
      const { layer } = fogLayer(13, 9, params, forCheck);
      const s = params[0];
      const max = Math.max(...image.data);
      for (let i = 0; i < image.data.length; i++) {
        const expected = Math.min(1, Math.max(0, ((image.data[i]! + s * layer[Math.floor(i / channels)]!) * max) / (max + s)));
        expect(out.data[i]).toBeCloseTo(expected, 6);
      }
    }
  });

  it("uses the reference's map sizes: 256 at 224 px, 32 at 32 px, MNIST-C's 256 at 28 px", () => {
    expect(fogLayer(224, 224, fog.table.imagenet224[0], RandomStream.fromSeed(0)).mapSize).toBe(256);
    expect(fogLayer(32, 32, fog.table.cifar32[0], RandomStream.fromSeed(0)).mapSize).toBe(32);
    expect(fogLayer(28, 28, fog.table.mnist28[4], RandomStream.fromSeed(0)).mapSize).toBe(256);
    expect(fog.table.mnist28[4]).toEqual([3, 1.4, 8]);
  });

  it('leaves an all-black image black (max = 0), as the reference does', () => {
    const out = fog.apply(constant(6, 6, 1, 0), fog.table.cifar32[2], RandomStream.fromSeed(1)) as { data: Float32Array };
    expect(Math.max(...out.data)).toBe(0);
  });
});

describe('frost', () => {
  it("blends as clip(a·x + b·frost) with exactly the table's weights, gray frost being the tint's luma", () => {
    for (const profile of PROFILE_NAMES) {
      for (const [a, b] of frost.table[profile]) {
        for (const channels of [1, 3]) {
          const image = gradient(12, 10, channels);
          const [forCorruption, forCheck] = twins(Math.round(a * 1000 + b * 100) + channels);
          const out = frost.apply(image, [a, b], forCorruption) as { data: Float32Array; sampled: Record<string, number> };
          const texture = frostTexture(12, 10, channels, forCheck);
          expect(out.sampled).toEqual({ cropTop: texture.cropTop, cropLeft: texture.cropLeft });
          const tint = channels === 3 ? [...FROST_TINT] : [luma(...FROST_TINT)];
          for (let i = 0; i < image.data.length; i++) {
            const frostValue = texture.intensity[Math.floor(i / channels)]! * tint[i % channels]!;
            expect(out.data[i]).toBeCloseTo(Math.min(1, a * image.data[i]! + b * frostValue), 6);
          }
        }
      }
    }
  });

  it('generates its texture procedurally: seeded, in [0, 1], varied, and alike at every image size', () => {
    const same = frostTexture(40, 30, 1, RandomStream.fromSeed(9));
    expect(Array.from(frostTexture(40, 30, 1, RandomStream.fromSeed(9)).intensity)).toEqual(Array.from(same.intensity));
    expect(Array.from(frostTexture(40, 30, 1, RandomStream.fromSeed(10)).intensity)).not.toEqual(Array.from(same.intensity));
    const stats = (size: number) => {
      let sum = 0;
      let sumSq = 0;
      let count = 0;
      for (let seed = 0; seed < 8; seed++) {
        const { intensity, cropTop, cropLeft } = frostTexture(size, size, 3, RandomStream.fromSeed(seed));
        // The crop falls inside a sheet a quarter of the side larger on every side.
        expect(cropTop).toBeGreaterThanOrEqual(0);
        expect(cropTop).toBeLessThanOrEqual(2 * Math.ceil(size / 4));
        expect(cropLeft).toBeLessThanOrEqual(2 * Math.ceil(size / 4));
        let outside = 0;
        for (const v of intensity) {
          if (!(v >= 0 && v <= 1)) outside++;
          sum += v;
          sumSq += v * v;
          count++;
        }
        expect(outside).toBe(0);
      }
      const mean = sum / count;
      return { mean, sd: Math.sqrt(sumSq / count - mean * mean) };
    };
    const small = stats(28);
    const large = stats(224);
    for (const s of [small, large]) {
      // Near-white crystals on a gray-blue film: a middling mean and real contrast.
      expect(s.mean).toBeGreaterThan(0.4);
      expect(s.mean).toBeLessThan(0.65);
      expect(s.sd).toBeGreaterThan(0.08);
    }
    expect(Math.abs(small.mean - large.mean)).toBeLessThan(0.05);
  });

  it('is bluish on RGB and untinted on gray', () => {
    const rgb = frost.apply(constant(16, 16, 3, 0), [1, 0.7], RandomStream.fromSeed(2)) as { data: Float32Array };
    for (let p = 0; p < 256; p++) {
      const [r, g, b] = [rgb.data[3 * p]!, rgb.data[3 * p + 1]!, rgb.data[3 * p + 2]!];
      expect(b).toBeGreaterThanOrEqual(g);
      expect(g).toBeGreaterThanOrEqual(r);
    }
    const gray = frost.apply(constant(16, 16, 1, 0), [1, 0.7], RandomStream.fromSeed(2)) as { data: Float32Array };
    expect(gray.data.length).toBe(256);
    // The same texture: gray is the luma of the RGB result.
    for (let p = 0; p < 256; p++) expect(gray.data[p]).toBeCloseTo(luma(rgb.data[3 * p]!, rgb.data[3 * p + 1]!, rgb.data[3 * p + 2]!), 5);
  });
});

describe('snow', () => {
  it('zeroes its flake layer below the threshold and draws the streak angle from U(−135°, −45°)', () => {
    for (const profile of PROFILE_NAMES) {
      for (const params of snow.table[profile]) {
        const threshold = params[3];
        const { layer, angle } = snowFlakeLayer(40, 36, params, RandomStream.fromSeed(Math.round(params[0] * 1000 + params[2] * 10)));
        let flakes = 0;
        for (const v of layer) {
          expect(v === 0 || (v >= threshold && v <= 1)).toBe(true);
          if (v > 0) flakes++;
        }
        expect(flakes).toBeGreaterThan(0);
        expect(flakes).toBeLessThan(layer.length);
        expect(angle).toBeGreaterThanOrEqual(-135);
        expect(angle).toBeLessThan(-45);
      }
    }
  });

  it('has as many flakes as the zoomed N(μ, σ) noise puts above the threshold', () => {
    // ImageNet-C s3 (μ .55, σ .3, zoom 4, threshold .9). clipped_zoom crops ⌈224/4⌉ = 56 px and
    // zooms them bilinearly (corners aligned) back to 224: a pixel at fractions (fy, fx) between
    // noise samples has σ·√(v(fy)·v(fx)), v(f) = (1 − f)² + f², so fewer pixels pass than the
    // 12% of N(.55, .3) above .9.
    const [mean, std, zoom, threshold] = snow.table.imagenet224[2];
    const crop = Math.ceil(224 / zoom);
    const fractions = Array.from({ length: 224 }, (_, y) => {
      const u = (y * (crop - 1)) / (224 - 1);
      return u - Math.floor(u);
    });
    const v = (f: number) => (1 - f) ** 2 + f ** 2;
    let expected = 0;
    for (const fy of fractions) for (const fx of fractions) expected += 1 - normalCdf((threshold - mean) / (std * Math.sqrt(v(fy) * v(fx))));
    expected /= 224 * 224;
    let above = 0;
    for (let seed = 0; seed < 4; seed++) {
      const { layer } = snowFlakeLayer(224, 224, snow.table.imagenet224[2], RandomStream.fromSeed(seed));
      for (const value of layer) if (value > 0) above++;
    }
    expect(expected).toBeLessThan(0.08);
    expect(Math.abs(above / (4 * 224 * 224) - expected)).toBeLessThan(0.01);
  });

  it('whitens as b·x + (1 − b)·max(x, 1.5·gray + 0.5) with Rec. 601 gray, and records the angle', () => {
    // A threshold above 1 leaves no flakes, so only the whitening remains.
    const params: SnowParams = [0.5, 0.3, 2, 1.5, 10, 4, 0.7];
    for (const channels of [1, 3]) {
      const image = gradient(9, 11, channels);
      const [forCorruption, forCheck] = twins(channels);
      const out = snow.apply(image, params, forCorruption) as { data: Float32Array; sampled: Record<string, number> };
      expect(out.sampled['angle']).toBe(snowFlakeLayer(9, 11, params, forCheck).angle);
      for (let p = 0; p < 99; p++) {
        const px = Array.from(image.data.subarray(p * channels, (p + 1) * channels));
        const gray = channels === 3 ? luma(px[0]!, px[1]!, px[2]!) : px[0]!;
        for (let c = 0; c < channels; c++) {
          const x = px[c]!;
          const expected = Math.min(1, 0.7 * x + 0.3 * Math.max(x, 1.5 * gray + 0.5));
          expect(out.data[p * channels + c]).toBeCloseTo(expected, 6);
        }
      }
    }
  });

  it('adds each streak and its 180° rotation', () => {
    // On black with no whitening (b = 1), the output is streaks + rot180(streaks): symmetric.
    const params: SnowParams = [0.3, 0.3, 1.5, 0.6, 6, 3, 1];
    const out = snow.apply(constant(15, 12, 1, 0), params, RandomStream.fromSeed(4)) as { data: Float32Array };
    for (let p = 0; p < 180; p++) expect(out.data[p]).toBeCloseTo(out.data[179 - p]!, 6);
    expect(Math.max(...out.data)).toBeGreaterThan(0);
  });
});

describe('motion-blur line kernel (shared/line-kernel)', () => {
  it("is ImageMagick's one-sided Gaussian line: 2⌈r⌉ + 1 taps at round(i·(cos θ, sin θ)), normalised", () => {
    const down = lineKernel(4, 2, 90);
    expect(Array.from(down.dx)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(down.dy)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const raw = Array.from({ length: 9 }, (_, i) => Math.exp(-(i * i) / 8));
    const total = raw.reduce((a, b) => a + b, 0);
    down.weights.forEach((w, i) => expect(w).toBeCloseTo(raw[i]! / total, 12));
    const diagonal = lineKernel(3, 5, -45);
    // round(i·0.7071) repeats offsets, which are merged: 7 taps become distinct offsets.
    expect(new Set(Array.from(diagonal.dx, (dx, i) => `${dx},${diagonal.dy[i]}`)).size).toBe(diagonal.dx.length);
    expect(Array.from(diagonal.dx).every((dx, i) => dx === -diagonal.dy[i]! && dx >= 0)).toBe(true);
    expect(diagonal.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(lineKernel(0, 3, 10).weights.length).toBe(1);
  });
});

describe('spatter', () => {
  it("blurs its layers as scipy's gaussian_filter does (nearest border, truncate 4), on the SIMD engine", () => {
    // Against a direct float64 correlation with the clamped index, scipy's 'nearest' rule.
    for (const [height, width, sigma] of [[17, 23, 4], [9, 5, 1.5], [12, 12, 0.7], [6, 8, 0.1]] as const) {
      const layer = Float32Array.from({ length: height * width }, (_, i) => (i * 0.6180339887498949) % 1);
      const radius = Math.trunc(4 * sigma + 0.5);
      const weights = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
      const total = weights.reduce((a, b) => a + b, 0);
      const clamp = (i: number, n: number) => Math.min(n - 1, Math.max(0, i));
      const blurred = gaussianBlurLayer(layer, height, width, sigma);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let j = -radius; j <= radius; j++) {
            for (let k = -radius; k <= radius; k++) sum += weights[j + radius]! * weights[k + radius]! * layer[clamp(y + j, height) * width + clamp(x + k, width)]!;
          }
          expect(Math.abs(blurred[y * width + x]! - sum / (total * total)), `${height}×${width} σ ${sigma} at ${y},${x}`).toBeLessThan(2e-6);
        }
      }
    }
  });

  it('uses water at s1–s3 and mud at s4–s5 in every profile, as the reference tables do', () => {
    for (const profile of PROFILE_NAMES) expect(spatter.table[profile].map((row) => row[5])).toEqual([0, 0, 0, 1, 1]);
    // MNIST-C's mud, ImageNet-C's s4, is the 28-px s5.
    expect(spatter.table.mnist28[4]).toEqual([0.65, 0.3, 1, 0.65, 1.5, 1]);
  });

  it('adds pale-turquoise water (175, 238, 238) at the water severities, its luma on gray', () => {
    for (const profile of PROFILE_NAMES) {
      for (const params of spatter.table[profile].filter((row) => row[5] === 0)) {
        const rgb = spatter.apply(constant(48, 48, 3, 0.2), params, RandomStream.fromSeed(3)) as { data: Float32Array };
        let wet = 0;
        for (let p = 0; p < 48 * 48; p++) {
          const delta = [0, 1, 2].map((c) => rgb.data[3 * p + c]! - 0.2);
          expect(delta.every((d) => d >= -1e-7)).toBe(true);
          if (delta[2]! > 1e-4) {
            wet++;
            expect(delta[0]! / delta[2]!).toBeCloseTo(WATER_RGB[0] / WATER_RGB[2], 4);
            expect(delta[1]! / delta[2]!).toBeCloseTo(1, 4);
            // Never more than the intensity times the colour.
            expect(delta[2]!).toBeLessThanOrEqual(params[4] * WATER_RGB[2] + 1e-6);
          }
        }
        expect(wet).toBeGreaterThan(0);
        const gray = spatter.apply(constant(48, 48, 1, 0.2), params, RandomStream.fromSeed(3)) as { data: Float32Array };
        for (let p = 0; p < 48 * 48; p++) {
          const expected = 0.2 + (rgb.data[3 * p + 2]! - 0.2) * (luma(...WATER_RGB) / WATER_RGB[2]);
          expect(gray.data[p]).toBeCloseTo(expected, 5);
        }
      }
    }
  });

  it('covers mud blobs with mud brown (63, 42, 20) at opacity ≥ 0.8 at the mud severities, its luma on gray', () => {
    for (const profile of PROFILE_NAMES) {
      for (const params of spatter.table[profile].filter((row) => row[5] === 1)) {
        for (const channels of [1, 3]) {
          const mud = channels === 3 ? [...MUD_RGB] : [luma(...MUD_RGB)];
          const x = 0.9;
          const out = spatter.apply(constant(48, 48, channels, x), params, RandomStream.fromSeed(8)) as { data: Float32Array };
          let muddy = 0;
          for (let p = 0; p < 48 * 48; p++) {
            // x·(1 − m) + mud·m with m = 0 or m ∈ [0.8, 1]: the same m on every channel.
            const m = (x - out.data[p * channels]!) / (x - mud[0]!);
            if (m < 1e-6) {
              expect(m).toBeGreaterThan(-1e-6);
              continue;
            }
            muddy++;
            expect(m).toBeGreaterThanOrEqual(0.8 - 1e-5);
            expect(m).toBeLessThanOrEqual(1 + 1e-5);
            for (let c = 1; c < channels; c++) expect(out.data[p * channels + c]).toBeCloseTo(x * (1 - m) + mud[c]! * m, 5);
          }
          expect(muddy).toBeGreaterThan(0);
        }
      }
    }
  });
});

describe('ziggurat normals (shared/ziggurat-normal)', () => {
  it('have mean 0, variance 1 and normal tails', () => {
    const n = 400_000;
    const draws = fillNormalZiggurat(RandomStream.fromSeed(21), new Float64Array(n));
    let mean = 0;
    for (const v of draws) mean += v;
    mean /= n;
    let variance = 0;
    for (const v of draws) variance += (v - mean) ** 2;
    variance /= n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // P(|Z| > t) for t = 1, 2, 3: 0.31731, 0.04550, 0.00270, each within 5 binomial σ.
    for (const [t, p] of [[1, 0.31731], [2, 0.0455], [3, 0.0027]] as const) {
      const observed = draws.reduce((count, v) => count + (Math.abs(v) > t ? 1 : 0), 0) / n;
      expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});
