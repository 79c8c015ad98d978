/**
 * Where Strata's own files are, the same from the TypeScript sources (`core/…`), the compiled build
 * (`out/node/core/…`, `npm run build:node`) and a packaged desktop app (code in `app.asar`, models and
 * resources beside it in `process.resourcesPath`). Found by walking up from this module, so no path is
 * relative to a file's depth in one layout only.
 *
 * - `APP_DIR`: the folder holding `bin/strata.mjs` and `package.json` (the checkout, or `app.asar`):
 *   the renderer build and the CLI entry live here.
 * - `DATA_DIR`: the folder holding `resources/` and `models/` (the checkout, or the packaged app's
 *   resources folder). `STRATA_DATA_DIR` overrides it (a lab's own model folder layout, tests).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findUp(start: string, test: (dir: string) => boolean, what: string): string {
  for (let dir = start; ; ) {
    if (test(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`strata: cannot find ${what} above ${start}; set STRATA_DATA_DIR / STRATA_APP_DIR`);
    dir = up;
  }
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const APP_DIR = path.resolve(
  process.env.STRATA_APP_DIR || findUp(HERE, (d) => existsSync(path.join(d, 'bin', 'strata.mjs')) && existsSync(path.join(d, 'package.json')), 'bin/strata.mjs'),
);

export const DATA_DIR = path.resolve(process.env.STRATA_DATA_DIR || findUp(HERE, (d) => existsSync(path.join(d, 'resources', 'alerts')), 'resources/alerts'));

/** A file or folder under the shipped `resources/`. */
export function resourcePath(...parts: string[]): string {
  return path.join(DATA_DIR, 'resources', ...parts);
}

export const MODELS_DIR = path.join(DATA_DIR, 'models');
