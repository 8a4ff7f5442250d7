#!/usr/bin/env node
// Builds the optional native CPU kernels (native/, a Node-API addon on oneDNN and OpenBLAS).
// Run by `npm ci` / `npm install` (the package's install script) and by `npm run build:native`.
// It never fails the installation: without a compiler, the libraries or Node's headers it prints
// one line saying so, and ssl-robust runs on the plain wasm kernels. Nothing is downloaded:
// node-gyp is pointed at the Node headers already on the machine.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addonPath = join(nativeDir, 'build', 'Release', 'ssl_robust_native.node');
const say = (line) => console.log(`ssl-robust: ${line}`);

function main() {
  const setting = (process.env.SSL_ROBUST_NATIVE ?? '').trim().toLowerCase();
  if (['0', 'false', 'off', 'no'].includes(setting)) return say('native kernels not built (SSL_ROBUST_NATIVE=0); using the wasm kernels');
  if (!existsSync(join(nativeDir, 'binding.gyp'))) return say('native kernels not built (no native/ sources in this copy); using the wasm kernels');

  const nodeGyp = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ].find((p) => p && existsSync(p));
  if (!nodeGyp) return say('native kernels not built (node-gyp not found next to npm); using the wasm kernels');

  // Node's own headers (Debian's nodejs ships them under /usr/include/node, nodejs.org builds under <prefix>/include/node).
  const nodeDir = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..'), '/usr/local', '/usr'].find(
    (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')) && existsSync(join(d, 'include', 'node', 'common.gypi')),
  );
  if (!nodeDir) return say("native kernels not built (Node's headers not found; they are not downloaded); using the wasm kernels");

  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--jobs=2'], {
    cwd: nativeDir,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (build.status !== 0 || !existsSync(addonPath)) {
    const log = `${build.stdout ?? ''}\n${build.stderr ?? ''}`;
    return say(`native kernels not built (${whyBuildFailed(log, build)}); using the wasm kernels. See scripts/install-native-deps.sh`);
  }
  // Prove it loads (the libraries' runtime parts are present) before claiming success.
  const check = spawnSync(process.execPath, ['-e', `console.log(require(${JSON.stringify(addonPath)}).info().library)`], { encoding: 'utf8' });
  if (check.status !== 0) return say(`native kernels built but do not load (${firstLine(check.stderr)}); using the wasm kernels`);
  say(`native kernels built (${check.stdout.trim()})`);
}

function whyBuildFailed(log, build) {
  if (build.error) return build.error.message;
  if (/dnnl\.hpp: No such file/.test(log)) return 'oneDNN headers missing: apt-get install libdnnl-dev';
  if (/cblas\.h: No such file/.test(log)) return 'OpenBLAS headers missing: apt-get install libopenblas-dev';
  if (/cannot find -ldnnl/.test(log)) return 'oneDNN library missing: apt-get install libdnnl-dev';
  if (/cannot find -lopenblas/.test(log)) return 'OpenBLAS library missing: apt-get install libopenblas-dev';
  if (/(g\+\+|c\+\+|make|python3?)[^\n]*(not found|ENOENT)|Could not find any Python/.test(log)) return 'no C++ toolchain: apt-get install g++ make python3';
  const error = log.split('\n').find((l) => /error/i.test(l));
  return error ? error.trim().slice(0, 160) : `node-gyp exited with ${build.status}`;
}

function firstLine(text) {
  return (text ?? '').trim().split('\n')[0]?.slice(0, 160) ?? 'unknown error';
}

try {
  main();
} catch (error) {
  say(`native kernels not built (${error instanceof Error ? error.message : String(error)}); using the wasm kernels`);
}
process.exit(0);
