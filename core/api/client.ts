/**
 * The typed client: `api.call('compounds.query', {...})` over any Transport (in-process, IPC, HTTP).
 * Runtime-light and free of Node imports, so the renderer can use it.
 */
import type { Api, ApiEventName, ApiEvents, ApiErrorShape, ApiInput, ApiMethod, ApiOutput, Transport } from './contract.js';

export class ApiCallError extends Error {
  override name = 'ApiCallError';
  readonly code: ApiErrorShape['code'];
  readonly details: unknown;
  constructor(readonly method: string, shape: ApiErrorShape) {
    super(shape.message);
    this.code = shape.code;
    this.details = shape.details;
  }
}

export interface ApiClient {
  call<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
}

export function createClient(transport: Transport): ApiClient {
  return {
    async call<M extends keyof Api>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> {
      const res = await transport.invoke(method, input);
      if (!res.ok) throw new ApiCallError(method, res.error);
      return res.value as ApiOutput<M>;
    },
    on(event, listener) {
      return transport.subscribe((name, payload) => {
        if ((name as string) === event) (listener as (p: unknown) => void)(payload);
      });
    },
  };
}

/** Parses a Server-Sent Events body into its `data:` payloads; returns the unparsed rest. */
export function sseMessages(buffer: string, onData: (data: string) => void): string {
  let rest = buffer;
  for (;;) {
    const end = rest.search(/\r?\n\r?\n/);
    if (end < 0) return rest;
    const block = rest.slice(0, end);
    rest = rest.slice(end).replace(/^\r?\n\r?\n/, '');
    const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
    if (data.length) onData(data.join('\n'));
  }
}

/**
 * HTTP + Server-Sent Events transport to the web host (`strata serve`), for the browser and Node alike.
 * The token only ever travels in the Authorization header: the event stream is read with fetch, since
 * EventSource cannot send headers (the host refuses a token in the URL).
 */
export function httpTransport(baseUrl: string, token: string): Transport {
  const headers = { authorization: `Bearer ${token}` };
  const listeners = new Set<(event: ApiEventName, payload: ApiEvents[ApiEventName]) => void>();
  let stream: AbortController | null = null;
  const open = () => {
    if (stream) return;
    const ctl = new AbortController();
    stream = ctl;
    void (async () => {
      while (!ctl.signal.aborted) {
        try {
          const res = await fetch(`${baseUrl}/api/events`, { headers, signal: ctl.signal, cache: 'no-store' });
          if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf = sseMessages(buf + value, (data) => {
              const { event, payload } = JSON.parse(data) as { event: ApiEventName; payload: ApiEvents[ApiEventName] };
              for (const l of listeners) l(event, payload);
            });
          }
        } catch {
          if (ctl.signal.aborted) return;
        }
        // The stream ended (server restart, proxy timeout): reconnect as EventSource would.
        await new Promise((r) => setTimeout(r, 2000));
      }
    })();
  };
  return {
    async invoke(method, input) {
      const body = JSON.stringify(input ?? {});
      const res = await fetch(`${baseUrl}/api/${method}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
        // A small request outlives the page that sent it (the view state saved as a tab reloads or closes);
        // browsers cap keepalive bodies at 64 KiB, so large ones go without.
        keepalive: body.length < 48_000,
      });
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        return { ok: false, error: { name: 'HttpError', code: 'INTERNAL', message: `HTTP ${res.status}: ${text.slice(0, 200)}` } };
      }
    },
    subscribe(listener) {
      listeners.add(listener as never);
      open();
      return () => {
        listeners.delete(listener as never);
        if (listeners.size === 0 && stream) {
          stream.abort();
          stream = null;
        }
      };
    },
  };
}
