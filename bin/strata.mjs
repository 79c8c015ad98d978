#!/usr/bin/env node
// Entry point of the `strata` command. It runs the compiled engine (out/node, `npm run build:node`) in
// this process when that build is up to date with the sources; otherwise (development, a fresh clone)
// the TypeScript sources through tsx, in a child Node started with `--import tsx` so that worker threads
// get the same loader (a loader registered at run time does not reach worker threads on Node 20).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledEntry } from './compiled.mjs';

const compiled = compiledEntry('core/cli/run.ts');
if (compiled) {
  await import(pathToFileURL(compiled).href);
} else {
  const require = createRequire(import.meta.url);
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const entry = fileURLToPath(new URL('../core/cli/run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', tsx, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; a signal sent to this process
  // alone (kill -INT <pid>) is passed on. Either way the child decides how to stop.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal] ?? 1) : 1);
  });
}
