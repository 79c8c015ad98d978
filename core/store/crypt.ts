/**
 * Projects encrypted at rest: SQLCipher 4 compatible encryption through SQLite3MultipleCiphers
 * (better-sqlite3-multiple-ciphers). The passphrase goes through SQLCipher's own KDF (PBKDF2-HMAC-SHA512,
 * 256,000 iterations) into the page key; every page of the file and of its -wal is encrypted, the
 * header included. The passphrase is held in memory only: never logged, stored, or put in an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/errors.js';
import type { Db } from './db.js';

/** The first 16 bytes of every unencrypted SQLite database. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Whether a file on disk looks like an encrypted database: it does not start with SQLite's header (an
 * SQLCipher file starts with its random salt) and is whole pages (a multiple of 512 bytes, the smallest
 * page size). Anything else — a text file, a truncated file — is left to SQLite to refuse as not a database.
 */
export function looksEncrypted(file: string): boolean {
  if (file === ':memory:') return false;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    const size = fs.fstatSync(fd).size;
    return size >= 512 && size % 512 === 0 && !(n === 16 && head.equals(SQLITE_HEADER));
  } finally {
    fs.closeSync(fd);
  }
}

/** SQL string literal of a passphrase (used only in the key pragmas, never in a message). */
function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Keys a fresh connection: SQLCipher 4 scheme, then the passphrase. Must run before any other
 * statement on that connection. Nothing is read yet: a wrong key shows on the first read.
 */
export function keyConnection(db: Db, passphrase: string): void {
  if (passphrase === '') throw new ApiError('INVALID_INPUT', 'the passphrase is empty');
  db.pragma("cipher = 'sqlcipher'");
  db.pragma('legacy = 4');
  db.pragma(`key = ${literal(passphrase)}`);
}

/** SQLite says a keyed file (or a plain file read with a key) is not a database. */
export function isNotADatabase(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  return e?.code === 'SQLITE_NOTADB' || /file is not a database/.test(e?.message ?? '');
}

/** The error for a file the given passphrase (or the lack of one) does not open. */
export function lockedError(file: string, passphraseGiven: boolean): ApiError {
  return passphraseGiven
    ? new ApiError('WRONG_PASSPHRASE', `${file} is encrypted and the passphrase does not open it; the file was not changed`, { file })
    : new ApiError('PASSPHRASE_REQUIRED', `${file} is encrypted: give its passphrase (--passphrase-file FILE, STRATA_PASSPHRASE_FILE, or the prompt)`, { file });
}

/**
 * Reads a passphrase file: its first line, without the line ending. Refuses an empty one, naming the
 * file (never the content).
 */
export function readPassphraseFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ApiError('BAD_FILE', `cannot read the passphrase file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  if (first === '') throw new ApiError('INVALID_INPUT', `the passphrase file ${file} is empty (the passphrase is its first line)`);
  return first;
}

/** Row counts of every table (the conversion's check that nothing was lost). */
export function tableCounts(db: Db, schema = 'main'): Record<string, number> {
  const tables = db.prepare(`SELECT name FROM ${schema}.sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = (db.prepare(`SELECT count(*) FROM ${schema}."${t.replace(/"/g, '""')}"`).pluck().get() as number);
  return out;
}

/** Stages of a conversion, for the crash test (`STRATA_CONVERT_PAUSE_AT`). */
export type ConvertStage = 'copied' | 'verified' | 'swapped';

/** Temporary and leftover files of a conversion: next to the project, named after it. */
export function convertTempOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.converting`);
}
