/** Run the real `strata` command (bin/strata.mjs) in a folder and collect its exit code and output. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'strata.mjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A `strata` runner whose working folder is `cwd()` at the time of each call. */
export function strataIn(cwd: () => string): (...args: string[]) => CliRun {
  return (...args) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: cwd(), encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
}
