import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The app version from package.json, recorded in provenance and export headers. */
export const APP_VERSION: string = (require('../package.json') as { version: string }).version;
