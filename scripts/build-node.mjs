#!/usr/bin/env node
// `npm run build:node`: the engine compiled to JavaScript for the CLI, the web host and the desktop app.
//
// Every .ts file of core/, workers/ and electron/ is transpiled one to one (esbuild, ESM, Node 20) into
// out/node/ with the same folder layout, so worker entry points, relative imports and `import.meta.url`
// arithmetic stay what they are in the sources; dependencies stay in node_modules (not bundled: native
// addons, the RDKit WASM and worker files are loaded by path). core/chem/standardise.ts is also copied as
// it is: the shard manifest hashes that source, and a plan made from the build must hash equal to one made
// from the sources. The output is written to a fresh folder and swapped in by rename, with BUILD.json
// naming the newest source it was built from; bin/strata.mjs and electron/boot.mjs run the build only when
// it is at least as new as every source, tsx otherwise (development).
//
//   node scripts/build-node.mjs [--out DIR]
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineSources, sourceStats } from '../bin/compiled.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export async function buildNode({ root = ROOT, out = path.join(root, 'out', 'node') } = {}) {
  const t0 = Date.now();
  const sources = engineSources(root);
  const { newest } = sourceStats(root);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: sources.filter((f) => f !== path.join('electron', 'preload.ts')).map((f) => path.join(root, f)),
    outdir: tmp,
    outbase: root,
    bundle: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  copyFileSync(path.join(root, 'core', 'chem', 'standardise.ts'), path.join(tmp, 'core', 'chem', 'standardise.ts'));
  writeFileSync(path.join(tmp, 'BUILD.json'), `${JSON.stringify({ sources: sources.length, newestSourceMtimeMs: newest, builtAt: new Date().toISOString() }, null, 2)}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return { files: sources.length, seconds: (Date.now() - t0) / 1000, out };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const r = await buildNode(i > 0 ? { out: path.resolve(process.argv[i + 1]) } : {});
  process.stdout.write(`built ${r.files} files into ${path.relative(process.cwd(), r.out) || r.out} in ${r.seconds.toFixed(2)} s\n`);
}
