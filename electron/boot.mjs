// Electron entry: the compiled main process (out/node, `npm run build:node`; what a packaged app ships)
// when it is up to date with the sources, else the TypeScript sources through tsx (development).
import { pathToFileURL } from 'node:url';
import { compiledEntry } from '../bin/compiled.mjs';

const compiled = compiledEntry('electron/main.ts');
if (compiled) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
