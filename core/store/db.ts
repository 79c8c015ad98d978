/**
 * The project file: one SQLite database per project (`.strata`). WAL so readers never block the
 * writer and a crash loses at most the open transaction; foreign keys on; migrations by user_version.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { ApiError } from '../api/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';

export type Db = Database.Database;

export const APPLICATION_ID = 0x53545241; // 'STRA': marks the file as a Strata project for `file(1)` and for us

export interface OpenOptions {
  /** Create the file if it does not exist (default true). */
  create?: boolean;
  readonly?: boolean;
}

export function openProject(path: string, opts: OpenOptions = {}): Db {
  const exists = path === ':memory:' || fs.existsSync(path);
  if (!exists && opts.create === false) throw new ApiError('NOT_FOUND', `project file not found: ${path}`);
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.create === false });
  } catch (err) {
    throw new ApiError('BAD_FILE', `cannot open project file ${path}: ${(err as Error).message}`);
  }
  try {
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table'").get() as { n: number }).n > 0;
    if (hasTables && appId !== APPLICATION_ID) {
      throw new ApiError('BAD_FILE', `${path} is an SQLite database but not a Strata project (application_id ${appId})`);
    }
    if (version > SCHEMA_VERSION) {
      throw new ApiError(
        'PROJECT_TOO_NEW',
        `${path} was written by a newer Strata (schema version ${version}; this version reads up to ${SCHEMA_VERSION}). Update Strata to open it; the file was not changed.`,
      );
    }
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -65536'); // 64 MiB page cache
    db.pragma('temp_store = MEMORY');
    if (!opts.readonly) migrate(db);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof ApiError) throw err;
    throw new ApiError('BAD_FILE', `cannot open project file ${path}: ${(err as Error).message}`);
  }
}

/** Apply pending migrations, each in its own transaction together with its user_version bump. */
export function migrate(db: Db): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const applied: number[] = [];
  let last = 0;
  for (const m of MIGRATIONS) {
    if (m.version <= last) throw new Error(`migrations out of order at version ${m.version}`);
    last = m.version;
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
      if (m.version === 1) {
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run('created_at', new Date().toISOString());
      }
    })();
    applied.push(m.version);
  }
  return applied;
}
