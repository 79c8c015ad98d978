/**
 * `strata encrypt` / `strata decrypt`: a project converted in place, safely.
 *
 * 1. The project is opened with its current key (integrity checked, migrated), its WAL checkpointed into
 *    the file and truncated; a checkpoint another process blocks means the project is in use: refused.
 * 2. Holding the write lock (so nothing changes it), it is counted (rows per table) and copied byte for
 *    byte next to it (`.<name>.converting`).
 * 3. The copy, out of WAL mode, is re-keyed in place (`PRAGMA rekey`: SQLite3MultipleCiphers rewrites
 *    every page with the new key, or with none to decrypt; it has no `sqlcipher_export`, and this build
 *    takes no URI filenames, so `VACUUM INTO` cannot key its target).
 * 4. The copy is verified: it is (or is not) encrypted as asked, opens with the new key, passes
 *    `quick_check`, and holds the same rows per table, the same schema version and application id.
 * 5. Nobody committed to the project since the copy (`data_version`); the copy replaces it by one
 *    `rename` (atomic on one file system) and the folder is synced.
 *
 * Until step 5 the project is the original file, untouched; after it, the verified copy. A crash in
 * between leaves only the `.converting` file next to it, which the next conversion removes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.js';
import type { ConvertStage } from './crypt.js';
import { convertTempOf, looksEncrypted, tableCounts } from './crypt.js';
import { connect, integrityProblems, openProject } from './db.js';
import type { Db } from './db.js';

export interface ConvertRequest {
  /** The project's passphrase now (undefined: it is not encrypted). */
  from?: string;
  /** The passphrase it gets (undefined: decrypted). */
  to?: string;
}

export interface ConvertResult {
  file: string;
  encrypted: boolean;
  tables: number;
  rows: number;
  bytes: number;
  seconds: number;
}

function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not every platform syncs a folder (Windows): the rename itself is still atomic.
  }
}

function removeTemp(tmp: string): void {
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) fs.rmSync(f, { force: true });
}

/** Test hook: stop at a stage so a test can kill the process there (`STRATA_CONVERT_PAUSE_AT=stage`). */
function pauseAt(stage: ConvertStage): void {
  if (process.env.STRATA_CONVERT_PAUSE_AT !== stage) return;
  process.stderr.write(`paused at ${stage}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

export function convertProject(file: string, req: ConvertRequest): ConvertResult {
  const t0 = performance.now();
  if (!fs.existsSync(file)) throw new ApiError('NOT_FOUND', `project file not found: ${file}`);
  const encryptedNow = looksEncrypted(file);
  if (req.to === undefined && !encryptedNow) throw new ApiError('INVALID_INPUT', `${file} is not encrypted: nothing to decrypt`);
  if (req.to !== undefined && encryptedNow) throw new ApiError('INVALID_INPUT', `${file} is already encrypted (to change the passphrase: decrypt, then encrypt)`);
  if (req.to === '') throw new ApiError('INVALID_INPUT', 'the new passphrase is empty');
  const tmp = convertTempOf(file);
  removeTemp(tmp); // what a crashed conversion left
  const src = openProject(file, { create: false, passphrase: req.from });
  const inUse = () => new ApiError('BUSY', `${file} is in use by another process (it was written, or its journal could not be checkpointed, during the conversion): close it there, then convert; the project was not changed`);
  let counts: Record<string, number>;
  let version: number;
  let appId: number;
  let dataVersion: number;
  try {
    const [cp] = src.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (cp.busy) throw inUse();
    src.exec('BEGIN IMMEDIATE');
    try {
      if (fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0) throw inUse();
      counts = tableCounts(src);
      version = src.pragma('user_version', { simple: true }) as number;
      appId = src.pragma('application_id', { simple: true }) as number;
      dataVersion = src.pragma('data_version', { simple: true }) as number;
      fs.copyFileSync(file, tmp);
    } finally {
      src.exec('COMMIT');
    }
    pauseAt('copied');
    rekey(tmp, req.from, req.to);
    verify(tmp, req.to, counts, version, appId, file);
    pauseAt('verified');
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (src.pragma('data_version', { simple: true }) !== dataVersion) throw inUse();
    src.close();
    // Closing the last connection removes the WAL; one still there belongs to another process.
    if (fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0) throw inUse();
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    fs.renameSync(tmp, file);
  } catch (err) {
    if (src.open) src.close();
    removeTemp(tmp);
    throw err;
  }
  syncDir(path.dirname(file));
  pauseAt('swapped');
  const rows = Object.values(counts).reduce((x, y) => x + y, 0);
  return { file, encrypted: req.to !== undefined, tables: Object.keys(counts).length, rows, bytes: fs.statSync(file).size, seconds: (performance.now() - t0) / 1000 };
}

/** Re-keys the copy in place: out of WAL mode first (SQLite3MultipleCiphers re-keys no WAL database). */
function rekey(tmp: string, from: string | undefined, to: string | undefined): void {
  const db = connect(tmp, from, { readonly: false, fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    if (from === undefined) {
      db.pragma("cipher = 'sqlcipher'");
      db.pragma('legacy = 4');
    }
    db.pragma(`rekey = ${sqlLiteral(to ?? '')}`);
  } finally {
    db.close();
  }
}

/** The copy opens with the new key (and, encrypted, not without it), is sound and holds the same rows. */
function verify(tmp: string, key: string | undefined, counts: Record<string, number>, version: number, appId: number, file: string): void {
  const fail = (why: string) => new ApiError('INTERNAL', `converting ${file}: the new copy did not verify (${why}); the project was not changed`);
  if (looksEncrypted(tmp) !== (key !== undefined)) throw fail(key !== undefined ? 'it is not encrypted' : 'it is still encrypted');
  let db: Db;
  try {
    db = connect(tmp, key, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw fail(`it does not open with the new key: ${(err as Error).message}`);
  }
  try {
    const problems = integrityProblems(db);
    if (problems) throw fail(`quick_check: ${problems.slice(0, 3).join('; ')}`);
    const got = tableCounts(db);
    for (const [t, n] of Object.entries(counts)) if (got[t] !== n) throw fail(`table ${t} has ${got[t] ?? 'no'} rows, the project ${n}`);
    if (Object.keys(got).length !== Object.keys(counts).length) throw fail('its tables differ');
    if (db.pragma('user_version', { simple: true }) !== version) throw fail('its schema version differs');
    if (db.pragma('application_id', { simple: true }) !== appId) throw fail('its application id differs');
  } finally {
    db.close();
  }
}
