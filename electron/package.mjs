#!/usr/bin/env node
// `npm run dist [-- --linux|--win|--mac]`: build installers with electron-builder.
//
// What this needs, and why:
//  * An Electron distribution. electron-builder downloads the Electron zip from GitHub unless given
//    a local one. Offline, set ELECTRON_DIST to an unpacked Electron 41 directory (the folder that
//    holds the `electron` binary); it is passed as `electronDist`.
//  * Electron's C++ headers, to rebuild better-sqlite3-multiple-ciphers for Electron's ABI (it is not a Node-API
//    addon; onnxruntime-node is, and needs no rebuild). node-gyp downloads them from
//    electronjs.org/headers once into ~/.electron-gyp; offline, pre-populate that cache or set
//    ELECTRON_HEADERS_URL to a mirror.
//  * This machine's ~/.npmrc sets `nodedir=/usr`; npm exports it to scripts as npm_config_nodedir,
//    and node-gyp then silently builds against Node's headers: the installer would carry a
//    better-sqlite3 that fails to load in Electron. We drop that variable for the rebuild and check
//    the ABI of the result.
//  * The rebuild happens in node_modules in place; the Node build is restored afterwards, so tests
//    (which run under Node) keep working.
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildShell, ROOT } from './build-shell.mjs';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const electronAbi = readFileSync(path.join(ROOT, 'node_modules', 'electron', 'abi_version'), 'utf8').trim();
const addon = path.join(ROOT, 'node_modules', 'better-sqlite3-multiple-ciphers', 'build', 'Release', 'better_sqlite3.node');
const backup = `${addon}.node-abi-backup`;

function moduleAbi(file) {
  const m = /node_register_module_v(\d+)/.exec(readFileSync(file).toString('latin1'));
  return m ? m[1] : null;
}

function fail(msg) {
  process.stderr.write(`strata dist: ${msg}\n`);
  process.exit(1);
}

const platformFlag = process.argv.find((a) => ['--linux', '--win', '--mac'].includes(a));
const platform = platformFlag ? platformFlag.slice(2) : { linux: 'linux', win32: 'win', darwin: 'mac' }[process.platform];
if (!platform) fail(`unsupported platform ${process.platform}`);
if ((platform === 'mac') !== (process.platform === 'darwin') || (platform === 'win') !== (process.platform === 'win32')) {
  fail(`build ${platform} installers on ${platform}: native modules cannot be cross-compiled`);
}

const electronDist = process.env.ELECTRON_DIST ?? (existsSync(path.join(ROOT, 'node_modules', 'electron', 'dist')) ? path.join(ROOT, 'node_modules', 'electron', 'dist') : null);
if (electronDist && !existsSync(electronDist)) fail(`ELECTRON_DIST=${electronDist} does not exist`);
if (!electronDist) {
  process.stdout.write(
    `strata dist: no local Electron: electron-builder will download Electron ${electronVersion} (needs network).\n` +
      '             Offline, set ELECTRON_DIST to an unpacked Electron directory.\n',
  );
}

process.stdout.write('strata dist: building the renderer and the preload…\n');
await buildShell();

// --- native rebuild against Electron's headers ----------------------------------------------
for (const k of Object.keys(process.env)) if (k.toLowerCase() === 'npm_config_nodedir') delete process.env[k];
copyFileSync(addon, backup);
try {
  process.stdout.write(`strata dist: rebuilding better-sqlite3-multiple-ciphers for Electron ${electronVersion} (ABI ${electronAbi})…\n`);
  const { rebuild } = await import('@electron/rebuild');
  await rebuild({
    buildPath: ROOT,
    electronVersion,
    onlyModules: ['better-sqlite3-multiple-ciphers'],
    force: true,
    ...(process.env.ELECTRON_HEADERS_URL ? { headerURL: process.env.ELECTRON_HEADERS_URL } : {}),
  });
  const abi = moduleAbi(addon);
  if (abi !== electronAbi) {
    throw new Error(`better-sqlite3-multiple-ciphers was built for ABI ${abi ?? '?'}, Electron ${electronVersion} needs ${electronAbi}: check that no nodedir setting points node-gyp at Node's headers`);
  }

  process.stdout.write(`strata dist: packaging for ${platform}…\n`);
  const { build, Platform } = await import('electron-builder');
  const config = { ...require('./builder.config.cjs'), electronVersion, ...(electronDist ? { electronDist } : {}) };
  const target = { linux: Platform.LINUX, win: Platform.WINDOWS, mac: Platform.MAC }[platform].createTarget();
  const files = await build({ targets: target, config, publish: 'never', projectDir: ROOT });
  process.stdout.write(`strata dist: wrote\n${files.map((f) => `  ${path.relative(ROOT, f)}`).join('\n')}\n`);
} catch (err) {
  process.stderr.write(`strata dist: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!electronDist) process.stderr.write('strata dist: without network, set ELECTRON_DIST (see the header of electron/package.mjs).\n');
  process.exitCode = 1;
} finally {
  // Tests and the CLI run under Node: put the Node build back.
  copyFileSync(backup, addon);
  rmSync(backup, { force: true });
}
