/**
 * The local web host: token, Host/Origin checks, body limits, static files without traversal, SSE,
 * downloads restricted to this session's exports. Runs against a tiny in-test dispatcher (the host
 * only forwards; the real dispatcher is tested elsewhere).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventHub, type Dispatcher } from '../../core/api/dispatch.js';
import { createClient, httpTransport } from '../../core/api/client.js';
import type { ApiResponse, JobState } from '../../core/api/contract.js';
import { startHost, type Host } from '../../core/host/server.js';
import { resolveStaticPath, injectToken, APP_CSP, PLOT_CSP } from '../../core/host/static.js';
import { tokenMatches, normaliseOrigin, hostAllowed, allowedHosts } from '../../core/host/security.js';
import { httpRequest, type Reply, type RequestOptions } from '../helpers/http.js';

let root: string;
let host: Host;
let proxied: Host;
const hub = new EventHub();
const calls: { method: string; input: unknown }[] = [];
const dispatcher: Dispatcher = {
  async invoke(method, input): Promise<ApiResponse<unknown>> {
    calls.push({ method, input });
    if (method === 'app.info') return { ok: true, value: { echo: input } };
    return { ok: false, error: { name: 'ApiError', code: 'UNKNOWN_METHOD', message: `unknown method '${method}'` } };
  },
  subscribe: (l) => hub.subscribe(l),
};

function request(h: Host, opts: RequestOptions): Promise<Reply> {
  return httpRequest(h.port, opts);
}

const api = (h: Host, method: string, body: unknown, headers: Record<string, string> = {}) =>
  request(h, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.token}`, ...headers },
    body: JSON.stringify(body),
  });

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'strata-host-'));
  const dist = path.join(root, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
  await writeFile(path.join(dist, 'plot.html'), '<!doctype html><html><head></head><body>plot</body></html>');
  await writeFile(path.join(dist, 'assets', 'app-abc.js'), 'console.log(1)');
  await writeFile(path.join(dist, '.hidden'), 'hidden');
  await writeFile(path.join(root, 'secret.txt'), 'TOP SECRET');
  await mkdir(path.join(root, 'examples'));
  await writeFile(path.join(root, 'examples', 'tiny.smi'), 'CCO ethanol\n');
  await writeFile(path.join(root, 'examples', 'notes.md'), 'not a library');
  await writeFile(path.join(root, 'examples', 'LICENSE.data.txt'), 'licence text');
  host = await startHost({ dispatcher, port: 0, staticDir: dist, examplesDir: path.join(root, 'examples'), maxBodyBytes: 4096 });
  await mkdir(path.join(root, 'data'));
  proxied = await startHost({ dispatcher, staticDir: dist, allowOrigins: ['https://strata.lab.example'], dataRoots: [path.join(root, 'data')] });
});

after(async () => {
  await host.close();
  await proxied.close();
  await rm(root, { recursive: true, force: true });
});

test('URL is on 127.0.0.1 with a per-launch random token', () => {
  assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
  assert.ok(host.url.endsWith(host.token));
  assert.notEqual(host.token, proxied.token);
});

test('API call with the token reaches the dispatcher and returns its envelope', async () => {
  const r = await api(host, 'app.info', { x: 1 });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { ok: true, value: { echo: { x: 1 } } });
  assert.deepEqual(calls.at(-1), { method: 'app.info', input: { x: 1 } });
});

test('dispatcher errors keep the envelope and get an HTTP status', async () => {
  const r = await api(host, 'nope.method', {});
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).error.code, 'UNKNOWN_METHOD');
});

test('missing or wrong token is refused with 401 before the dispatcher', async () => {
  const n = calls.length;
  const none = await request(host, { method: 'POST', path: '/api/app.info', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.body).ok, false);
  const wrong = await api(host, 'app.info', {}, { authorization: `Bearer ${proxied.token}` });
  assert.equal(wrong.status, 401);
  // The token in the query string is not accepted for API calls (it would end up in logs).
  const query = await request(host, { method: 'POST', path: `/api/app.info?token=${host.token}`, headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(query.status, 401);
  assert.equal(calls.length, n);
});

test('a foreign Host header is refused (DNS rebinding)', async () => {
  const n = calls.length;
  const evil = await api(host, 'app.info', {}, { host: `evil.example:${host.port}` });
  assert.equal(evil.status, 403);
  assert.match(JSON.parse(evil.body).error.message, /Host/);
  const page = await request(host, { path: `/?token=${host.token}`, headers: { host: `rebind.example:${host.port}` } });
  assert.equal(page.status, 403);
  assert.ok(!page.body.includes(host.token));
  const otherPort = await api(host, 'app.info', {}, { host: `127.0.0.1:${host.port + 1}` });
  assert.equal(otherPort.status, 403);
  const localhost = await api(host, 'app.info', {}, { host: `localhost:${host.port}` });
  assert.equal(localhost.status, 200);
  assert.equal(calls.length, n + 1);
});

test('a foreign Origin is refused; our own origin is accepted', async () => {
  const evil = await api(host, 'app.info', {}, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403);
  const nul = await api(host, 'app.info', {}, { origin: 'null' });
  assert.equal(nul.status, 403);
  const own = await api(host, 'app.info', {}, { origin: `http://127.0.0.1:${host.port}` });
  assert.equal(own.status, 200);
  // A proxy origin is accepted only by the host that was told to allow it.
  const notAllowed = await api(host, 'app.info', {}, { origin: 'https://strata.lab.example' });
  assert.equal(notAllowed.status, 403);
});

test('an allowed reverse-proxy origin and its Host are accepted', async () => {
  const r = await api(proxied, 'app.info', {}, { origin: 'https://strata.lab.example', host: 'strata.lab.example' });
  assert.equal(r.status, 200);
  const other = await api(proxied, 'app.info', {}, { origin: 'https://other.lab.example', host: 'strata.lab.example' });
  assert.equal(other.status, 403);
});

test('non-JSON bodies and content types are refused', async () => {
  const form = await request(host, { method: 'POST', path: '/api/app.info', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'text/plain' }, body: '{}' });
  assert.equal(form.status, 415);
  const bad = await request(host, { method: 'POST', path: '/api/app.info', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).error.code, 'INVALID_INPUT');
  const get = await request(host, { path: '/api/app.info', headers: { authorization: `Bearer ${host.token}` } });
  assert.equal(get.status, 405);
});

test('bodies over the limit are refused with 413', async () => {
  const big = JSON.stringify({ pad: 'x'.repeat(5000) });
  const r = await request(host, {
    method: 'POST', path: '/api/app.info', headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' }, body: big,
  });
  assert.equal(r.status, 413);
});

test('index.html carries the token only for whoever gives it, under a strict CSP', async () => {
  // Without a token (a reload after the renderer removed it from the URL) the page carries none.
  const without = await request(host, { path: '/' });
  assert.equal(without.status, 200);
  assert.ok(!without.body.includes(host.token));
  assert.ok(!without.body.includes('strata-token'));
  const wrongTok = await request(host, { path: `/?token=${proxied.token}` });
  assert.equal(wrongTok.status, 401);
  assert.ok(!wrongTok.body.includes(host.token));
  const withTok = await request(host, { path: `/?token=${host.token}` });
  assert.equal(withTok.status, 200);
  assert.match(withTok.headers['content-type'] ?? '', /^text\/html/);
  assert.ok(withTok.body.includes(`<meta name="strata-token" content="${host.token}">`));
  const csp = withTok.headers['content-security-policy'] ?? '';
  assert.equal(csp, APP_CSP);
  // No JavaScript eval; only WebAssembly compilation ('wasm-unsafe-eval', the structure editor's Indigo).
  assert.ok(!csp.includes("'unsafe-eval'"));
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
  assert.equal(withTok.headers['x-frame-options'], 'DENY');
});

test('static files get content types; the plot frame its own CSP', async () => {
  const js = await request(host, { path: '/assets/app-abc.js' });
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'] ?? '', /^text\/javascript/);
  assert.equal(js.body, 'console.log(1)');
  const plot = await request(host, { path: '/plot.html' });
  assert.equal(plot.status, 200);
  assert.equal(plot.headers['content-security-policy'], PLOT_CSP);
  assert.match(PLOT_CSP, /connect-src 'none'/);
});

test('no directory traversal, hidden files or encoded escapes', async () => {
  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/.hidden', '/..%5csecret.txt', '/%00index.html', '/%E0%A4%A']) {
    const r = await request(host, { path: p });
    assert.notEqual(r.status, 200, p);
    assert.ok(!r.body.includes('TOP SECRET'), p);
  }
  const missing = await request(host, { path: '/assets/nope.js' });
  assert.equal(missing.status, 404);
});

test('resolveStaticPath keeps paths inside the root', () => {
  const r = '/srv/dist';
  assert.equal(resolveStaticPath(r, '/'), path.resolve(r, 'index.html'));
  assert.equal(resolveStaticPath(r, '/assets/a.js'), path.resolve(r, 'assets/a.js'));
  assert.equal(resolveStaticPath(r, '/a/../../etc/passwd'), null);
  assert.equal(resolveStaticPath(r, '/%2e%2e%2fetc/passwd'), null);
  assert.equal(resolveStaticPath(r, '/a\\..\\b'), null);
});

test('SSE stream needs the token in a header (never in the URL) and delivers events as {event, payload}', async () => {
  const denied = await request(host, { path: '/api/events' });
  assert.equal(denied.status, 401);
  const inUrl = await request(host, { path: `/api/events?token=${host.token}` });
  assert.equal(inUrl.status, 401);
  const received = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: host.port, path: '/api/events', headers: { authorization: `Bearer ${host.token}` } }, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] ?? '', /^text\/event-stream/);
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const m = /data: (.*)\n\n/.exec(buf);
        if (m) {
          req.destroy();
          resolve(m[1]);
        }
      });
      // The subscription exists once headers are sent: emit then.
      hub.emit('job.progress', { jobId: 'import-1', kind: 'import', stage: 'parse', done: 5, total: 10, rate: 2, etaSeconds: 2.5 });
    });
    req.on('error', reject);
  });
  assert.deepEqual(JSON.parse(received), {
    event: 'job.progress',
    payload: { jobId: 'import-1', kind: 'import', stage: 'parse', done: 5, total: 10, rate: 2, etaSeconds: 2.5 },
  });
});

test('downloads serve only files exported during this session, by single-use ticket or header', async () => {
  const out = path.join(root, 'export.csv');
  await writeFile(out, 'id,smiles\n1,CCO\n');
  const auth = { authorization: `Bearer ${host.token}` };
  const q = (p: string) => `/api/download?path=${encodeURIComponent(p)}`;
  assert.equal((await request(host, { path: q(out), headers: auth })).status, 404);
  assert.equal((await request(host, { path: q(path.join(root, 'secret.txt')), headers: auth })).status, 404);
  const early = await api(host, 'shell.downloadTicket', { path: out });
  assert.equal(early.status, 400);
  const job: JobState = {
    jobId: 'export-1', kind: 'export', status: 'done', startedAt: '', finishedAt: '', progress: null,
    result: { out, rows: 1, format: 'csv', provenance: {} }, error: null,
  };
  hub.emit('job.finished', job);
  const r = await request(host, { path: q(out), headers: auth });
  assert.equal(r.status, 200);
  assert.equal(r.body, 'id,smiles\n1,CCO\n');
  assert.match(r.headers['content-disposition'] ?? '', /attachment; filename="export.csv"/);
  assert.equal((await request(host, { path: q(out) })).status, 401);
  // The token in the URL is no longer accepted (proxy logs keep URLs).
  assert.equal((await request(host, { path: `${q(out)}&token=${host.token}` })).status, 401);
  // A ticket: a relative URL, good for one request.
  const t = await api(host, 'shell.downloadTicket', { path: out });
  assert.equal(t.status, 200);
  const url: string = JSON.parse(t.body).value.url;
  assert.match(url, /^api\/download\?ticket=[A-Za-z0-9_-]{30,}$/);
  assert.ok(!url.includes(host.token));
  const first = await request(host, { path: `/${url}` });
  assert.equal(first.status, 200);
  assert.equal(first.body, 'id,smiles\n1,CCO\n');
  const again = await request(host, { path: `/${url}` });
  assert.equal(again.status, 401);
  assert.match(JSON.parse(again.body).error.message, /expired or was used/);
});

test('shell.info lists example libraries from the examples folder', async () => {
  const r = await api(host, 'shell.info', {});
  assert.equal(r.status, 200);
  const v = JSON.parse(r.body).value;
  assert.equal(v.host, 'web');
  assert.deepEqual(v.examples.map((e: { name: string }) => e.name), ['tiny.smi']);
  assert.equal(v.examples[0].size, 12);
});

test('helpers: token comparison, origin normalisation, token injection', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('', 'abc'), false);
  assert.equal(tokenMatches(null, 'abc'), false);
  assert.equal(normaliseOrigin('https://strata.lab.example/'), 'https://strata.lab.example');
  assert.throws(() => normaliseOrigin('https://strata.lab.example/sub'));
  assert.throws(() => normaliseOrigin('ftp://x'));
  assert.equal(hostAllowed('LOCALHOST:80', allowedHosts({ port: 80, token: 't', allowedOrigins: [] })), true);
  assert.equal(hostAllowed(undefined, allowedHosts({ port: 80, token: 't', allowedOrigins: [] })), false);
  assert.equal(injectToken('<head></head>', 'a"b<c'), '<head>  <meta name="strata-token" content="abc">\n  </head>');
});

test('the sandboxed plot frame (Origin: null) may load build assets, never the API', async () => {
  const asset = await request(host, { path: '/assets/app-abc.js', headers: { origin: 'null' } });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers['access-control-allow-origin'], '*');
  const page = await request(host, { path: `/?token=${host.token}`, headers: { origin: 'null' } });
  assert.equal(page.headers['access-control-allow-origin'], undefined);
  const apiCall = await api(host, 'app.info', {}, { origin: 'null' });
  assert.equal(apiCall.status, 403);
});

test('the typed client over httpTransport (the renderer\'s web transport) calls with the header token and receives events', async () => {
  const transport = httpTransport(`http://127.0.0.1:${host.port}`, host.token);
  const client = createClient(transport);
  assert.deepEqual(await client.call('app.info', {} as never), { echo: {} });
  const payload = { jobId: 'import-2', kind: 'import' as const, stage: 'parse', done: 1, total: 2, rate: 1, etaSeconds: 1 };
  const got = await new Promise<unknown>((resolve) => {
    const off = client.on('job.progress', (p) => {
      off();
      resolve(p);
    });
    // The stream connects asynchronously: emit until the listener has it (bounded by the test timeout).
    const timer = setInterval(() => hub.emit('job.progress', payload), 50);
    timer.unref();
    setTimeout(() => clearInterval(timer), 5000).unref();
  });
  assert.deepEqual(got, payload);
  const bad = await createClient(httpTransport(`http://127.0.0.1:${host.port}`, 'wrong')).call('app.info', {} as never).catch((e: Error) => e);
  assert.ok(bad instanceof Error, 'a wrong token is refused');
});
