#!/usr/bin/env node
// `npm start`: build the renderer and preload, then start the desktop app — if an Electron binary
// is available. The npm package `electron` downloads its binary in an install script, which this
// project skips (no network at install time), so the binary is often absent: say so and point at
// the browser host, which runs the same UI and API.
//
//   ELECTRON_PATH=/path/to/electron npm start -- --project my.strata
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { buildShell, ROOT } from './build-shell.mjs';

function findElectron() {
  if (process.env.ELECTRON_PATH) return existsSync(process.env.ELECTRON_PATH) ? process.env.ELECTRON_PATH : null;
  try {
    // The package's main export is the binary's path; it throws when the binary was never downloaded.
    const p = createRequire(import.meta.url)('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const electron = findElectron();
if (!electron) {
  const why = process.env.ELECTRON_PATH ? `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist.` : 'No Electron binary is installed (its download is disabled in this project).';
  process.stderr.write(
    `strata: cannot start the desktop app: ${why}\n` +
      '  Use the browser instead (same UI, same engine):  npm run serve -- --project my.strata\n' +
      '  Or point ELECTRON_PATH at an Electron 41 binary:  ELECTRON_PATH=/opt/electron/electron npm start\n',
  );
  process.exit(1);
}

await buildShell();
const args = [path.join(ROOT, 'electron', 'boot.mjs'), ...process.argv.slice(2)];
const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE; // set, it would make the binary behave as plain Node
const child = spawn(electron, args, { cwd: ROOT, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
