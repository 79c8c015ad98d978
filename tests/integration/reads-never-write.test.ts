/**
 * Reads never write (issue 10): a first sort or filter on a column without an index used to create the
 * index inside the read, on the connection the read ran on (so it failed while an export streamed, and on a
 * project opened read-only). Now the read is answered by a scan and the index is built by a maintenance
 * job, through the write queue. Real project files, the real engine behind the typed API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { createEngine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ApiClient } from '../../core/api/client.js';
import { waitFor } from '../helpers/wait.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data');
const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-rnw-'));
const base = path.join(tmpdir, 'base.strata');
// Descriptor columns that migrations leave without an index (001 indexes exactmw, QED, CrippenClogP, tpsa).
const UNINDEXED = ['chi4v', 'kappa3'];

const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

function indexes(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'descriptors' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
}

async function sortedAndFiltered(api: ApiClient, column: string): Promise<void> {
  const page = await api.call('compounds.query', { offset: 0, limit: 100, sort: { column, dir: 'desc' } });
  assert.ok(page.rows.length > 10, `${column}: ${page.rows.length} rows`);
  const v = page.rows.map((r) => r.values[column] as number);
  assert.deepEqual(v, [...v].sort((a, b) => b - a), `${column} sorted descending`);
  const median = [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const n = await api.call('compounds.count', { filters: [{ column, op: '>', value: median }] });
  assert.equal(n.total, v.filter((x) => x > median).length, `${column} > ${median}`);
}

before(async () => {
  const engine = await createEngine({ projectFile: base, threads: 1 });
  try {
    const api = createClient(engine.dispatcher);
    const st = await api.call('job.wait', await api.call('library.import', { files: [path.join(DATA, 'libraries/cdk2.sdf')] }));
    assert.equal(st.status, 'done', JSON.stringify(st.error));
  } finally {
    await engine.close();
  }
  for (const c of UNINDEXED) assert.ok(!indexes(base).includes(`descriptors_${c}`), `${c} has no index in a new project`);
});

after(() => fs.rmSync(tmpdir, { recursive: true, force: true }));

test('a project opened read-only answers a first sort and filter on unindexed columns, and its file is unchanged', async () => {
  const file = path.join(tmpdir, 'ro.strata');
  fs.copyFileSync(base, file);
  const before = sha(file);
  const engine = await createEngine({ projectFile: file, threads: 1, readOnly: true });
  try {
    const api = createClient(engine.dispatcher);
    for (const c of UNINDEXED) await sortedAndFiltered(api, c);
    assert.deepEqual((await api.call('job.list', {})).filter((j) => j.kind === 'maintenance'), [], 'no job writes to a read-only project');
  } finally {
    await engine.close();
  }
  assert.equal(sha(file), before);
  assert.deepEqual(indexes(file), indexes(base));
});

test('on a writable project the read is answered first; the index is then built by a maintenance job', async () => {
  const file = path.join(tmpdir, 'rw.strata');
  fs.copyFileSync(base, file);
  const engine = await createEngine({ projectFile: file, threads: 1 });
  try {
    const api = createClient(engine.dispatcher);
    const stages: string[] = [];
    const off = api.on('job.progress', (p) => p.kind === 'maintenance' && stages.push(p.stage));
    for (const c of UNINDEXED) await sortedAndFiltered(api, c);
    await waitFor('the maintenance job indexes the sorted columns', () => UNINDEXED.every((c) => indexes(file).includes(`descriptors_${c}`)));
    off();
    const jobs = (await api.call('job.list', {})).filter((j) => j.kind === 'maintenance');
    assert.ok(jobs.length >= 1 && jobs.every((j) => j.status === 'done'), JSON.stringify(jobs));
    assert.ok(stages.includes(`index ${UNINDEXED[0]}`), stages.join(', '));
    // With the index in place the same reads give the same answers.
    for (const c of UNINDEXED) await sortedAndFiltered(api, c);
  } finally {
    await engine.close();
  }
});
