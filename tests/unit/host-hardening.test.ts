/**
 * Host hardening against real sockets: chunked bodies over the limit (the host used to crash on
 * a null req.socket in the 413 handler), stalled and trickled requests (no request timeout),
 * deeply nested JSON, streamed size-limited uploads, and the shared server's path confinement.
 * The dispatcher is a small recorder: what matters is what the host lets through.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventHub, type Dispatcher } from '../../core/api/dispatch.js';
import type { ApiResponse } from '../../core/api/contract.js';
import { startHost, type Host } from '../../core/host/server.js';
import { jsonTooDeep } from '../../core/host/security.js';
import { httpRequest, type Reply, type RequestOptions } from '../helpers/http.js';

let root: string;
let data: string;
let host: Host;
let shared: Host;
const hub = new EventHub();
const calls: { method: string; input: unknown }[] = [];
const dispatcher: Dispatcher = {
  async invoke(method, input): Promise<ApiResponse<unknown>> {
    calls.push({ method, input });
    return { ok: true, value: { method, input } };
  },
  subscribe: (l) => hub.subscribe(l),
};

function send(h: Host, opts: RequestOptions): Promise<Reply> {
  return httpRequest(h.port, opts, 'POST');
}

const auth = (h: Host) => ({ authorization: `Bearer ${h.token}` });
const call = (h: Host, method: string, input: unknown) =>
  send(h, { path: `/api/${method}`, headers: { ...auth(h), 'content-type': 'application/json' }, body: JSON.stringify(input) });

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'strata-harden-'));
  const dist = path.join(root, 'dist');
  await mkdir(dist);
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
  data = path.join(root, 'data');
  await mkdir(path.join(data, 'libs'), { recursive: true });
  await writeFile(path.join(data, 'libs', 'in.smi'), 'CCO ethanol\n');
  await writeFile(path.join(root, 'outside.smi'), 'CCN\n');
  await symlink(path.join(root, 'outside.smi'), path.join(data, 'libs', 'escape.smi'));
  await symlink(root, path.join(data, 'up'));
  host = await startHost({ dispatcher, staticDir: dist, maxBodyBytes: 64 * 1024, maxUploadBytes: 100_000, uploadDir: path.join(root, 'uploads'), headersTimeoutMs: 800, requestTimeoutMs: 1500 });
  shared = await startHost({ dispatcher, staticDir: dist, allowOrigins: ['https://strata.lab.example'], dataRoots: [data], examplesDir: path.join(root, 'no-examples') });
});

after(async () => {
  await host.close();
  await shared.close();
  await rm(root, { recursive: true, force: true });
});

test('a chunked body over the limit gets 413 and the host keeps serving', async () => {
  // The test runner keeps the process alive after an uncaught exception: catch it here, so the
  // crash the server would have died of fails this test itself.
  const crashes: Error[] = [];
  const onCrash = (err: Error) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  const chunk = Buffer.alloc(16 * 1024, 'x');
  try {
    const r = await send(host, { path: '/api/app.info', headers: { ...auth(host), 'content-type': 'application/json' }, chunks: Array.from({ length: 12 }, () => chunk) });
    assert.equal(r.status, 413);
    assert.match(JSON.parse(r.body).error.message, /exceeds the limit of 65536 bytes/);
    // Give the 'finish' handler its turn: it used to throw on req.socket === null and kill the process.
    await new Promise((res) => setTimeout(res, 200));
  } finally {
    process.off('uncaughtException', onCrash);
  }
  assert.deepEqual(crashes.map(String), []);
  const ok = await call(host, 'app.info', {});
  assert.equal(ok.status, 200);
});

test('a request whose body stalls is answered 408 and closed', async () => {
  const started = Date.now();
  const reply = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(host.port, '127.0.0.1', () => {
      sock.write(`POST /api/app.info HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nAuthorization: Bearer ${host.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`);
    });
    let got = '';
    sock.on('data', (b) => (got += b.toString('utf8')));
    sock.on('close', () => resolve(got));
    sock.on('error', reject);
    setTimeout(() => reject(new Error('the stalled request was never closed')), 10_000).unref();
  });
  assert.match(reply, /^HTTP\/1\.1 408/);
  assert.ok(Date.now() - started < 9000);
});

test('headers that never finish are cut off', async () => {
  const closed = await new Promise<boolean>((resolve) => {
    const sock = net.connect(host.port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
    sock.on('data', () => undefined);
    sock.on('close', () => resolve(true));
    sock.on('error', () => resolve(true));
    setTimeout(() => resolve(false), 8000).unref();
  });
  assert.equal(closed, true);
});

test('the event stream outlives the request timeout (it is a response, not a request)', async () => {
  const got = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: host.port, path: '/api/events', headers: auth(host) }, (res) => {
      assert.equal(res.statusCode, 200);
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const m = /data: (.*)\n\n/.exec(buf);
        if (m) {
          req.destroy();
          resolve(m[1]);
        }
      });
      setTimeout(() => hub.emit('job.progress', { jobId: 'j', kind: 'import', stage: 'late', done: 1, total: 1, rate: 0, etaSeconds: 0 }), 2500);
    });
    req.on('error', reject);
  });
  assert.equal(JSON.parse(got).payload.stage, 'late');
});

test('JSON nested deeper than 64 levels is refused before parsing', async () => {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const r = await send(host, { path: '/api/app.info', headers: { ...auth(host), 'content-type': 'application/json' }, body: deep });
  assert.equal(r.status, 400);
  assert.match(JSON.parse(r.body).error.message, /nests deeper than 64/);
  assert.equal(jsonTooDeep('{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', 64), false);
  assert.equal(jsonTooDeep('[[[]]]', 2), true);
  const fine = await call(host, 'app.info', { filters: [{ column: 'amw', op: '<', value: 1 }] });
  assert.equal(fine.status, 200);
});

test('uploads are streamed to a new file, size-limited (chunked too), and named safely', async () => {
  const body = Buffer.from('CCO ethanol\nc1ccccc1 benzene\n');
  const r = await send(host, { path: '/api/upload?name=..%2F..%2Fmy%20lib.smi', headers: { ...auth(host), 'content-type': 'application/octet-stream' }, chunks: [body] });
  assert.equal(r.status, 200, r.body);
  const v = JSON.parse(r.body).value;
  assert.equal(v.name, 'my_lib.smi');
  assert.equal(v.size, body.length);
  assert.ok(v.path.startsWith(path.join(root, 'uploads') + path.sep));
  assert.deepEqual(await readFile(v.path), body);
  const tooBig = await send(host, { path: '/api/upload?name=big.sdf', headers: auth(host), chunks: Array.from({ length: 8 }, () => Buffer.alloc(20_000, 'C')) });
  assert.equal(tooBig.status, 413);
  const declared = await send(host, { path: '/api/upload?name=big.sdf', headers: { ...auth(host), 'content-length': '200000' }, body: 'x'.repeat(200_000) });
  assert.equal(declared.status, 413);
  const badName = await send(host, { path: '/api/upload?name=authorized_keys', headers: auth(host), body: 'ssh-rsa AAAA' });
  assert.equal(badName.status, 400);
  const noAuth = await send(host, { path: '/api/upload?name=x.smi', body: 'CCO' });
  assert.equal(noAuth.status, 401);
  // Only the good upload is on disk.
  const folders = await readdir(path.join(root, 'uploads'));
  const files = (await Promise.all(folders.map((f) => readdir(path.join(root, 'uploads', f))))).flat();
  assert.deepEqual(files, ['my_lib.smi']);
  assert.equal((await call(host, 'app.info', {})).status, 200);
});

test('a shared server confines import and export paths to its data folders', async () => {
  const n = calls.length;
  for (const files of [['/etc/passwd'], [path.join(root, 'outside.smi')], [path.join(data, 'libs', 'escape.smi')], ['../outside.smi'], [path.join(data, 'up', 'outside.smi')]]) {
    const r = await call(shared, 'library.import', { files });
    assert.equal(r.status, 403, files[0]);
    assert.match(JSON.parse(r.body).error.message, /outside the data folders|no such file inside/);
  }
  for (const out of [path.join(process.env.HOME ?? '/root', '.ssh', 'authorized_keys'), '/tmp/x.csv', path.join(data, 'up', 'x.csv'), '../x.csv']) {
    const r = await call(shared, 'export.write', { out });
    assert.equal(r.status, 403, out);
  }
  assert.equal(calls.length, n, 'nothing refused reached the engine');
  const ok = await call(shared, 'library.import', { files: ['libs/in.smi'] });
  assert.equal(ok.status, 200);
  assert.deepEqual((calls.at(-1)!.input as { files: string[] }).files, [path.join(data, 'libs', 'in.smi')]);
  const exp = await call(shared, 'export.write', { out: 'exports/hits.csv', format: 'csv' });
  assert.equal(exp.status, 200);
  assert.equal((calls.at(-1)!.input as { out: string }).out, path.join(data, 'exports', 'hits.csv'));
  const info = JSON.parse((await call(shared, 'shell.info', {})).body).value;
  assert.deepEqual(info.dataRoots, [data]);
  assert.equal(info.uploads, true);
  // A local server passes paths on unchanged: its user owns the machine.
  await call(host, 'library.import', { files: ['/etc/passwd'] });
  assert.deepEqual((calls.at(-1)!.input as { files: string[] }).files, ['/etc/passwd']);
});
