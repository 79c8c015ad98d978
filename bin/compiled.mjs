// Whether the compiled engine (out/node, `npm run build:node`) can be run instead of the TypeScript
// sources: it exists and was built from sources no older than the ones in this checkout (same files,
// none changed since). A packaged app has no sources, only the build. STRATA_FROM_SOURCE=1 forces the
// sources (through tsx).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['core', 'workers', 'electron'];

/** Every TypeScript source of the engine and the shell (not tests, not declarations), relative to `root`. */
export function engineSources(root = ROOT) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) out.push(r);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(path.join(root, d))) walk(d);
  return out.sort();
}

/** How many sources there are and the newest modification time among them. */
export function sourceStats(root = ROOT) {
  const files = engineSources(root);
  return { count: files.length, newest: Math.max(0, ...files.map((f) => statSync(path.join(root, f)).mtimeMs)) };
}

/** The compiled file for a source path (`core/cli/run.ts` → out/node/core/cli/run.js), or null when it must not be used. */
export function compiledEntry(source, root = ROOT) {
  if (process.env.STRATA_FROM_SOURCE === '1') return null;
  const OUT = path.join(root, 'out', 'node');
  const file = path.join(OUT, source.replace(/\.ts$/, '.js'));
  let build;
  try {
    build = JSON.parse(readFileSync(path.join(OUT, 'BUILD.json'), 'utf8'));
  } catch {
    return null;
  }
  if (!existsSync(file)) return null;
  const src = sourceStats(root);
  if (src.count === 0) return file; // packaged: only the build is there
  return src.count === build.sources && src.newest <= build.newestSourceMtimeMs ? file : null;
}
