/**
 * Host-local ("shell") methods: things that depend on where the renderer runs rather than on the
 * project (example files, native dialogs, recent projects). They travel over the same transport as
 * the API under the `shell.` prefix and are answered by the host (web host or Electron main), never
 * by the engine. Their types live in core/api/contract.ts, shared with the renderer.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApiResponse, ExampleFile } from '../api/contract.js';
import { resourcePath } from '../paths.js';

export type { ExampleFile, ShellInfo, ShellMethods } from '../api/contract.js';

/** The shipped resources/examples (checkout, compiled build and packaged app alike). */
export const defaultExamplesDir = resourcePath('examples');

const EXAMPLE_EXT = /\.(sdf|sd|mol|smi|smiles|csv|tsv|txt)(\.gz)?$/i;
/** Licence and readme files sit beside the examples; they are not libraries. */
const NOT_LIBRARY = /^(license|licence|readme|notice|copying|attribution)/i;

/** Library files shipped as examples; an absent folder gives an empty list. */
export async function listExamples(dir: string): Promise<ExampleFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: ExampleFile[] = [];
  for (const name of names.sort()) {
    if (!EXAMPLE_EXT.test(name) || NOT_LIBRARY.test(name)) continue;
    const full = path.join(dir, name);
    const s = await stat(full).catch(() => null);
    if (s?.isFile()) out.push({ name, path: full, size: s.size });
  }
  return out;
}

export function isShellMethod(method: string): boolean {
  return method.startsWith('shell.');
}

export function shellError(message: string, code: 'UNKNOWN_METHOD' | 'INVALID_INPUT' | 'INTERNAL' = 'UNKNOWN_METHOD'): ApiResponse<never> {
  return { ok: false, error: { name: 'ShellError', code, message } };
}
