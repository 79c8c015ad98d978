// Shared by launch.mjs and package.mjs: build the renderer (Vite) and bundle the preload to CommonJS
// (a sandboxed preload cannot be an ES module or load TypeScript).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../scripts/build-node.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

export async function buildShell({ renderer = true } = {}) {
  const r = await buildNode({ root: ROOT });
  process.stdout.write(`compiled ${r.files} engine and shell files into out/node in ${r.seconds.toFixed(2)} s\n`);
  if (renderer) run(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts']);
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'electron', 'preload.ts')],
    outfile: path.join(ROOT, 'out', 'electron', 'preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  });
}
