/**
 * Picks how this renderer reaches the engine: the Electron preload bridge when present, otherwise
 * HTTP + Server-Sent Events to the web host that served this page.
 *
 * The web host's token arrives once, in the first page's URL (`/?token=…`, injected into a meta
 * tag). It is then kept in this tab's sessionStorage and removed from the address bar
 * (`history.replaceState`), so it is not in the history, in bookmarks, in a Referer or in a
 * reverse proxy's access log after that first request. Every later request sends it as an
 * `Authorization` header, the event stream included (read with fetch, since EventSource cannot
 * send headers); downloads use single-use tickets (shell.downloadTicket).
 */
import type { ApiEventName, ApiEvents, ApiResponse, Transport } from '../../../core/api/contract.js';
import { httpTransport } from '../../../core/api/client.js';

/** The preload bridge exposed by electron/preload.ts (one generic pair, nothing per feature). */
export interface StrataBridge {
  invoke(method: string, input: unknown): Promise<ApiResponse<unknown>>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    strata?: StrataBridge;
  }
}

export interface Connection {
  transport: Transport;
  kind: 'electron' | 'web';
  /** Base URL of the web host (no trailing slash), '' in Electron. */
  baseUrl: string;
  token: string;
}

export function ipcTransport(bridge: StrataBridge): Transport {
  return {
    invoke: (method, input) => bridge.invoke(method, input),
    subscribe: (listener) =>
      bridge.subscribe((event, payload) => listener(event as ApiEventName, payload as ApiEvents[ApiEventName])),
  };
}

/** The directory URL of this page, without trailing slash: works at / and under a proxy sub-path. */
export function pageBaseUrl(href: string): string {
  const u = new URL('.', href);
  return u.href.replace(/\/$/, '');
}

const TOKEN_KEY = 'strata.token';

/** The token from the page (first load) or the tab's storage (reloads); the URL loses it. */
export function takeToken(): string {
  const fromPage = document.querySelector<HTMLMetaElement>('meta[name="strata-token"]')?.content ?? '';
  if (fromPage) sessionStorage.setItem(TOKEN_KEY, fromPage);
  const url = new URL(window.location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return fromPage || sessionStorage.getItem(TOKEN_KEY) || '';
}

export interface UploadOptions {
  /** Bytes sent so far of the file's size, as the browser reports them (XMLHttpRequest upload progress). */
  onProgress?: (sent: number, total: number) => void;
  /** Aborting stops sending at once; the host then removes what it had received. */
  signal?: AbortSignal;
}

/**
 * Sends one file's bytes to the web host (`POST /api/upload`); resolves with its path on the server.
 *
 * XMLHttpRequest rather than fetch: fetch has no upload progress, and a counting ReadableStream body
 * (`duplex: 'half'`) is sent by Chromium only over HTTP/2, while the host speaks HTTP/1.1. XHR streams the
 * File from disk (it is never read into memory here), reports `upload.onprogress` and aborts cleanly.
 * An aborted upload rejects with an AbortError.
 */
export function uploadFile(conn: Connection, file: File, opts: UploadOptions = {}): Promise<{ path: string; name: string; size: number }> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new DOMException(`upload of ${file.name} cancelled`, 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${conn.baseUrl}/api/upload?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('authorization', `Bearer ${conn.token}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    const onAbort = () => xhr.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => opts.signal?.removeEventListener('abort', onAbort);
    xhr.onabort = () => {
      settle();
      reject(new DOMException(`upload of ${file.name} cancelled`, 'AbortError'));
    };
    xhr.onerror = () => {
      settle();
      reject(new Error(`upload of ${file.name} failed: the connection to the server broke off`));
    };
    xhr.onload = () => {
      settle();
      const text = xhr.responseText;
      let reply: { ok: boolean; value?: { path: string; name: string; size: number }; error?: { message: string } } | null = null;
      try {
        reply = JSON.parse(text);
      } catch {
        // A proxy's own error page (e.g. nginx's 413 when client_max_body_size is lower).
      }
      if (!reply?.ok || !reply.value) reject(new Error(`upload of ${file.name} failed: ${reply?.error?.message ?? `HTTP ${xhr.status} ${text.slice(0, 200)}`}`));
      else resolve(reply.value);
    };
    xhr.send(file);
  });
}

export function connect(): Connection {
  if (window.strata) return { transport: ipcTransport(window.strata), kind: 'electron', baseUrl: '', token: '' };
  const token = takeToken();
  const baseUrl = pageBaseUrl(window.location.href);
  return { transport: httpTransport(baseUrl, token), kind: 'web', baseUrl, token };
}
