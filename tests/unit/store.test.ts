import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
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

test('migration 4: a version-3 project gains the mechanism, selectivity-interval and note columns, all NULL / failure', () => {
  const file = tmp();
  // A project as Strata wrote it at schema version 3, with a compound, an import failure and a stored screen row.
  const raw = new Database(file);
  raw.transaction(() => {
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) m.up(raw);
    raw.pragma('user_version = 3');
    raw.pragma(`application_id = ${APPLICATION_ID}`);
  })();
  raw.exec(`INSERT INTO sources(id, path, name, size, sha256, format, imported_at, status) VALUES (1, '/x.smi', 'x.smi', 1, 'ab', 'smi', 'now', 'complete');
    INSERT INTO compounds(id, source_id, record_no, original, original_format, original_smiles, smiles, identity, heavy_atoms) VALUES (1, 1, 1, 'CCO', 'smiles', 'CCO', 'CCO', 'CCO', 3);
    INSERT INTO import_issues(source_id, record_no, reason) VALUES (1, 2, 'bad SMILES');
    INSERT INTO screen_runs(id, at, model_id, model_sha256, weights, query, subgroups, compounds, status) VALUES (1, 'now', 'm', 's', '{}', '{}', '[]', 1, 'complete');
    INSERT INTO screen_results(run_id, subgroup, compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, spread, members, selectivity, domain_score, in_domain, desirability, rank)
      VALUES (1, 'g', 1, 1.5, 1, 2, 0.1, 10, 0.3, 0.5, 1, 0.7, 1);`);
  raw.close();

  const db = openProject(file);
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.ok(SCHEMA_VERSION >= 4);
  // The data written at version 3 is kept as it was; the new columns are empty.
  assert.deepEqual(db.prepare('SELECT smiles, identity, heavy_atoms, targets, target_pathway FROM compounds WHERE id = 1').get(), { smiles: 'CCO', identity: 'CCO', heavy_atoms: 3, targets: null, target_pathway: null });
  assert.deepEqual(db.prepare('SELECT record_no, reason FROM import_issues').get(), { record_no: 2, reason: 'bad SMILES' });
  assert.deepEqual(db.prepare('SELECT selectivity, selectivity_low, selectivity_high, evidence FROM screen_results').get(), { selectivity: 0.3, selectivity_low: null, selectivity_high: null, evidence: null });
  assert.equal(db.prepare('SELECT kind FROM import_issues').pluck().get(), 'failure');
  // Still one failure per record (resumed imports rely on it), but notes may share a record.
  assert.equal(db.prepare("INSERT OR IGNORE INTO import_issues(source_id, record_no, reason) VALUES (1, 2, 'again')").run().changes, 0);
  db.prepare("INSERT INTO import_issues(source_id, record_no, reason, kind) VALUES (1, 1, 'note a', 'note'), (1, 1, 'note b', 'note')").run();
  assert.throws(() => db.prepare("INSERT INTO import_issues(source_id, record_no, reason, kind) VALUES (1, 3, 'x', 'warning')").run(), /CHECK constraint/);
  assert.throws(() => db.prepare("UPDATE screen_results SET evidence = 'hunch'").run(), /CHECK constraint/);
  const plan = (db.prepare("EXPLAIN QUERY PLAN SELECT id FROM compounds ORDER BY targets LIMIT 50").all() as { detail: string }[]).map((r) => r.detail).join(' | ');
  assert.match(plan, /compounds_targets/);
  db.close();
});

test('migration 5 rebuilds sources and screen_runs without losing the rows that reference them', async () => {
  const { openStore } = await import('../../core/store/db.js');
  const file = tmp();
  // A version-3 project with one import left running by a Strata that recorded no owner.
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.filter((x) => x.version <= 3)) {
    m.up(raw);
    raw.pragma(`user_version = ${m.version}`);
  }
  raw.pragma(`application_id = ${APPLICATION_ID}`);
  raw.exec(`INSERT INTO sources(id, path, name, size, sha256, format, imported_at, status, last_record, n_read, n_imported) VALUES (1, '/x.smi', 'x.smi', 10, 'abc', 'smi', 'then', 'running', 2, 2, 2);
    INSERT INTO compounds(id, source_id, record_no, name, original, original_format, original_smiles, smiles, identity, heavy_atoms) VALUES
      (1, 1, 1, 'a', 'C', 'smiles', 'C', 'C', 'C', 1), (2, 1, 2, 'b', 'CC', 'smiles', 'CC', 'CC', 'CC', 2);
    INSERT INTO screen_runs(id, at, model_id, model_sha256, weights, query, subgroups, compounds, status) VALUES (1, 'then', 'm', 's', '{}', '{}', '[]', 2, 'running');
    INSERT INTO screen_results(run_id, subgroup, compound_id, ln_ic50, ln_ic50_low, ln_ic50_high, spread, members, domain_score, in_domain, desirability, rank) VALUES (1, 'g', 1, 0, 0, 0, 0, 1, 0, 0, 0, 1);`);
  raw.close();
  const store = openStore(file);
  try {
    const db = store.writer;
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.prepare('SELECT count(*) FROM compounds').pluck().get(), 2);
    assert.equal(db.prepare('SELECT count(*) FROM screen_results').pluck().get(), 1);
    // No owner recorded: nothing can still be running them, so they are interrupted.
    assert.equal(db.prepare('SELECT status FROM sources').pluck().get(), 'interrupted');
    assert.equal(db.prepare('SELECT status FROM screen_runs').pluck().get(), 'interrupted');
    assert.equal((db.pragma('foreign_key_check') as unknown[]).length, 0);
  } finally {
    await store.close();
  }
});

test('a write waits for another connection\'s write lock (BEGIN IMMEDIATE), and gives up with BUSY after its wait', async () => {
  const { Store } = await import('../../core/store/store.js');
  const { openStore } = await import('../../core/store/db.js');
  const file = tmp();
  openProject(file).close();
  const other = new Database(file);
  // The failure this replaces: a deferred transaction that read first fails at once with
  // SQLITE_BUSY_SNAPSHOT when another connection committed meanwhile, whatever busy_timeout says.
  const a = new Database(file);
  a.pragma('busy_timeout = 2000');
  a.exec('BEGIN');
  a.prepare('SELECT count(*) FROM subgroups').get();
  other.prepare("INSERT INTO subgroups VALUES ('o', 'BRAF_mut', 'now')").run();
  assert.throws(() => a.prepare("INSERT INTO subgroups VALUES ('a', 'BRAF_mut', 'now')").run(), /SQLITE_BUSY|database is locked/i);
  a.exec('ROLLBACK');
  a.close();

  const store = openStore(file);
  try {
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 300);
    const write = store.write((db) => db.prepare("INSERT INTO subgroups VALUES ('s', 'BRAF_mut', 'now')").run().changes);
    // The event loop keeps running while the write waits: the reader answers.
    assert.equal(store.reader.prepare('SELECT count(*) FROM subgroups').pluck().get(), 1);
    assert.equal(await write, 1);
    assert.equal(store.reader.prepare('SELECT count(*) FROM subgroups').pluck().get(), 2);

    const impatient = new Store({ writer: store.writer, reader: store.reader, path: file, readOnly: false, readOnlyReason: null }, 200);
    other.exec('BEGIN IMMEDIATE');
    await assert.rejects(impatient.write(() => 1), (e: unknown) => e instanceof ApiError && e.code === 'BUSY' && /another process/.test(e.message));
    other.exec('ROLLBACK');
    // One failed write does not stop the queue.
    assert.equal(await store.write(() => 'next'), 'next');
  } finally {
    other.close();
    await store.close();
  }
});

test('writes run one at a time, in the order they were queued', async () => {
  const { openStore } = await import('../../core/store/db.js');
  const store = openStore(tmp());
  try {
    const order: number[] = [];
    const all = Array.from({ length: 20 }, (_, i) => store.write((db) => {
      assert.equal(db.inTransaction, true);
      order.push(i);
      if (i === 5) throw new Error('this one fails');
      return i;
    }));
    const res = await Promise.allSettled(all);
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
    assert.equal(res.filter((r) => r.status === 'rejected').length, 1);
    assert.equal(store.queued, 0);
  } finally {
    await store.close();
  }
});

test('a text file is refused as not a database, not mistaken for an encrypted project', () => {
  const file = tmp();
  fs.writeFileSync(file, 'this is not a database, just text that is long enough to look like a header........');
  assert.throws(() => openProject(file), (e: unknown) => e instanceof ApiError && e.code === 'BAD_FILE' && /not a database/.test(e.message));
  // Whole pages of random bytes cannot be told from an encrypted project without its passphrase.
  fs.writeFileSync(file, Buffer.alloc(8192, 7));
  assert.throws(() => openProject(file), (e: unknown) => e instanceof ApiError && e.code === 'PASSPHRASE_REQUIRED');
  assert.throws(() => openProject(file, { passphrase: 'x' }), (e: unknown) => e instanceof ApiError && e.code === 'WRONG_PASSPHRASE');
});
