/**
 * A shared server (`--allow-origin`) with the real engine behind the real host: a URL holder can
 * no longer read server files through an import (/etc/passwd's lines used to come back in the
 * import report), imports arrive as uploads, exports stay inside the data folder and leave as
 * single-use downloads, and the open project can never be an export's output.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, type Engine } from '../../core/engine.js';
import { startHost, type Host } from '../../core/host/server.js';
import type { ImportSummary, JobState } from '../../core/api/contract.js';
import { httpRequest, type RequestOptions } from '../helpers/http.js';

let root: string;
let project: string;
let engine: Engine;
let host: Host;

// Looks like a password file: nothing in it is a structure.
const SECRET = 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nsvc:x:998:998:TOPSECRET-4711:/srv:/bin/false\n';

function send(opts: RequestOptions): Promise<{ status: number; body: string }> {
  return httpRequest(host.port, opts, 'POST');
}

const auth = () => ({ authorization: `Bearer ${host.token}` });
async function call(method: string, input: unknown): Promise<{ status: number; reply: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  const r = await send({ path: `/api/${method}`, headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(input) });
  return { status: r.status, reply: JSON.parse(r.body) };
}
async function upload(name: string, body: string): Promise<string> {
  const r = await send({ path: `/api/upload?name=${encodeURIComponent(name)}`, headers: { ...auth(), 'content-type': 'application/octet-stream' }, body });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).value.path;
}
async function importAndWait(files: string[]): Promise<JobState> {
  const start = await call('library.import', { files });
  assert.equal(start.status, 200, JSON.stringify(start.reply));
  const done = await call('job.wait', { jobId: (start.reply.value as { jobId: string }).jobId });
  return done.reply.value as JobState;
}

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'strata-shared-'));
  await mkdir(path.join(root, 'lab'));
  await mkdir(path.join(root, 'dist'));
  await writeFile(path.join(root, 'dist', 'index.html'), '<html><head></head></html>');
  await writeFile(path.join(root, 'passwd'), SECRET);
  project = path.join(root, 'lab', 'lab.strata');
  engine = await createEngine({ projectFile: project, threads: 1 });
  host = await startHost({ dispatcher: engine.dispatcher, staticDir: path.join(root, 'dist'), allowOrigins: ['https://strata.lab.example'], projectFile: project });
});

after(async () => {
  await host.close();
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

test('server files outside the data folder cannot be imported', async () => {
  for (const f of ['/etc/passwd', path.join(root, 'passwd'), '../passwd']) {
    const r = await call('library.import', { files: [f] });
    assert.equal(r.status, 403, f);
    assert.equal(r.reply.error?.code, 'FORBIDDEN');
    assert.ok(!r.reply.error?.message.includes('root:x'), 'no content in the refusal');
  }
  const info = await call('project.info', {});
  assert.deepEqual((info.reply.value as { sources: unknown[] }).sources, []);
});

test('an uploaded non-chemistry file is reported without echoing its lines; chemistry keeps its messages', async () => {
  const secretUpload = await upload('notes.smi', SECRET);
  assert.ok(secretUpload.startsWith(path.join(root, 'lab', 'strata-uploads') + path.sep));
  const job = await importAndWait([secretUpload]);
  assert.equal(job.status, 'done', JSON.stringify(job.error));
  const summary = job.result as ImportSummary;
  assert.equal(summary.imported, 0);
  assert.ok(summary.failed >= 2);
  const text = JSON.stringify(summary);
  for (const leak of ['TOPSECRET', 'nologin', '/bin/bash', 'daemon:x']) assert.ok(!text.includes(leak), `summary leaks '${leak}': ${text}`);
  assert.match(summary.failures[0].reason, /withheld/);
  const report = await call('library.report', { offset: 0, limit: 100 });
  const rtext = JSON.stringify(report.reply.value);
  for (const leak of ['TOPSECRET', 'nologin', '/bin/bash', 'daemon:x']) assert.ok(!rtext.includes(leak), `report leaks '${leak}'`);
  // A real library with one bad line: the chemist sees RDKit's message and the record.
  const lib = await upload('lib.smi', 'CCO ethanol\nC1CC bad-ring\nc1ccccc1 benzene\n');
  const j2 = await importAndWait([lib]);
  const s2 = j2.result as ImportSummary;
  assert.equal(s2.imported, 2);
  assert.equal(s2.failed, 1);
  assert.ok(!s2.failures[0].reason.includes('withheld'));
  assert.equal(s2.failures[0].excerpt?.startsWith('C1CC'), true);
});

test('exports stay inside the data folder, never onto the project, and leave by single-use ticket', async () => {
  for (const out of [path.join(process.env.HOME ?? '/root', '.ssh', 'authorized_keys'), '/tmp/strata-shared-escape.csv', path.join(root, 'x.csv')]) {
    const r = await call('export.write', { out, format: 'csv' });
    assert.equal(r.status, 403, out);
  }
  const onProject = await call('export.write', { out: project, format: 'csv' });
  assert.notEqual(onProject.status, 200);
  const wal = await call('export.write', { out: `${project}-wal`, format: 'csv' });
  assert.notEqual(wal.status, 200);
  assert.equal((await readFile(project)).subarray(0, 15).toString('latin1'), 'SQLite format 3');

  const start = await call('export.write', { out: 'exports/hits.csv' });
  assert.equal(start.status, 200, JSON.stringify(start.reply));
  const job = (await call('job.wait', { jobId: (start.reply.value as { jobId: string }).jobId })).reply.value as JobState;
  assert.equal(job.status, 'done', JSON.stringify(job.error));
  const out = path.join(root, 'lab', 'exports', 'hits.csv');
  const written = await readFile(out, 'utf8');
  assert.equal(written.trim().split('\n').length, 1 + 2);
  // Again without overwrite: EXISTS (409), so the UI can ask.
  const again = await call('export.write', { out: 'exports/hits.csv' });
  assert.equal(again.status, 409);
  assert.equal(again.reply.error?.code, 'EXISTS');
  const forced = await call('export.write', { out: 'exports/hits.csv', overwrite: true });
  assert.equal(forced.status, 200);
  await call('job.wait', { jobId: (forced.reply.value as { jobId: string }).jobId });

  const ticket = await call('shell.downloadTicket', { path: out });
  const url = (ticket.reply.value as { url: string }).url;
  const got = await send({ method: 'GET', path: `/${url}` });
  assert.equal(got.status, 200);
  assert.equal(got.body, await readFile(out, 'utf8'));
  assert.equal((await send({ method: 'GET', path: `/${url}` })).status, 401);
});
