// Electron entry: load the TypeScript main process through tsx (as bin/strata.mjs does for the CLI),
// so core/ runs from source with no separate compile step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
