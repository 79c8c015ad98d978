/**
 * Where an export or a ranked output may be written, and how.
 *
 * Every file Strata writes on request (export.write, `strata export|screen|predict|panel import --out`) passes
 * `prepareOutput` first. It refuses, with the path and the reason:
 *  - the open project, its `-wal`/`-shm`/`-journal` side files, and any file that is a SQLite
 *    database (checked by its first 16 bytes, so a project renamed `hits.csv` is still refused),
 *    also when reached through a symlink;
 *  - a name whose extension does not say the format (.csv, .sdf/.sd, .xlsx), or an explicit format
 *    that disagrees with the extension: a "CSV" named `authorized_keys` or `.bashrc` is never written;
 *  - anything that exists and is not a regular file (folders, FIFOs, devices);
 *  - a folder on a special filesystem (/proc, /sys, /dev, cgroup, debugfs, …): a recursive mkdir
 *    there spun forever on the main thread and froze the web host;
 *  - an existing file unless the caller said `overwrite` (the UI asks, the CLI needs `--force`):
 *    code `EXISTS`.
 * The output folder is created with the asynchronous mkdir (libuv's thread pool, off the event
 * loop), only after the checks above. `writeAtomically` then writes to a fresh temp file in the
 * same folder (created exclusively, so a planted symlink is never followed) and renames it into
 * place, so a reader never sees half a file and a failed export leaves the old file intact.
 */
import { randomBytes } from 'node:crypto';
import { constants as FS } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../api/errors.js';

export type OutputFormat = 'csv' | 'sdf' | 'xlsx';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

const EXT_FORMAT: Record<string, OutputFormat> = { '.csv': 'csv', '.sdf': 'sdf', '.sd': 'sdf', '.xlsx': 'xlsx' };

/** Mount points whose contents are kernel interfaces, not files. */
const SPECIAL_PREFIXES = ['/proc', '/sys', '/dev'];
/** statfs f_type of pseudo filesystems (linux/magic.h). */
const SPECIAL_FS_TYPES = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'], [0x64626720, 'debugfs'], [0x73636673, 'securityfs'],
  [0x74726163, 'tracefs'], [0xcafe4a11, 'bpf'], [0x62656570, 'configfs'], [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'], [0x65735543, 'fusectl'], [0x19800202, 'mqueue'],
]);

/** The format an output name asks for; refuses unknown extensions and a contradicting `format`. */
export function outputFormat(out: string, format?: string): OutputFormat {
  const ext = path.extname(out).toLowerCase();
  const byExt = EXT_FORMAT[ext];
  if (!byExt) {
    throw new ApiError('INVALID_INPUT', `${out}: an output file name must end in .csv, .sdf (or .sd) or .xlsx, so that the name says what the file holds`);
  }
  if (format && format !== byExt) {
    throw new ApiError('INVALID_INPUT', `${out}: the name says ${byExt.toUpperCase()} but the format asked for is ${format.toUpperCase()}; rename the file or change the format`);
  }
  return byExt;
}

async function realpathOrNull(p: string): Promise<string | null> {
  try {
    return await fs.realpath(p);
  } catch {
    return null;
  }
}

/** The deepest existing ancestor of `p` (itself included), resolved through symlinks. */
async function existingAncestor(p: string): Promise<string> {
  let cur = p;
  for (;;) {
    const real = await realpathOrNull(cur);
    if (real) return real;
    const up = path.dirname(cur);
    if (up === cur) return cur;
    cur = up;
  }
}

/** Refuses a folder on a kernel pseudo filesystem (by path and by statfs type). */
export async function assertOrdinaryFolder(dir: string): Promise<void> {
  const anc = await existingAncestor(path.resolve(dir));
  for (const pre of SPECIAL_PREFIXES) {
    if (anc === pre || anc.startsWith(`${pre}/`)) throw new ApiError('FORBIDDEN', `${dir}: ${pre} is a kernel filesystem, not a place for output files`);
  }
  const st = await fs.statfs(anc).catch(() => null);
  const kind = st ? SPECIAL_FS_TYPES.get(Number(st.type)) : undefined;
  // devtmpfs reports tmpfs's magic, so /dev is caught by its path above and /tmp stays usable.
  if (kind) throw new ApiError('FORBIDDEN', `${dir}: lies on a ${kind} filesystem, not a place for output files`);
}

async function isSqlite(file: string): Promise<boolean> {
  // O_NONBLOCK: never wait on a FIFO that slipped in between the stat and the open.
  const h = await fs.open(file, FS.O_RDONLY | FS.O_NONBLOCK).catch(() => null);
  if (!h) return false;
  try {
    const buf = Buffer.alloc(SQLITE_MAGIC.length);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    return bytesRead === buf.length && buf.equals(SQLITE_MAGIC);
  } finally {
    await h.close();
  }
}

/** The project and the side files SQLite keeps beside it, as absolute paths (resolved when they exist). */
async function protectedFiles(projectFile: string | undefined): Promise<Set<string>> {
  const out = new Set<string>();
  if (!projectFile) return out;
  const abs = path.resolve(projectFile);
  const real = (await realpathOrNull(abs)) ?? abs;
  for (const base of new Set([abs, real])) for (const suffix of ['', '-wal', '-shm', '-journal']) out.add(base + suffix);
  return out;
}

export interface PrepareOptions {
  /** The open project: never written over, nor its side files. */
  projectFile?: string;
  /** Replace an existing file (the UI asked the user; the CLI was given --force). */
  overwrite?: boolean;
  /** The format the caller asked for; must agree with the extension. */
  format?: string;
  /** Other files the output will produce (the provenance sidecar): same checks except "exists". */
  sidecars?: string[];
}

/** Checks one target path; `mustBeNew` adds the EXISTS refusal. */
async function checkTarget(file: string, guarded: Set<string>, mustBeNew: boolean): Promise<void> {
  const real = await realpathOrNull(file);
  // A path that does not exist yet may still name the project through a symlinked folder.
  const viaParent = path.join((await realpathOrNull(path.dirname(file))) ?? path.dirname(file), path.basename(file));
  for (const p of [file, viaParent, real]) {
    if (p && guarded.has(p)) throw new ApiError('FORBIDDEN', `${file}: is the open project${p.endsWith('-wal') || p.endsWith('-shm') || p.endsWith('-journal') ? "'s SQLite side file" : ''}; choose another output file`);
  }
  if (/\.strata(-wal|-shm|-journal)?$/i.test(file) || /-(wal|shm|journal)$/i.test(file)) {
    throw new ApiError('FORBIDDEN', `${file}: looks like a Strata project or a SQLite side file; choose another output file`);
  }
  const st = await fs.lstat(file).catch(() => null);
  if (!st) return;
  const target = st.isSymbolicLink() ? await fs.stat(file).catch(() => null) : st;
  if (target && !target.isFile()) throw new ApiError('FORBIDDEN', `${file}: exists and is not a regular file`);
  if (target && (await isSqlite(file))) throw new ApiError('FORBIDDEN', `${file}: is a SQLite database (perhaps a Strata project); it is never overwritten by an export`);
  if (mustBeNew) throw new ApiError('EXISTS', `${file}: already exists (overwrite it explicitly: --force on the command line, or confirm in the UI)`, { file });
}

/**
 * Checks an output path and creates its folder. Returns the absolute path and the format.
 * Throws ApiError FORBIDDEN / INVALID_INPUT / EXISTS with the path and the reason.
 */
export async function prepareOutput(out: string, opts: PrepareOptions = {}): Promise<{ file: string; format: OutputFormat }> {
  if (out.includes('\0')) throw new ApiError('INVALID_INPUT', 'output path contains a NUL byte');
  const file = path.resolve(out);
  const format = outputFormat(file, opts.format);
  await assertOrdinaryFolder(path.dirname(file));
  const guarded = await protectedFiles(opts.projectFile);
  await checkTarget(file, guarded, !opts.overwrite);
  for (const s of opts.sidecars ?? []) await checkTarget(path.resolve(s), guarded, false);
  await fs.mkdir(path.dirname(file), { recursive: true });
  return { file, format };
}

/**
 * What the provenance of an output from an encrypted project says: the output itself is not
 * encrypted (nothing for a plain project, whose outputs are as plain as it is).
 */
export function encryptionNote(projectEncrypted: boolean): { encrypted?: false; encryptionNote?: string } {
  return projectEncrypted
    ? { encrypted: false, encryptionNote: 'exported from an encrypted project: this file and this sidecar are NOT encrypted; store and share them accordingly' }
    : {};
}

/** The provenance sidecar written beside every output. */
export function sidecarOf(file: string): string {
  return `${file}.provenance.json`;
}

/** A fresh temp name in the folder of `file` (same filesystem, so the final rename is atomic). */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.partial`);
}

/**
 * Runs `write(tmp)` on a temp file beside `file`, then renames it over `file`. The temp file is
 * created empty and exclusively first, so writers that open by name never follow a planted link.
 * On failure the temp file is removed and `file` is left as it was.
 */
export async function writeAtomically<T>(file: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(file);
  await (await fs.open(tmp, 'wx', 0o644)).close();
  try {
    const r = await write(tmp);
    await fs.rename(tmp, file);
    return r;
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** A small text file written atomically (the provenance sidecar). */
export function writeTextAtomically(file: string, text: string): Promise<void> {
  return writeAtomically(file, (tmp) => fs.writeFile(tmp, text));
}
