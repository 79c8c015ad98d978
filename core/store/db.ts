/**
 * The project file: one SQLite database per project (`.strata`). WAL so readers never block the
 * writer and a crash loses at most the open transaction; foreign keys on; migrations by user_version.
 * `openStore` gives the engine its two connections and write queue (core/store/store.ts).
 */
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../api/errors.js';
import { isNotADatabase, keyConnection, lockedError, looksEncrypted } from './crypt.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.js';
import { markInterrupted } from './runs.js';
import { openReader, Store } from './store.js';

export type Db = Database.Database;

export const APPLICATION_ID = 0x53545241; // 'STRA': marks the file as a Strata project for `file(1)` and for us

export interface OpenOptions {
  /** Create the file if it does not exist (default true). */
  create?: boolean;
  readonly?: boolean;
  /** Skip `PRAGMA quick_check` at open (only for callers that have just checked, e.g. tests of the check itself). */
  skipCheck?: boolean;
  /**
   * The project's passphrase (core/store/crypt.ts). A new project opened with one is created encrypted;
   * an encrypted one needs it; a plain one opens without it (and `Store.encrypted` says so).
   */
  passphrase?: string;
}

/** Problems `PRAGMA quick_check` reports for at most this many pages/rows (it stops there). */
const CHECK_LIMIT = 10;

/** Why a file project cannot be written: the file or its folder is not writable (read-only media, permissions). */
function notWritable(file: string): string | null {
  for (const [p, what] of [[file, 'the file'], [path.dirname(file), 'its folder']] as const) {
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'EROFS' ? `${what} is on read-only media` : `${what} is not writable (${code})`;
    }
  }
  return null;
}

/**
 * Whether a connection to `file` is keyed: an encrypted file always (refused without a passphrase), a
 * new or empty one when a passphrase is given, a plain one never.
 */
export function keyFor(file: string, passphrase: string | undefined): string | undefined {
  if (file === ':memory:') return undefined;
  const encrypted = looksEncrypted(file);
  if (encrypted && passphrase === undefined) throw lockedError(file, false);
  const fresh = !fs.existsSync(file) || fs.statSync(file).size === 0;
  return encrypted || fresh ? passphrase : undefined;
}

/** Opens one connection, keyed when `key` is given (before any other statement, as SQLCipher needs). */
export function connect(file: string, key: string | undefined, o: { readonly: boolean; fileMustExist: boolean }): Db {
  let db: Db;
  try {
    db = new Database(file, o);
  } catch (err) {
    throw new ApiError('BAD_FILE', `cannot open project file ${file}: ${(err as Error).message}`);
  }
  if (key === undefined) return db;
  try {
    keyConnection(db, key);
    // The first read: a wrong passphrase shows here, as SQLITE_NOTADB.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db.close();
    if (isNotADatabase(err)) throw lockedError(file, true);
    if (err instanceof ApiError) throw err;
    throw new ApiError('BAD_FILE', `cannot open project file ${file}: ${(err as Error).message}`);
  }
}

function openConnection(file: string, opts: OpenOptions, readOnly: boolean): Db {
  return connect(file, keyFor(file, opts.passphrase), { readonly: readOnly, fileMustExist: opts.create === false || readOnly });
}

/** Identity and schema checks shared by every open: a Strata project, not from a newer Strata. */
function checkIdentity(db: Db, file: string): boolean {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const hasTables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table'").get() as { n: number }).n > 0;
  if (hasTables && appId !== APPLICATION_ID) {
    throw new ApiError('BAD_FILE', `${file} is an SQLite database but not a Strata project (application_id ${appId})`);
  }
  if (version > SCHEMA_VERSION) {
    throw new ApiError(
      'PROJECT_TOO_NEW',
      `${file} was written by a newer Strata (schema version ${version}; this version reads up to ${SCHEMA_VERSION}). Update Strata to open it; the file was not changed.`,
    );
  }
  return hasTables;
}

/** `PRAGMA quick_check`: null when the file is sound, else the first problems SQLite names. */
export function integrityProblems(db: Db): string[] | null {
  const rows = db.prepare(`PRAGMA quick_check(${CHECK_LIMIT})`).pluck().all() as string[];
  return rows.length === 1 && rows[0] === 'ok' ? null : rows;
}

function configure(db: Db, readOnly: boolean): void {
  if (!readOnly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  // Opening waits up to 5 s for another process (its migration, say); the write queue then lowers it
  // and waits on the event loop instead (core/store/store.ts).
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536'); // 64 MiB page cache
  db.pragma('temp_store = MEMORY');
}

/**
 * Opens (creating when allowed) one connection to a project and migrates it. Used by `openStore` and by
 * tests that look at the schema. Foreign keys are switched on after the migrations: a migration that
 * rebuilds a table must not cascade its drop (SQLite's documented procedure), and it checks the keys itself.
 */
export function openProject(file: string, opts: OpenOptions = {}): Db {
  const memory = file === ':memory:';
  const exists = memory || fs.existsSync(file);
  if (!exists && opts.create === false) throw new ApiError('NOT_FOUND', `project file not found: ${file}`);
  const readOnly = opts.readonly ?? false;
  const db = openConnection(file, opts, readOnly);
  try {
    const hasTables = checkIdentity(db, file);
    if (hasTables && !memory && !opts.skipCheck && !readOnly) {
      const problems = problemsOrFailure(db);
      if (problems) throw corruptError(file, problems);
    }
    configure(db, readOnly);
    if (!readOnly) {
      // better-sqlite3 turns foreign keys on by default: off for the migrations, explicitly.
      db.pragma('foreign_keys = OFF');
      migrate(db);
    }
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    if (err instanceof ApiError) throw err;
    // Damage that stops the check itself (a b-tree page SQLite cannot parse) is damage all the same.
    if (isCorrupt(err) && !readOnly) throw corruptError(file, [(err as Error).message]);
    throw new ApiError('BAD_FILE', `cannot open project file ${file}: ${(err as Error).message}`);
  }
}

function isCorrupt(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_CORRUPT');
}

function corruptError(file: string, problems: string[]): ApiError {
  return new ApiError(
    'CORRUPT',
    `${file} failed its integrity check (${problems.slice(0, 3).join('; ')}): it is not opened for writing, so nothing more is lost. Open it read-only (strata --read-only, or "Open read-only") to export what can still be read, or restore a backup.`,
    { problems, readOnlyOpen: true },
  );
}

/** `integrityProblems`, with a check that cannot even run reported as its problem. */
function problemsOrFailure(db: Db): string[] | null {
  try {
    return integrityProblems(db);
  } catch (err) {
    if (isCorrupt(err)) return [(err as Error).message];
    throw err;
  }
}

/**
 * Opens a project for the engine: the writer connection (migrated), a read-only reader connection, the
 * write queue; runs and imports left `running` by a process that is gone are marked `interrupted`.
 * A file that cannot be written (read-only media, permissions) opens read-only, saying why.
 */
export function openStore(file: string, opts: OpenOptions = {}): Store {
  const memory = file === ':memory:';
  let reason: string | null = opts.readonly ? 'opened read-only on request' : null;
  if (!reason && !memory && fs.existsSync(file)) reason = notWritable(file);
  const readOnly = reason !== null;
  if (readOnly && !fs.existsSync(file)) throw new ApiError('NOT_FOUND', `project file not found: ${file}`);
  // Decided once, from the file as it is now, for both connections (a new file is created keyed).
  const key = memory ? undefined : keyFor(file, opts.passphrase);
  let writer: Db;
  let cleanup: (() => void) | undefined;
  try {
    writer = openProject(file, { ...opts, readonly: readOnly });
  } catch (err) {
    // A WAL project on read-only media cannot be opened in place: SQLite needs its -shm file, and
    // cannot create it there (this build takes no `immutable` URI). Read a private copy instead.
    if (!readOnly || !(err instanceof ApiError) || !/unable to open/.test(err.message)) throw err;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ro-'));
    const copy = path.join(dir, path.basename(file));
    fs.copyFileSync(file, copy);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
      writer = openProject(copy, { ...opts, readonly: true });
    } catch (e) {
      cleanup();
      throw e;
    }
    reason = `${reason}; read from a temporary copy, as SQLite cannot open a WAL project in place there`;
  }
  try {
    if (readOnly) {
      writer.pragma('query_only = ON');
      // A read-only open still reports damage, so that what is shown can be weighed.
      const problems = problemsOrFailure(writer);
      if (problems) reason = `${reason}; the integrity check found problems: ${problems.slice(0, 3).join('; ')}`;
    } else {
      markInterrupted(writer);
      writer.pragma('busy_timeout = 20');
    }
    const reader = memory ? writer : readOnly ? writer : openReader(file, key);
    if (reader !== writer) reader.pragma('foreign_keys = ON');
    return new Store({ writer, reader, path: file, readOnly, readOnlyReason: reason, encrypted: key !== undefined, onClose: cleanup });
  } catch (err) {
    writer.close();
    cleanup?.();
    throw err;
  }
}

/**
 * Apply pending migrations, each in its own immediate transaction together with its user_version bump,
 * and with a foreign-key check before it commits.
 */
export function migrate(db: Db): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  const applied: number[] = [];
  let last = 0;
  for (const m of MIGRATIONS) {
    if (m.version <= last) throw new Error(`migrations out of order at version ${m.version}`);
    last = m.version;
    if (m.version <= current) continue;
    db.transaction(() => {
      // Another process may have applied it while this one waited for the lock.
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      m.up(db);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length) throw new Error(`migration ${m.version} (${m.name}) leaves ${broken.length} broken foreign keys`);
      db.pragma(`user_version = ${m.version}`);
      if (m.version === 1) {
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run('created_at', new Date().toISOString());
      }
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
