/** One HTTP request to a host on 127.0.0.1, for the host tests: status, headers and body as text. */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Written one by one (a chunked body) instead of `body`. */
  chunks?: Buffer[];
}

export function httpRequest(port: number, opts: RequestOptions, defaultMethod = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? defaultMethod, path: opts.path, headers: opts.headers }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may close the connection once it has answered (e.g. a refused body): not a failure here.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.on('close', () => {
      if (!answered) reject(new Error(`${opts.path}: connection closed without a response`));
    });
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}
