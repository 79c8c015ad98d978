/**
 * In the desktop shell, a file path reaches the engine only if the user picked it: from a native
 * open/save dialog they answered, from the shipped examples, or (for projects) from the
 * recent-projects list. The renderer is treated as untrusted content — a compromised page (an
 * XSS through a compound name, say) must not be able to import ~/.ssh/id_rsa or export over
 * ~/.bashrc by calling the bridge with a string. Kept free of Electron imports so it is tested
 * in Node (tests/unit/path-grants.test.ts).
 */
import path from 'node:path';
import { pathArguments } from '../core/host/paths.js';

const MAX_GRANTS = 1000;

export class PathGrants {
  private readonly read = new Set<string>();
  private readonly write = new Set<string>();

  constructor(private readonly readFolders: string[] = []) {}

  /** Files the user chose in an open dialog (may be imported, also again later to resume). */
  grantRead(files: string[]): void {
    for (const f of files) add(this.read, path.resolve(f));
  }

  /** A file the user chose in a save dialog (the dialog also asked about replacing it). */
  grantWrite(file: string): void {
    add(this.write, path.resolve(file));
  }

  /** null when every path of the call was granted, else the reason for refusing it. */
  check(method: string, input: unknown): string | null {
    const args = pathArguments(method, input);
    for (const f of args.read) {
      const abs = path.resolve(f);
      const inFolder = this.readFolders.some((d) => abs.startsWith(path.resolve(d) + path.sep));
      if (!this.read.has(abs) && !inFolder) return `${f}: choose files to import with "Choose files…" (paths typed or sent by the page are not accepted)`;
    }
    for (const f of args.write) {
      if (!this.write.has(path.resolve(f))) return `${f}: choose where to export with "Choose…" (paths typed or sent by the page are not accepted)`;
    }
    return null;
  }
}

function add(set: Set<string>, v: string): void {
  set.delete(v);
  set.add(v);
  // Oldest first out: a long session does not grow without bound.
  while (set.size > MAX_GRANTS) set.delete(set.values().next().value as string);
}
