/**
 * The path policy of a shared server (`strata serve --allow-origin …`, "proxy mode").
 *
 * Anyone holding the URL can call the API, so in proxy mode the host — not the engine — confines
 * every path an API call names to the configured data folders (`--data-root`, default: the
 * project's folder) before the call reaches the engine:
 *  - files to import must exist inside a data folder or the upload folder (or be one of the
 *    shipped examples), after symlinks are resolved, so `/etc/passwd` or `../../x` are refused;
 *  - an export's output must lie inside a data folder (its nearest existing ancestor is resolved,
 *    so a symlinked folder pointing out of the root is refused too).
 * Relative paths are taken relative to the first data folder. The paths the engine then sees are
 * the resolved absolute ones. On a local (non-proxy) server the user is the machine's owner and
 * paths are passed unchanged.
 *
 * `pathArguments` is the one list of API inputs that name files; the Electron shell uses it too.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../api/errors.js';

export interface PathArguments {
  /** Files the call reads. */
  read: string[];
  /** Files the call writes. */
  write: string[];
}

/** The files an API call names (nothing for calls that take no paths). */
export function pathArguments(method: string, input: unknown): PathArguments {
  const inp = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (method === 'library.import' && Array.isArray(inp.files)) return { read: inp.files.filter((f): f is string => typeof f === 'string'), write: [] };
  if (method === 'library.preview' && typeof inp.path === 'string') return { read: [inp.path], write: [] };
  if (method === 'export.write' && typeof inp.out === 'string') return { read: [], write: [inp.out] };
  if (method === 'measure.import' && typeof inp.file === 'string') return { read: [inp.file], write: [] };
  if (method === 'panel.predict' && typeof inp.file === 'string') return { read: typeof inp.samples === 'string' ? [inp.file, inp.samples] : [inp.file], write: [] };
  return { read: [], write: [] };
}

/** Replace the path arguments of a call (same order as pathArguments returned them). */
export function withPathArguments(method: string, input: unknown, paths: PathArguments): unknown {
  const inp = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (method === 'library.import') return { ...inp, files: paths.read };
  if (method === 'library.preview') return { ...inp, path: paths.read[0] };
  if (method === 'export.write') return { ...inp, out: paths.write[0] };
  if (method === 'measure.import') return { ...inp, file: paths.read[0] };
  if (method === 'panel.predict') return paths.read.length > 1 ? { ...inp, file: paths.read[0], samples: paths.read[1] } : { ...inp, file: paths.read[0] };
  return input;
}

export interface Confinement {
  /** Folders the shared server may read and write (resolved absolute paths). */
  roots: string[];
  /** Folders it may only read (uploads, shipped examples). */
  readRoots: string[];
}

async function real(p: string): Promise<string | null> {
  try {
    return await fs.realpath(p);
  } catch {
    return null;
  }
}

/** Resolves each root once (they must exist). */
export async function resolveRoots(roots: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) {
    const rp = await real(path.resolve(r));
    if (!rp) throw new Error(`data folder ${r} does not exist`);
    out.push(rp);
  }
  return out;
}

const inside = (p: string, root: string) => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** The real path of `p`, or of its deepest existing ancestor joined with the rest. */
async function realOrAncestor(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = p;
  for (;;) {
    const rp = await real(cur);
    if (rp) return path.join(rp, ...rest.reverse());
    const up = path.dirname(cur);
    if (up === cur) return p;
    rest.push(path.basename(cur));
    cur = up;
  }
}

function refuse(given: string, what: string): never {
  // The message names the path the caller gave, not where it resolved to.
  throw new ApiError('FORBIDDEN', `${given.slice(0, 300)}: ${what} On a shared server (--allow-origin) files are read and written only inside its data folders; upload files to import them, and download exports.`);
}

/** Checks and resolves the path arguments of a call against the confinement; throws FORBIDDEN. */
export async function confinePaths(args: PathArguments, c: Confinement): Promise<PathArguments> {
  const base = c.roots[0];
  const abs = (p: string) => {
    if (p.includes('\0')) refuse('(path)', 'contains a NUL byte.');
    return path.resolve(base, p);
  };
  const read: string[] = [];
  for (const given of args.read) {
    const rp = await real(abs(given));
    if (!rp) refuse(given, 'no such file inside the data folders.');
    if (![...c.roots, ...c.readRoots].some((r) => inside(rp, r))) refuse(given, 'is outside the data folders.');
    read.push(rp);
  }
  const write: string[] = [];
  for (const given of args.write) {
    const rp = await realOrAncestor(abs(given));
    if (!c.roots.some((r) => inside(rp, r) && rp !== r)) refuse(given, 'is outside the data folders.');
    write.push(rp);
  }
  return { read, write };
}
