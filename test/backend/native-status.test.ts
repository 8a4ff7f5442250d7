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
  RETAIN_MEMORY_ENV,
  retainFreedMemory,
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

describe('freed memory kept for reuse', () => {
  it('is turned off by SSL_ROBUST_RETAIN_MEMORY=0 and with the native addon, and otherwise follows the addon', () => {
    expect(retainFreedMemory({ [RETAIN_MEMORY_ENV]: '0' })).toEqual({ retained: false, reason: `turned off by ${RETAIN_MEMORY_ENV}=0` });
    expect(retainFreedMemory({ [NATIVE_ENV]: 'off' })).toEqual({ retained: false, reason: `the native addon is turned off (${NATIVE_ENV}=off or --no-native)` });
    const outcome = retainFreedMemory({});
    if (!load.ok) expect(outcome).toEqual({ retained: false, reason: load.reason });
    // Every machine this project builds the addon on runs glibc.
    else expect(outcome).toEqual({ retained: true });
  });

  it('the addon refuses byte counts glibc cannot take, with one line', () => {
    if (!load.ok) return;
    expect(() => load.addon.retainFreedMemory(-1, 0)).toThrow(/^retainFreedMemory: expected two byte counts/);
    expect(() => load.addon.retainFreedMemory(2 ** 31, 0)).toThrow(/^retainFreedMemory: expected two byte counts/);
  });

  it('`ssl-robust backends` says whether freed memory is kept', async () => {
    delete process.env[NATIVE_ENV];
    const plain = await cli(['backends']);
    expect(plain.stdout).toMatch(load.ok ? /^memory: freed memory kept for reuse \(glibc\)$/m : /^memory: C library defaults \(.*addon.*\)$/m);
    const off = await cli(['--no-native', 'backends']);
    expect(off.stdout).toMatch(/^memory: C library defaults \(the native addon is turned off \(SSL_ROBUST_NATIVE=0 or --no-native\)\)$/m);
  });
});
