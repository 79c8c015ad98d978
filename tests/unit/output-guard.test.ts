/**
 * Safe outputs: what prepareOutput refuses (the open project, its side files, any SQLite file,
 * special filesystems, format/extension mismatches, existing files without overwrite), atomic
 * writes, and CSV formula escaping. Real files in a temp folder, a real SQLite project.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareOutput, writeAtomically, outputFormat } from '../../core/export/output-guard.js';
import { csvField, sdfLine } from '../../core/export/export.js';
import { ApiError } from '../../core/api/errors.js';
import Database from 'better-sqlite3-multiple-ciphers';

/** A SQLite file in WAL mode, as a project is; the caller closes it. */
function openProject(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)');
  return db;
}

let dir: string;
let project: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'strata-out-'));
  project = path.join(dir, 'lab.strata');
  const db = openProject(project);
  db.close();
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function refused(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, re);
    return true;
  });
}

test('the open project and its -wal/-shm side files are refused, also through a symlink', async () => {
  await refused(prepareOutput(project, { projectFile: project, overwrite: true }), 'INVALID_INPUT', /must end in \.csv/);
  await refused(prepareOutput(project, { projectFile: project, overwrite: true, format: 'csv' }), 'INVALID_INPUT', /lab\.strata/);
  // A project named like an export: refused as the project, not by its extension.
  const odd = path.join(dir, 'hits.csv');
  openProject(odd).close();
  await refused(prepareOutput(odd, { projectFile: odd, overwrite: true }), 'FORBIDDEN', /open project/);
  const link = path.join(dir, 'link.csv');
  await symlink(odd, link);
  await refused(prepareOutput(link, { projectFile: odd, overwrite: true }), 'FORBIDDEN', /open project/);
  // The side files exist while a connection is open in WAL mode.
  const db = openProject(project);
  try {
    for (const side of ['-wal', '-shm']) {
      await refused(prepareOutput(`${project}${side}`, { projectFile: project, overwrite: true }), 'INVALID_INPUT', /must end in/);
    }
    await refused(prepareOutput(`${odd}-wal`, { projectFile: odd, overwrite: true, format: 'csv' }), 'INVALID_INPUT', /must end in/);
  } finally {
    db.close();
  }
});

test('any SQLite file is refused by its magic bytes, whatever its name', async () => {
  const other = path.join(dir, 'results.xlsx');
  const d = new Database(other);
  d.exec('CREATE TABLE t(x)');
  d.close();
  assert.equal((await readFile(other)).subarray(0, 15).toString('latin1'), 'SQLite format 3');
  await refused(prepareOutput(other, { projectFile: project, overwrite: true }), 'FORBIDDEN', /SQLite database/);
  // ... also as the target of a provenance sidecar.
  const side = path.join(dir, 'x.csv');
  await refused(prepareOutput(side, { projectFile: project, sidecars: [other] }), 'FORBIDDEN', /SQLite database/);
});

test('format follows the extension; a mismatch or an unknown extension is refused', async () => {
  assert.equal(outputFormat('/a/b.CSV'), 'csv');
  assert.equal(outputFormat('/a/b.sd'), 'sdf');
  assert.equal(outputFormat('/a/b.xlsx', 'xlsx'), 'xlsx');
  assert.throws(() => outputFormat('/a/b.csv', 'sdf'), /name says CSV but the format asked for is SDF/);
  for (const bad of ['/home/u/.ssh/authorized_keys', '/home/u/.bashrc', '/a/out.txt', '/a/out']) {
    assert.throws(() => outputFormat(bad, 'csv'), /must end in \.csv/, bad);
  }
});

test('an existing file is replaced only with overwrite (code EXISTS otherwise)', async () => {
  const f = path.join(dir, 'old.csv');
  await writeFile(f, 'precious\n');
  await refused(prepareOutput(f, { projectFile: project }), 'EXISTS', /already exists/);
  assert.equal(await readFile(f, 'utf8'), 'precious\n');
  const ok = await prepareOutput(f, { projectFile: project, overwrite: true });
  assert.deepEqual(ok, { file: f, format: 'csv' });
  await refused(prepareOutput(dir + '/sub.csv/..', {}), 'INVALID_INPUT', /must end in/);
});

test('special filesystems are refused before any mkdir; ordinary folders are created', async () => {
  for (const p of ['/proc/self/strata/x.csv', '/sys/kernel/x.csv', '/dev/shm/../null.csv', '/dev/x/y.csv']) {
    await refused(prepareOutput(p, {}), 'FORBIDDEN', /kernel filesystem|filesystem/);
  }
  const nested = path.join(dir, 'a', 'b', 'c', 'out.sdf');
  const r = await prepareOutput(nested, { projectFile: project });
  assert.equal(r.format, 'sdf');
  assert.deepEqual(await readdir(path.dirname(nested)), []);
});

test('non-regular files are refused (a FIFO is never opened for writing)', async () => {
  const fifo = path.join(dir, 'pipe.csv');
  execFileSync('mkfifo', [fifo]);
  await refused(prepareOutput(fifo, { overwrite: true }), 'FORBIDDEN', /not a regular file/);
});

test('writeAtomically leaves the old file intact on failure and no temp files behind', async () => {
  const f = path.join(dir, 'atomic.csv');
  await writeFile(f, 'old\n');
  await assert.rejects(writeAtomically(f, async (tmp) => {
    await writeFile(tmp, 'half');
    throw new Error('disk full');
  }), /disk full/);
  assert.equal(await readFile(f, 'utf8'), 'old\n');
  await writeAtomically(f, (tmp) => writeFile(tmp, 'new\n'));
  assert.equal(await readFile(f, 'utf8'), 'new\n');
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('.partial')), []);
  // A symlink at the output is replaced by the new file, never written through.
  const victim = path.join(dir, 'victim.txt');
  await writeFile(victim, 'keep');
  const l = path.join(dir, 'via-link.csv');
  await symlink(victim, l);
  await writeAtomically(l, (tmp) => writeFile(tmp, 'export'));
  assert.equal(await readFile(victim, 'utf8'), 'keep');
  assert.equal(await readFile(l, 'utf8'), 'export');
});

test('CSV cells a spreadsheet would evaluate are escaped; numbers are not', () => {
  assert.equal(csvField('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvField('+cmd|\' /C calc\'!A0'), `'+cmd|' /C calc'!A0`);
  assert.equal(csvField('@SUM(A1:A2)'), `'@SUM(A1:A2)`);
  assert.equal(csvField('-2+3'), `'-2+3`);
  assert.equal(csvField('\t=1'), "'\t=1");
  assert.equal(csvField('\r=1'), `"'\r=1"`);
  assert.equal(csvField('-3.25'), '-3.25');
  assert.equal(csvField('+1e5'), '+1e5');
  assert.equal(csvField(-1.5), '-1.5');
  assert.equal(csvField('CCO'), 'CCO');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(sdfLine('x\n$$$$\nforged'), 'x $$$$ forged');
});
