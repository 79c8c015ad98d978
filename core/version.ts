import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_DIR } from './paths.js';

/** The app version from package.json, recorded in provenance and export headers. */
export const APP_VERSION: string = (JSON.parse(readFileSync(path.join(APP_DIR, 'package.json'), 'utf8')) as { version: string }).version;
