/**
 * The local web host behind `strata serve`: the built renderer and the API on 127.0.0.1 only.
 *
 *   GET  /?token=T            index.html with the token injected (the renderer then removes it
 *                             from the address bar); without a token the page carries none
 *   GET  /assets/*, /plot.html, ...  static build files (no secrets; strict CSP)
 *   POST /api/<method>        Authorization: Bearer T, JSON body -> dispatcher -> JSON envelope
 *   GET  /api/events          Authorization: Bearer T; Server-Sent Events {event, payload}
 *   POST /api/upload?name=F   Authorization: Bearer T; body = a library file, streamed to disk
 *   GET  /api/download?ticket=K  a file written by export.write during this launch; K comes from
 *                             `shell.downloadTicket` (one minute, one use)
 *
 * The token never travels in a URL except the first page load's. Every request must name this
 * server in Host (or an allowed proxy host), and a browser Origin, when present, must be ours or
 * an allowed one. With --allow-origin (a shared server) every path is confined to the data
 * folders (paths.ts) and non-chemistry file contents are not echoed back (redact.ts). See
 * security.ts for the threat model.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiErrorCode, ApiEventName, ApiEvents, ApiResponse, ExportResult, ImportIssue, JobState, Page, ProjectInfo } from '../api/contract.js';
import type { Dispatcher } from '../api/dispatch.js';
import { ApiError } from '../api/errors.js';
import {
  allowedHosts, allowedOriginSet, bearerToken, hostAllowed, jsonTooDeep, normaliseOrigin, originAllowed, statusForCode, tokenMatches,
} from './security.js';
import { confinePaths, pathArguments, resolveRoots, withPathArguments, type Confinement } from './paths.js';
import { redactJob, redactReport } from './redact.js';
import { TicketBook } from './tickets.js';
import { receiveUpload, UploadError } from './upload.js';
import { baseSecurityHeaders, injectToken, resolveStaticPath, staticHeaders } from './static.js';
import { defaultExamplesDir, isShellMethod, listExamples, shellError, type ShellInfo } from './shell.js';

export interface HostOptions {
  dispatcher: Dispatcher;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The renderer build (renderer/dist). */
  staticDir: string;
  /** Defaults to 32 random bytes, base64url. */
  token?: string;
  /** Extra origins (scheme://host[:port]) allowed for a reverse proxy, e.g. https://strata.lab.example. */
  allowOrigins?: string[];
  /** Largest accepted request body in bytes (default 32 MiB: an export of ~3M selected ids). */
  maxBodyBytes?: number;
  /** Folder of example libraries offered by the Import view. */
  examplesDir?: string;
  /** The open project: its folder is the default data folder of a shared server. */
  projectFile?: string;
  /**
   * Data folders of a shared server (used when allowOrigins is set): the only places API calls may
   * read and write. Default: the project's folder.
   */
  dataRoots?: string[];
  /** Where uploads are stored (default: `strata-uploads` in the first data folder, or beside the project). */
  uploadDir?: string;
  /** Largest accepted upload in bytes (default 4 GiB). */
  maxUploadBytes?: number;
  /** Time allowed for a request's headers (default 30 s) and for its whole body (default 15 min). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Called for each refused or failed request (the CLI may log it). */
  onWarning?: (message: string) => void;
}

export interface Host {
  /** Full URL including the token, e.g. http://127.0.0.1:41234/?token=... */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const BIND = '127.0.0.1';
const SSE_HEARTBEAT_MS = 15_000;
/** Deepest JSON nesting accepted in an API body (inputs nest 4 levels at most). */
const MAX_JSON_DEPTH = 64;

class HttpFailure extends Error {
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    ...baseSecurityHeaders(),
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(data),
  });
  res.end(data);
}

function sendError(res: ServerResponse, status: number, code: ApiErrorCode, message: string): void {
  sendJson(res, status, { ok: false, error: { name: 'HostError', code, message } });
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...baseSecurityHeaders(), 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new HttpFailure(413, 'INVALID_INPUT', `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpFailure(413, 'INVALID_INPUT', `request body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new Error('host token must be at least 16 characters of [A-Za-z0-9_-]');
  const allowedOrigins = (opts.allowOrigins ?? []).map(normaliseOrigin);
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const staticDir = path.resolve(opts.staticDir);
  const examplesDir = opts.examplesDir ?? defaultExamplesDir;
  const warn = opts.onWarning ?? (() => {});
  const { dispatcher } = opts;
  const maxUpload = opts.maxUploadBytes ?? 4 * 1024 ** 3;
  const headersTimeout = opts.headersTimeoutMs ?? 30_000;
  const requestTimeout = opts.requestTimeoutMs ?? 15 * 60_000;

  // A shared server confines paths; a local one serves the machine's owner and passes them on.
  const shared = allowedOrigins.length > 0;
  const projectDir = opts.projectFile ? path.dirname(path.resolve(opts.projectFile)) : null;
  let confinement: Confinement | null = null;
  if (shared) {
    const given = opts.dataRoots?.length ? opts.dataRoots : projectDir ? [projectDir] : [];
    if (!given.length) throw new Error('a shared server (--allow-origin) needs a data folder (--data-root) or a project');
    const roots = await resolveRoots(given);
    confinement = { roots, readRoots: [] };
  }
  const uploadDir = path.resolve(opts.uploadDir ?? path.join(confinement?.roots[0] ?? projectDir ?? path.join(os.tmpdir(), `strata-${process.pid}`), 'strata-uploads'));
  if (confinement) {
    const examples = await realpath(examplesDir).catch(() => null);
    confinement.readRoots = examples ? [examples] : [];
  }
  const downloadTickets = new TicketBook<string>();

  // Files written by export.write during this launch: the only files /api/download will serve.
  const downloadable = new Set<string>();
  const sseClients = new Set<ServerResponse>();
  const unsubscribeExports = dispatcher.subscribe((event, payload) => {
    if (event !== 'job.finished') return;
    const job = payload as JobState;
    if (job.kind === 'export' && job.status === 'done' && job.result && typeof (job.result as ExportResult).out === 'string') {
      downloadable.add(path.resolve((job.result as ExportResult).out));
    }
  });

  // Read per request (it is tiny): a rebuild of the renderer while serving is picked up.
  const loadIndex = (): Promise<string | null> => readFile(path.join(staticDir, 'index.html'), 'utf8').catch(() => null);

  // Policy needs the real port, known only after listen(); filled in below.
  let hosts = new Set<string>();
  let origins = new Set<string>();

  // The token travels only in the Authorization header, never in URLs that end up in logs.
  const authorised = (req: IncomingMessage) => tokenMatches(bearerToken(req.headers.authorization), token);
  const unauthorised = () => new HttpFailure(401, 'FORBIDDEN', 'missing or wrong access token (send it as Authorization: Bearer)');

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.pathname.slice('/api/'.length);
    if (name === 'events' || name === 'download') {
      if (req.method !== 'GET') throw new HttpFailure(405, 'INVALID_INPUT', `use GET for /api/${name}`);
      if (name === 'events') {
        if (!authorised(req)) throw unauthorised();
        return openEventStream(req, res);
      }
      return download(req, res, url);
    }
    if (req.method !== 'POST') throw new HttpFailure(405, 'INVALID_INPUT', 'API methods are called with POST');
    if (!authorised(req)) throw unauthorised();
    if (name === 'upload') return upload(req, res, url);
    const ctype = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (ctype !== 'application/json') throw new HttpFailure(415, 'INVALID_INPUT', 'request body must be application/json');
    const body = await readBody(req, maxBody);
    let input: unknown;
    const text = body.toString('utf8');
    if (jsonTooDeep(text, MAX_JSON_DEPTH)) throw new HttpFailure(400, 'INVALID_INPUT', `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    try {
      input = body.length === 0 ? {} : JSON.parse(text);
    } catch (err) {
      throw new HttpFailure(400, 'INVALID_INPUT', `request body is not valid JSON: ${(err as Error).message}`);
    }
    if (!/^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/.test(name)) throw new HttpFailure(404, 'UNKNOWN_METHOD', `unknown method '${name.slice(0, 100)}'`);
    if (isShellMethod(name)) {
      const r = await shell(name, input);
      return sendJson(res, r.ok ? 200 : statusForCode(r.error.code), r);
    }
    const reply = await invoke(name, input);
    sendJson(res, reply.ok ? 200 : statusForCode(reply.error.code), reply);
  }

  /** The dispatcher, behind the shared server's path confinement and redaction. */
  async function invoke(name: string, input: unknown): Promise<ApiResponse<unknown>> {
    if (!confinement) return dispatcher.invoke(name, input);
    const args = pathArguments(name, input);
    if (args.read.length || args.write.length) {
      try {
        input = withPathArguments(name, input, await confinePaths(args, confinement));
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: { name: err.name, code: err.code, message: err.message } };
        throw err;
      }
    }
    const reply = await dispatcher.invoke(name, input);
    if (!reply.ok) return reply;
    if (name === 'library.report') {
      const info = await dispatcher.invoke('project.info', {});
      const sources = info.ok ? (info.value as ProjectInfo).sources : [];
      const readable = new Set(sources.filter((s) => s.imported + s.duplicates > 0).map((s) => s.id));
      return { ok: true, value: redactReport(reply.value as Page<ImportIssue>, (id) => readable.has(id)) };
    }
    if (name === 'job.get' || name === 'job.wait') return { ok: true, value: redactJob(reply.value as JobState) };
    if (name === 'job.list') return { ok: true, value: (reply.value as JobState[]).map(redactJob) };
    return reply;
  }

  async function shell(method: string, input: unknown): Promise<ApiResponse<unknown>> {
    if (method === 'shell.info') {
      const value: ShellInfo = {
        host: 'web', examples: await listExamples(examplesDir), dialogs: false, downloads: true, recentProjects: [], uploads: true,
        ...(confinement ? { dataRoots: confinement.roots } : {}),
      };
      return { ok: true as const, value };
    }
    if (method === 'shell.downloadTicket') {
      const wanted = (input as { path?: unknown } | null)?.path;
      const file = typeof wanted === 'string' ? path.resolve(wanted) : '';
      if (!file || !downloadable.has(file)) return shellError('only files exported during this session can be downloaded', 'INVALID_INPUT');
      return { ok: true, value: { url: `api/download?ticket=${downloadTickets.issue(file)}` } };
    }
    return shellError(`unknown method '${method}' (not offered by the web host)`);
  }

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const r = await receiveUpload(req, uploadDir, url.searchParams.get('name'), maxUpload);
      sendJson(res, 200, { ok: true, value: r });
    } catch (err) {
      if (err instanceof UploadError) throw new HttpFailure(err.status, 'INVALID_INPUT', err.message);
      throw err;
    }
  }

  function openEventStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...baseSecurityHeaders(),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Reverse proxies (nginx) buffer responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const unsubscribe = dispatcher.subscribe(<E extends ApiEventName>(event: E, payload: ApiEvents[E]) => {
      const shown = confinement && event === 'job.finished' ? redactJob(payload as JobState) : payload;
      res.write(`data: ${JSON.stringify({ event, payload: shown })}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    sseClients.add(res);
    const done = () => {
      clearInterval(heartbeat);
      unsubscribe();
      sseClients.delete(res);
    };
    req.on('close', done);
    res.on('error', done);
  }

  async function download(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // A ticket (from shell.downloadTicket) for links; a script may send the token as a header instead.
    let file: string | null;
    if (url.searchParams.has('ticket')) {
      file = downloadTickets.redeem(url.searchParams.get('ticket'));
      if (!file) throw new HttpFailure(401, 'FORBIDDEN', 'this download link has expired or was used already; start the download again');
    } else {
      if (!authorised(req)) throw unauthorised();
      const wanted = url.searchParams.get('path');
      file = wanted ? path.resolve(wanted) : null;
    }
    if (!file || !downloadable.has(file)) {
      throw new HttpFailure(404, 'NOT_FOUND', 'only files exported during this session can be downloaded');
    }
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) throw new HttpFailure(404, 'NOT_FOUND', `exported file ${file} no longer exists`);
    const base = path.basename(file).replace(/[^\w.-]/g, '_');
    res.writeHead(200, {
      ...baseSecurityHeaders(),
      'content-type': 'application/octet-stream',
      'content-length': s.size,
      'content-disposition': `attachment; filename="${base}"`,
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  }

  async function handleStatic(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpFailure(405, 'INVALID_INPUT', 'method not allowed');
    const file = resolveStaticPath(staticDir, url.pathname);
    if (!file) throw new HttpFailure(404, 'NOT_FOUND', 'not found');
    const rel = path.relative(staticDir, file).split(path.sep).join('/');
    if (rel === 'index.html') {
      const html = await loadIndex();
      if (html === null) {
        return sendText(res, 503, `The renderer is not built (no ${path.join(staticDir, 'index.html')}). Run \`npm run build\`, then restart \`strata serve\`.\n`);
      }
      // A page with the token is served only to whoever already holds it (other local users can
      // reach 127.0.0.1 too). Without a token the page carries none: a reload after the renderer
      // removed the token from the address bar finds it in the tab's sessionStorage.
      const given = url.searchParams.get('token');
      if (given !== null && !tokenMatches(given, token)) {
        return sendText(res, 401, 'Strata: open the full URL printed by `strata serve` (it includes the access token).\n');
      }
      const body = given !== null ? injectToken(html, token) : html;
      res.writeHead(200, { ...staticHeaders('index.html'), 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const s = await stat(file).catch(() => null);
    if (!s?.isFile()) throw new HttpFailure(404, 'NOT_FOUND', 'not found');
    res.writeHead(200, { ...staticHeaders(rel), 'content-length': s.size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  // Node checks the timeouts below every connectionsCheckingInterval (30 s by default).
  const server = createServer({ connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))) }, (req, res) => {
    void (async () => {
      // Parse against a fixed base: the Host header is untrusted until checked below.
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      try {
        if (!hostAllowed(req.headers.host, hosts)) {
          throw new HttpFailure(403, 'FORBIDDEN', `Host '${String(req.headers.host ?? '').slice(0, 100)}' is not this server (allow a proxy with --allow-origin)`);
        }
        // Origin matters where a browser could act with the user's authority: the API. Static files
        // are public (the token-bearing page needs the token), and the sandboxed plot frame loads its
        // scripts with `Origin: null`.
        const isApi = url.pathname.startsWith('/api/');
        if (isApi && !originAllowed(req.headers.origin, origins)) {
          throw new HttpFailure(403, 'FORBIDDEN', `Origin '${String(req.headers.origin).slice(0, 100)}' may not use this server (allow a proxy with --allow-origin)`);
        }
        if (isApi) await handleApi(req, res, url);
        else await handleStatic(req, res, url);
      } catch (err) {
        const f = err instanceof HttpFailure ? err : new HttpFailure(500, 'INTERNAL', (err as Error).message ?? String(err));
        if (f.status >= 500 || f.status === 401 || f.status === 403) warn(`${req.method} ${url.pathname}: ${f.status} ${f.message}`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (f.status === 413 || f.status === 400) {
          // Do not read the rest of an oversized or broken body: answer, then drop the connection.
          // The socket is taken now: once the response has finished, req.socket may be null
          // (it was, and the host crashed on a chunked body over the limit).
          const socket = req.socket as typeof req.socket | null;
          res.setHeader('connection', 'close');
          res.on('finish', () => socket?.destroy());
        }
        if (url.pathname.startsWith('/api/')) sendError(res, f.status, f.code, f.message);
        else sendText(res, f.status, `${f.message}\n`);
      }
    })();
  });
  // A request must arrive in full in time (headers, then the whole body): a client that trickles
  // or stalls is answered 408 and dropped. These limits cover receiving only: the event stream and
  // long job waits are responses, which stay open.
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, BIND, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('host: could not read the bound address');
  const policy = { port: addr.port, token, allowedOrigins };
  hosts = allowedHosts(policy);
  origins = allowedOriginSet(policy);

  return {
    url: `http://${BIND}:${addr.port}/?token=${token}`,
    port: addr.port,
    token,
    async close() {
      unsubscribeExports();
      for (const res of sseClients) res.end();
      sseClients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
