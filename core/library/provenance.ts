import type { Db } from '../store/db.js';
import { APP_VERSION } from '../version.js';

/** Append one operation with its parameters to the project's provenance log. */
export function logProvenance(db: Db, operation: string, params: unknown, result: unknown): void {
  db.prepare('INSERT INTO provenance(at, operation, params, result, app_version) VALUES (?, ?, ?, ?, ?)')
    .run(new Date().toISOString(), operation, JSON.stringify(params ?? {}), result === undefined ? null : JSON.stringify(result), APP_VERSION);
}
