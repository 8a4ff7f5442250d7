/**
 * What ssl-robust says about the native kernels, and that the wasm backend registers them
 * exactly when they are available and not turned off (SSL_ROBUST_NATIVE=0 or --no-native).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { backendProvider } from '../../src/backend/index.js';
import {
  describeNativeStatus,
  isNativeKernelRegistered,
  loadNativeAddon,
  NATIVE_ENV,
  nativeKernelsDisabled,
  nativeKernelStatus,
  unregisterNativeKernels,
} from '../../src/backend/native/index.js';
import { cli } from '../helpers/cli.js';

const load = loadNativeAddon();
const savedSetting = process.env[NATIVE_ENV];

afterEach(() => {
  if (savedSetting === undefined) delete process.env[NATIVE_ENV];
  else process.env[NATIVE_ENV] = savedSetting;
  unregisterNativeKernels();
});

describe('native kernel status', () => {
  it('reads SSL_ROBUST_NATIVE: 0, false, off and no turn the kernels off; anything else leaves them on', () => {
    for (const value of ['0', 'false', 'OFF', ' no ']) expect(nativeKernelsDisabled({ [NATIVE_ENV]: value }), value).toBe(true);
    for (const value of [undefined, '', '1', 'on', 'yes']) expect(nativeKernelsDisabled({ [NATIVE_ENV]: value }), String(value)).toBe(false);
  });

  it('is off with the reason when turned off, and otherwise follows the addon', () => {
    const off = nativeKernelStatus({ [NATIVE_ENV]: '0' });
    expect(off).toEqual({ active: false, reason: `turned off by ${NATIVE_ENV}=0 or --no-native` });
    expect(describeNativeStatus(off)).toBe(`off (turned off by ${NATIVE_ENV}=0 or --no-native)`);
    const on = nativeKernelStatus({});
    if (load.ok) {
      expect(on).toMatchObject({ active: true, library: expect.stringMatching(/^oneDNN \d+\.\d+\.\d+.* \+ OpenBLAS \d/) });
      expect(describeNativeStatus(on)).toMatch(/^active \(oneDNN .*, \d+ threads\)$/);
    } else {
      expect(on).toEqual({ active: false, reason: load.reason });
      expect(describeNativeStatus(on)).toBe(`off (${load.reason})`);
    }
  });

  it('`ssl-robust backends` prints the state under wasm, and --no-native turns it off', async () => {
    delete process.env[NATIVE_ENV];
    const plain = await cli(['backends']);
    expect(plain.code).toBe(0);
    const expected = load.ok ? /^ +native kernels: active \(oneDNN .* \+ OpenBLAS .*, \d+ threads\)$/m : /^ +native kernels: off \(.*addon.*\)$/m;
    expect(plain.stdout).toMatch(expected);
    const lines = plain.stdout.split('\n');
    expect(lines[lines.findIndex((l) => l.startsWith('wasm')) + 1]).toMatch(/native kernels:/);

    const off = await cli(['--no-native', 'backends']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^ +native kernels: off \(turned off by SSL_ROBUST_NATIVE=0 or --no-native\)$/m);
  });

  it('`ssl-robust backends --json` carries the status on the wasm entry', async () => {
    process.env[NATIVE_ENV] = '0';
    const run = await cli(['backends', '--json']);
    const wasm = JSON.parse(run.stdout).backends.find((b: { name: string }) => b.name === 'wasm');
    expect(wasm.nativeKernels).toEqual({ active: false, reason: 'turned off by SSL_ROBUST_NATIVE=0 or --no-native' });
  });

  it('activating wasm registers the native kernels when available and enabled, and removes them when turned off', async () => {
    delete process.env[NATIVE_ENV];
    await backendProvider('wasm').activate();
    expect(isNativeKernelRegistered('Conv2D')).toBe(load.ok);
    expect(isNativeKernelRegistered('Conv2DBackpropInput')).toBe(load.ok);
    expect(isNativeKernelRegistered('BatchMatMul')).toBe(load.ok);
    process.env[NATIVE_ENV] = '0';
    await backendProvider('wasm').activate();
    expect(isNativeKernelRegistered('Conv2D')).toBe(false);
    expect(isNativeKernelRegistered('Conv2DBackpropInput')).toBe(false);
  });
});
