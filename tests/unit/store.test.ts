import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, migrate, openProject } from '../../core/store/db.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../core/store/migrations/index.js';
import { ApiError } from '../../core/api/errors.js';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-store-')), 'p.strata');

test('a new project is migrated to the latest schema, WAL, foreign keys, application id', () => {
  const file = tmp();
  const db = openProject(file);
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('application_id', { simple: true }), APPLICATION_ID);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all();
  for (const t of ['sources', 'compounds', 'descriptors', 'fingerprints', 'properties', 'import_issues', 'provenance', 'subgroups']) assert.ok(tables.includes(t), t);
  db.close();
});

test('migrations are strictly increasing and re-running them is a no-op', () => {
  const versions = MIGRATIONS.map((m) => m.version);
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
  assert.equal(new Set(versions).size, versions.length);
  const db = openProject(':memory:');
  assert.deepEqual(migrate(db), []);
  db.close();
});

test('a project from a newer Strata is refused with a clear message and left unchanged', () => {
  const file = tmp();
  openProject(file).close();
  const raw = new Database(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
  raw.close();
  const before = fs.readFileSync(file);
  assert.throws(() => openProject(file), (e: unknown) => e instanceof ApiError && e.code === 'PROJECT_TOO_NEW' && /newer Strata/.test(e.message) && e.message.includes(file));
  assert.deepEqual(fs.readFileSync(file), before);
});

test('an SQLite file that is not a Strata project is refused', () => {
  const file = tmp();
  const raw = new Database(file);
  raw.exec('CREATE TABLE t (x)');
  raw.close();
  assert.throws(() => openProject(file), (e: unknown) => e instanceof ApiError && e.code === 'BAD_FILE' && /not a Strata project/.test(e.message));
});

test('a file that is not SQLite at all is refused with the file name', () => {
  const file = tmp();
  fs.writeFileSync(file, 'this is not a database, just text that is long enough to look like a header........');
  assert.throws(() => openProject(file), (e: unknown) => e instanceof ApiError && e.message.includes(file));
});

test('hot queries use indexes (EXPLAIN QUERY PLAN)', () => {
  const db = openProject(':memory:');
  const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
  assert.match(plan("SELECT id FROM compounds WHERE identity = 'x' AND duplicate_of IS NULL"), /USING (COVERING )?INDEX compounds_identity_unique/);
  assert.match(plan('SELECT c.id FROM descriptors d JOIN compounds c ON c.id = d.compound_id ORDER BY d."QED" DESC LIMIT 50'), /descriptors_QED/);
  assert.doesNotMatch(plan('SELECT c.id FROM descriptors d JOIN compounds c ON c.id = d.compound_id ORDER BY d."QED" DESC LIMIT 50'), /TEMP B-TREE/);
  assert.match(plan("SELECT compound_id FROM properties WHERE name = 'x' AND num > 3"), /properties_name_num/);
  db.close();
});
