/**
 * The project under concurrent use, with real parallel requests and real second processes: a stream
 * never blocks a write, per-request search state, two importers of one project, the same file imported
 * twice at once, work killed with SIGKILL, damaged projects and read-only media.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { createEngine } from '../../core/engine.js';
import type { Engine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ImportSummary, JobState } from '../../core/api/contract.js';
import { ChemPool } from '../../core/chem/pool.js';
import { httpRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/data');
const NCI = path.join(DATA, 'reference/nci_first_5k.smi');
const CHEMBL = path.join(DATA, 'libraries/chembl20_chiral_10k.smi.gz');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-conc-'));
const base = path.join(tmpdir, 'base.strata');

async function open(file: string, opts: { readOnly?: boolean } = {}): Promise<{ engine: Engine; api: ApiClient }> {
  const engine = await createEngine({ projectFile: file, threads: 2, ...opts });
  return { engine, api: createClient(engine.dispatcher) };
}

async function waitJob(api: ApiClient, jobId: string): Promise<JobState> {
  return api.call('job.wait', { jobId });
}

let copies = 0;
function copyOfBase(): string {
  const f = path.join(tmpdir, `copy${++copies}.strata`);
  fs.copyFileSync(base, f);
  return f;
}

/** `strata …` in a real second process (the bin entry point, as a user runs it). */
function strata(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** The CLI itself (not the bin wrapper, which forwards to a child): what kill -9 must hit. */
function strataDirect(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'core/cli/run.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

function sourcesOf(file: string): { id: number; status: string; last_record: number; n_read: number; n_imported: number; n_duplicates: number; n_failed: number }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, status, last_record, n_read, n_imported, n_duplicates, n_failed FROM sources ORDER BY id').all() as ReturnType<typeof sourcesOf>;
  } finally {
    db.close();
  }
}

function readOnly<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function timesOf(file: string): { id: number; name: string; imported_at: string; finished_at: string | null }[] {
  return readOnly(file, (db) => db.prepare('SELECT id, name, imported_at, finished_at FROM sources ORDER BY id').all() as ReturnType<typeof timesOf>);
}

function compoundsOfSource(file: string, sourceId: number): number {
  return readOnly(file, (db) => db.prepare('SELECT count(*) FROM compounds WHERE source_id = ?').pluck().get(sourceId) as number);
}

/** Every stored compound as committed: id, record, structure identity, duplicate link. */
function compoundRows(file: string): { id: number; record_no: number; identity: string; duplicate_of: number | null }[] {
  return readOnly(file, (db) => db.prepare('SELECT id, record_no, identity, duplicate_of FROM compounds ORDER BY id').all() as ReturnType<typeof compoundRows>);
}

function assertAddsUp(s: { n_read: number; n_imported: number; n_duplicates: number; n_failed: number }) {
  assert.equal(s.n_read, s.n_imported + s.n_duplicates + s.n_failed, JSON.stringify(s));
}


before(async () => {
  const { engine, api } = await open(base);
  const { jobId } = await api.call('library.import', { files: [NCI] });
  const st = await waitJob(api, jobId);
  assert.equal(st.status, 'done', JSON.stringify(st.error));
  await engine.close();
});

describe('one process, many requests at once', () => {
  let e: { engine: Engine; api: ApiClient };
  before(async () => (e = await open(copyOfBase())));
  after(async () => e.engine.close());

  test('writes and a first sort on an unindexed column succeed while an SDF export streams', async () => {
    const out = path.join(tmpdir, 'all.sdf');
    const total = (await e.api.call('compounds.count', {})).total;
    const started = new Promise<void>((resolve) => {
      const off = e.api.on('job.progress', (p) => {
        if (p.kind === 'export') {
          off();
          resolve();
        }
      });
    });
    const { jobId } = await e.api.call('export.write', { out, format: 'sdf' });
    await started;
    const saves = Array.from({ length: 40 }, (_, i) => e.api.call('subgroups.save', { name: `g${i}`, rule: 'BRAF_mut AND tissue=skin' }));
    const sort = e.api.call('compounds.query', { offset: 0, limit: 20, sort: { column: 'chi4v', dir: 'desc' } });
    const results = await Promise.allSettled([...saves, sort]);
    const during = e.engine.jobs.get(jobId).status;
    for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
    assert.equal(during, 'running', 'the writes must have happened while the export was streaming');
    const page = (results.at(-1) as PromiseFulfilledResult<{ rows: { values: Record<string, unknown> }[] }>).value;
    const v = page.rows.map((r) => r.values.chi4v as number);
    assert.deepEqual(v, [...v].sort((a, b) => b - a));
    const st = await waitJob(e.api, jobId);
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    assert.equal((st.result as { rows: number }).rows, total);
    assert.equal(fs.readFileSync(out, 'utf8').split('$$$$\n').length - 1, total);
    assert.equal((await e.api.call('subgroups.list', {})).length, 40);
  });

  test('concurrent substructure and similarity searches each see only their own hits', async () => {
    const qa = { offset: 0, limit: 1000, substructure: 'c1ccncc1', similarTo: { smiles: 'c1ccncc1CCN', threshold: 0.1 } };
    const qb = { offset: 0, limit: 1000, substructure: 'S(=O)(=O)N' };
    const wantA = await e.api.call('compounds.query', qa);
    const wantB = await e.api.call('compounds.query', qb);
    assert.ok(wantA.total > 0 && wantB.total > 0);
    for (let round = 0; round < 5; round++) {
      const got = await Promise.all([qa, qb, qa, qb].map((q) => e.api.call('compounds.query', q)));
      for (const [i, g] of got.entries()) {
        const want = i % 2 === 0 ? wantA : wantB;
        assert.equal(g.total, want.total);
        assert.deepEqual(g.rows.map((r) => r.id), want.rows.map((r) => r.id));
      }
    }
    assert.equal(e.engine.store.hitSets.size, 0, 'every request released its hit sets');
  });

  test('the same file imported twice at once: one import, the other refused clearly; counts add up', async () => {
    const file = path.join(DATA, 'libraries/cdk2.sdf');
    const [a, b] = await Promise.all([e.api.call('library.import', { files: [file] }), e.api.call('library.import', { files: [file] })]);
    const [sa, sb] = await Promise.all([waitJob(e.api, a.jobId), waitJob(e.api, b.jobId)]);
    const files = [sa, sb].map((s) => (s.result as ImportSummary).files[0]);
    const refused = files.filter((f) => f.error);
    assert.equal(refused.length, 1, JSON.stringify(files));
    assert.match(refused[0].error!, /already being imported/);
    const info = await e.api.call('project.info', {});
    const rows = info.sources.filter((s) => s.name === 'cdk2.sdf');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'complete');
    assert.equal(rows[0].read, rows[0].imported + rows[0].duplicates + rows[0].failed);
    assert.equal(rows[0].read, files.find((f) => !f.error)!.read);
  });
});

describe('queries are checked before they reach SQLite', () => {
  let e: { engine: Engine; api: ApiClient };
  before(async () => (e = await open(copyOfBase())));
  after(async () => e.engine.close());

  test('column names are own names only: constructor and __proto__ are unknown columns', async () => {
    for (const column of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      await assert.rejects(e.api.call('compounds.query', { offset: 0, limit: 5, sort: { column, dir: 'asc' } }), (err: Error & { code?: string }) => err.code === 'INVALID_INPUT' && /unknown column/.test(err.message));
      await assert.rejects(e.api.call('compounds.count', { filters: [{ column, op: '>', value: 1 }] }), (err: Error & { code?: string }) => err.code === 'INVALID_INPUT' && /unknown column/.test(err.message));
    }
  });

  test('a filter value of the wrong type is a clear error, not a silent match', async () => {
    await assert.rejects(e.api.call('compounds.count', { filters: [{ column: 'amw', op: '<', value: 'x' }] }), /'amw' is a numeric column: '<' needs a number, not "x"/);
    await assert.rejects(e.api.call('compounds.count', { filters: [{ column: 'lipinski_pass', op: '=', value: 'yes' }] }), /true\/false column/);
    await assert.rejects(e.api.call('compounds.count', { filters: [{ column: 'amw', op: 'contains', value: '5' }] }), /text columns/);
    const n = await e.api.call('compounds.count', { filters: [{ column: 'amw', op: '<', value: 300 }] });
    assert.ok(n.total > 0);
  });

  test('more property filters than SQLite can join is a clear refusal', async () => {
    const filters = Array.from({ length: 70 }, (_, i) => ({ column: `prop:f${i}`, op: 'not-null' as const }));
    await assert.rejects(e.api.call('compounds.count', { filters }), (err: Error & { code?: string }) => err.code === 'INVALID_INPUT' && /at most 48 different prop: columns/.test(err.message));
  });

  test('a page larger than SQLite\'s variable limit is answered', async () => {
    const page = await e.api.call('compounds.query', { offset: 0, limit: 50_000 });
    assert.equal(page.rows.length, page.total);
    // The property lookup is sliced: 40,000 ids in one call (more than SQLite's 32,766 variables).
    const { propertiesOf } = await import('../../core/store/compounds.js');
    const ids = Array.from({ length: 40_000 }, (_, i) => i + 1);
    assert.doesNotThrow(() => propertiesOf(e.engine.store, ids));
  });

  test('an invalid SMARTS is one clear error; depictions highlighting it are drawn plain', async () => {
    await assert.rejects(e.api.call('compounds.query', { offset: 0, limit: 10, substructure: 'C(=O' }), (err: Error & { code?: string }) => err.code === 'INVALID_INPUT');
    const plain = await e.api.call('compounds.depict', { smiles: 'c1ccncc1', width: 120, height: 90 });
    const bad = await Promise.all(Array.from({ length: 5 }, () => e.api.call('compounds.depict', { smiles: 'c1ccncc1', highlight: 'C(=O', width: 120, height: 90 })));
    for (const b of bad) assert.equal(b.svg, plain.svg);
    const good = await e.api.call('compounds.depict', { smiles: 'c1ccncc1', highlight: 'n', width: 120, height: 90 });
    assert.notEqual(good.svg, plain.svg);
  });
});

describe('second processes', () => {
  test('two processes import different files into one project at once, next to a third that writes often: all finish, counts add up', async () => {
    const file = copyOfBase();
    // A third process that takes the write lock every few milliseconds, as an open UI saving and
    // annotating does. A batch transaction that read first (deferred) then fails with
    // SQLITE_BUSY_SNAPSHOT whenever this one committed meanwhile, busy_timeout or not.
    const stressor = spawn(process.execPath, ['-e', `
      const Database = require(${JSON.stringify(path.join(ROOT, 'node_modules/better-sqlite3-multiple-ciphers'))});
      const db = new Database(${JSON.stringify(file)});
      db.pragma('busy_timeout = 60000');
      const put = db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('test-writer', ?)");
      let n = 0, stop = false;
      process.on('message', () => { stop = true; });
      const tick = () => {
        if (stop) { db.close(); process.stdout.write(String(n)); process.disconnect(); return; }
        db.exec('BEGIN IMMEDIATE');
        put.run(String(++n));
        const until = Date.now() + 15;
        while (Date.now() < until);
        db.exec('COMMIT');
        setTimeout(tick, 5);
      };
      tick();
    `], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let writes = '';
    let stressErr = '';
    stressor.stdout!.on('data', (d) => (writes += d));
    stressor.stderr!.on('data', (d) => (stressErr += d));
    const stressorDone = new Promise((resolve) => stressor.on('exit', resolve));
    const a = strata(['import', CHEMBL, '--project', file, '--threads', '1', '--quiet', '--json']);
    const b = strata(['import', path.join(DATA, 'libraries/bzr.sdf'), path.join(DATA, 'libraries/cdk2.sdf'), '--project', file, '--threads', '1', '--quiet', '--json']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    stressor.send('stop');
    await stressorDone;
    assert.ok(Number(writes) > 50, `the third process wrote ${writes} times: ${stressErr}`);
    assert.equal(ra.code, 0, ra.stderr + ra.stdout);
    assert.equal(rb.code, 0, rb.stderr + rb.stdout);
    const sources = sourcesOf(file);
    assert.equal(sources.length, 4);
    for (const s of sources) {
      assert.equal(s.status, 'complete');
      assertAddsUp(s);
    }
    const chembl = JSON.parse(ra.stdout) as ImportSummary;
    assert.equal(chembl.read, 10_000);
    // They really ran at the same time: the second process's imports started before the first one's ended.
    const times = timesOf(file);
    const a0 = times.find((t) => t.name === path.basename(CHEMBL))!;
    const others = times.filter((t) => t.id > 1 && t !== a0);
    assert.ok(others.some((t) => t.imported_at < a0.finished_at! && a0.imported_at < t.finished_at!), JSON.stringify(times));
    // Every stored compound is accounted for by its source's counters.
    for (const s of sources.filter((x) => x.id > 1)) assert.equal(compoundsOfSource(file, s.id), s.n_imported + s.n_duplicates);
  });

  test('the same file imported by two processes at once: imported once, the other refused or skipped; counts add up', async () => {
    const file = copyOfBase();
    const runs = [0, 1].map(() => strata(['import', path.join(DATA, 'libraries/solubility.train.sdf'), '--project', file, '--threads', '1', '--quiet', '--json']));
    const res = await Promise.all(runs.map((r) => r.done));
    const ok = res.filter((r) => r.code === 0);
    assert.ok(ok.length >= 1, res.map((r) => r.stderr).join('\n'));
    for (const r of res) {
      if (r.code !== 0) assert.match(r.stdout + r.stderr, /already being imported/);
    }
    const rows = sourcesOf(file).filter((s) => s.id > 1);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].status, 'complete');
    assertAddsUp(rows[0]);
    // What the two processes say they read adds up to what the project holds: the file was read once
    // (the fault: read 20,000 against imported 9,985 + duplicates 15 + failed 0).
    const said = res.map((r) => JSON.parse(r.stdout) as ImportSummary).reduce((n, x) => n + x.read, 0);
    assert.equal(said, rows[0].n_read);
    assert.equal(compoundsOfSource(file, rows[0].id), rows[0].n_imported + rows[0].n_duplicates);
  });

  test('an import killed with SIGKILL is marked interrupted at the next open, and resumes where it was', async () => {
    const file = path.join(tmpdir, 'killed.strata');
    const child = strataDirect(['import', CHEMBL, '--project', file, '--threads', '1', '--quiet']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill it once a few batches are committed.
    await waitFor('the importer commits 512 records', () => {
      if (!fs.existsSync(file)) return false;
      try {
        const s = sourcesOf(file)[0];
        return !!s && s.n_read >= 512;
      } catch {
        return false; // the schema is being created
      }
    }, { child });
    child.kill('SIGKILL');
    await exited;
    const left = sourcesOf(file)[0];
    assert.equal(left.status, 'running');
    assert.ok(left.n_read > 0 && left.n_read < 10_000, `${left.n_read} read before the kill`);
    assertAddsUp(left);
    const saved = compoundRows(file);
    assert.equal(saved.length, left.n_imported + left.n_duplicates);

    const e = await open(file);
    try {
      // Nothing committed before the kill is lost, and the file is sound.
      assert.equal(e.engine.db.pragma('quick_check', { simple: true }), 'ok');
      assert.deepEqual(compoundRows(file), saved);
      const info = await e.api.call('project.info', {});
      assert.equal(info.sources[0].status, 'interrupted');
      const { jobId } = await e.api.call('library.import', { files: [CHEMBL] });
      const st = await waitJob(e.api, jobId);
      assert.equal(st.status, 'done', JSON.stringify(st.error));
      const f = (st.result as ImportSummary).files[0];
      assert.equal(f.resumedFrom, left.last_record);
      const s = (await e.api.call('project.info', {})).sources[0];
      assert.equal(s.status, 'complete');
      assert.equal(s.read, 10_000);
      assert.equal(s.read, s.imported + s.duplicates + s.failed);
      assert.equal(info.sources.length, 1);
      // The resumed run added after what was there, and changed none of it.
      const after = compoundRows(file);
      assert.equal(after.length, s.imported + s.duplicates);
      assert.deepEqual(after.slice(0, saved.length), saved);
      assert.ok(after.slice(saved.length).every((r) => r.record_no > left.last_record));
      assert.equal(e.engine.db.pragma('quick_check', { simple: true }), 'ok');
    } finally {
      await e.engine.close();
    }
  });

  test('a screen killed with SIGKILL is marked interrupted at the next open', async () => {
    const file = copyOfBase();
    const script = path.join(tmpdir, 'screen-then-hang.mts');
    fs.writeFileSync(script, `
      import { createEngine } from ${JSON.stringify(path.join(ROOT, 'core/engine.ts'))};
      import { screenTuning } from ${JSON.stringify(path.join(ROOT, 'core/screen/screen.ts'))};
      // Small chunks: the screen reports progress early and runs long enough to be killed in the middle.
      Object.assign(screenTuning, { chunk: 16, workerFrom: 1e9 });
      const engine = await createEngine({ projectFile: ${JSON.stringify(file)}, threads: 1 });
      engine.events.subscribe((event, p) => { if (event === 'job.progress' && (p as { stage?: string }).stage === 'screen') process.stdout.write('SCREENING\\n'); });
      await engine.startScreen({ subgroups: ['BRAF_mut AND tissue=skin'] });
      setInterval(() => undefined, 1000);
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => String(d).includes('SCREENING') && resolve());
      child.on('exit', () => reject(new Error(`the screen process ended before screening: ${err}`)));
    });
    child.kill('SIGKILL');
    await exited;
    const raw = new Database(file, { readonly: true });
    assert.deepEqual(raw.prepare('SELECT status FROM screen_runs').pluck().all(), ['running']);
    raw.close();
    const e = await open(file);
    try {
      assert.deepEqual(e.engine.db.prepare('SELECT status FROM screen_runs').pluck().all(), ['interrupted']);
    } finally {
      await e.engine.close();
    }
  });
});

/**
 * The host in a process of its own, on a real port, with a third process importing into the same
 * project: what the UI, a second tab and a CLI next to them do to one project file.
 */
describe('a served project under attack: HTTP requests at once and a second process writing', () => {
  let file: string;
  let host: ChildProcess;
  let port = 0;
  let token = '';
  let pool: ChemPool;

  async function call<T>(method: string, input: unknown): Promise<T> {
    const r = await httpRequest(port, { path: `/api/${method}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) }, 'POST');
    const reply = JSON.parse(r.body) as { ok: boolean; value?: T; error?: { code: string; message: string } };
    if (!reply.ok) throw Object.assign(new Error(`${method}: ${r.status} ${reply.error?.code} ${reply.error?.message}`), { code: reply.error?.code });
    return reply.value as T;
  }

  before(async () => {
    file = copyOfBase();
    const staticDir = fs.mkdtempSync(path.join(tmpdir, 'dist-'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<html><head></head></html>');
    const script = path.join(tmpdir, 'host.mts');
    fs.writeFileSync(script, `
      import { createEngine } from ${JSON.stringify(path.join(ROOT, 'core/engine.ts'))};
      import { startHost } from ${JSON.stringify(path.join(ROOT, 'core/host/server.ts'))};
      const engine = await createEngine({ projectFile: ${JSON.stringify(file)}, threads: 2 });
      const host = await startHost({ dispatcher: engine.dispatcher, staticDir: ${JSON.stringify(staticDir)}, projectFile: engine.projectFile });
      process.stdout.write(JSON.stringify({ port: host.port, token: host.token }) + '\\n');
      process.once('SIGTERM', async () => { await host.close(); await engine.close(); process.exit(0); });
    `);
    host = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    host.stderr!.on('data', (d) => (err += d));
    ({ port, token } = await new Promise<{ port: number; token: string }>((resolve, reject) => {
      let out = '';
      host.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      host.on('exit', (code) => reject(new Error(`the host process ended (${code}): ${err}`)));
    }));
    pool = await ChemPool.create({ threads: 1 });
  });

  after(async () => {
    await pool?.close();
    if (host && host.exitCode === null) {
      const exited = new Promise((resolve) => host.on('exit', resolve));
      host.kill('SIGTERM');
      await exited;
    }
  });

  test('an SDF export streams while 40 subgroups.save, a first sort on an unindexed column and a second process\'s import all write', async () => {
    // A second process imports into the project the host has open; wait for its first committed batch.
    const importer = strata(['import', CHEMBL, '--project', file, '--threads', '1', '--quiet', '--json']);
    const importing = () => sourcesOf(file).find((s) => s.id > 1);
    await waitFor('the second process commits a batch', () => (importing()?.n_read ?? 0) > 0, { child: importer.child });
    assert.ok(importing()?.n_read, 'the second process committed a batch');

    const out = path.join(tmpdir, 'served.sdf');
    const { jobId } = await call<{ jobId: string }>('export.write', { out, format: 'sdf' });
    await waitFor('the export streams its first records', async () => {
      const st = await call<JobState>('job.get', { jobId });
      assert.equal(st.status, 'running', JSON.stringify(st.error));
      return (st.progress?.done ?? 0) > 0;
    }, { intervalMs: 20 });
    const saves = Array.from({ length: 40 }, (_, i) => call('subgroups.save', { name: `served${i}`, rule: 'BRAF_mut AND tissue=skin' }));
    const sort = call<{ rows: { values: Record<string, unknown> }[] }>('compounds.query', { offset: 0, limit: 20, sort: { column: 'chi3n', dir: 'desc' } });
    const results = await Promise.allSettled([...saves, sort]);
    const exportDuring = (await call<JobState>('job.get', { jobId })).status;
    const importDuring = importing()!.status;
    for (const r of results) assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String(r.reason) : '');
    assert.equal(exportDuring, 'running', 'the writes happened while the export streamed');
    assert.equal(importDuring, 'running', 'the writes happened while the other process imported');
    const v = (results.at(-1) as PromiseFulfilledResult<{ rows: { values: Record<string, unknown> }[] }>).value.rows.map((r) => r.values.chi3n as number);
    assert.deepEqual(v, [...v].sort((a, b) => b - a));

    const st = await call<JobState>('job.wait', { jobId });
    assert.equal(st.status, 'done', JSON.stringify(st.error));
    const sdf = fs.readFileSync(out, 'utf8');
    const ids = [...sdf.matchAll(/> {2}<strata_id>\n(\d+)\n/g)].map((m) => Number(m[1]));
    assert.equal(ids.length, (st.result as { rows: number }).rows);
    assert.equal(sdf.split('$$$$\n').length - 1, ids.length);
    assert.equal(new Set(ids).size, ids.length, 'every compound once');
    assert.ok(ids.length >= sourcesOf(file)[0].n_read - sourcesOf(file)[0].n_failed, `${ids.length} exported`);

    const imp = await importer.done;
    assert.equal(imp.code, 0, imp.stderr);
    const s = sourcesOf(file).find((x) => x.id > 1)!;
    assert.equal(s.status, 'complete');
    assert.equal(s.n_read, 10_000);
    assertAddsUp(s);
    assert.equal((await call<unknown[]>('subgroups.list', {})).filter((g) => (g as { name: string }).name.startsWith('served')).length, 40);
    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('quick_check', { simple: true }), 'ok');
      assert.equal(raw.prepare('SELECT count(*) FROM compounds WHERE source_id = ?').pluck().get(s.id), s.n_imported + s.n_duplicates);
    } finally {
      raw.close();
    }
  });

  test('racing substructure and similarity queries over HTTP return each its own, correct hits', async () => {
    const qa = { offset: 0, limit: 5000, substructure: 'c1ccncc1', similarTo: { smiles: 'c1ccncc1CCN', threshold: 0.1 } };
    const qb = { offset: 0, limit: 5000, substructure: 'S(=O)(=O)N' };
    type Page = { total: number; rows: { id: number; smiles: string }[] };
    const wantA = await call<Page>('compounds.query', qa);
    const wantB = await call<Page>('compounds.query', qb);
    assert.ok(wantA.total > 0 && wantB.total > 0 && wantA.total < 5000 && wantB.total < 5000);
    // The answers themselves, checked by RDKit outside the server: every row has the substructure.
    for (const [smarts, page] of [['c1ccncc1', wantA], ['S(=O)(=O)N', wantB]] as const) {
      const { hits } = await pool.substructure(smarts, page.rows.map((r) => r.smiles));
      assert.equal(hits.reduce((n, h) => n + h, 0), page.rows.length, `every ${smarts} row has ${smarts}`);
    }
    const idsA = new Set(wantA.rows.map((r) => r.id));
    assert.ok(wantB.rows.some((r) => !idsA.has(r.id)), 'the two queries have different hits, so a mix-up shows');
    for (let round = 0; round < 5; round++) {
      const got = await Promise.all([qa, qb, qa, qb, qa, qb].map((q) => call<Page>('compounds.query', q)));
      for (const [i, g] of got.entries()) {
        const want = i % 2 === 0 ? wantA : wantB;
        assert.equal(g.total, want.total, `round ${round}, request ${i}`);
        assert.deepEqual(g.rows.map((r) => r.id), want.rows.map((r) => r.id));
      }
    }
  });
});

describe('damaged projects and read-only media', () => {
  test('a project failing its integrity check is refused read-write, and opens read-only', async () => {
    const file = copyOfBase();
    const page = 4096;
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    // 200 bytes over the header and cell pointers of a b-tree page in the middle of the file.
    fs.writeSync(fd, Buffer.alloc(200, 0xa5), 0, 200, Math.floor(size / page / 2) * page);
    fs.closeSync(fd);
    await assert.rejects(open(file), (err: Error & { code?: string }) => err.code === 'CORRUPT' && /failed its integrity check/.test(err.message) && /read-only/.test(err.message) && err.message.includes(file));
    const e = await open(file, { readOnly: true });
    try {
      const info = await e.api.call('project.info', {});
      assert.match(info.readOnly ?? '', /integrity check found problems/);
      await assert.rejects(e.api.call('subgroups.save', { name: 'x', rule: 'BRAF_mut' }), (err: Error & { code?: string }) => err.code === 'READ_ONLY');
    } finally {
      await e.engine.close();
    }
  });

  test('a project on read-only media opens read-only and says why', async (t) => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-romnt-'));
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]).status !== 0) {
      t.skip('cannot mount a filesystem here (needs root)');
      return;
    }
    try {
      const file = path.join(mnt, 'p.strata');
      fs.copyFileSync(base, file);
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
      const e = await open(file);
      try {
        const info = await e.api.call('project.info', {});
        assert.match(info.readOnly ?? '', /read-only media/);
        assert.ok(info.compounds > 4000);
        const page = await e.api.call('compounds.query', { offset: 0, limit: 5, sort: { column: 'QED', dir: 'desc' } });
        assert.equal(page.rows.length, 5);
        await assert.rejects(e.api.call('subgroups.save', { name: 'x', rule: 'BRAF_mut' }), (err: Error & { code?: string }) => err.code === 'READ_ONLY');
      } finally {
        await e.engine.close();
      }
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
