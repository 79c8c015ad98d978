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

/** HTTP + Server-Sent Events transport to the local host (`strata serve`). Works in any browser. */
export function httpTransport(baseUrl: string, token: string): Transport {
  const listeners = new Set<(event: ApiEventName, payload: ApiEvents[ApiEventName]) => void>();
  let source: EventSource | null = null;
  const ensureSource = () => {
    if (source || typeof EventSource === 'undefined') return;
    source = new EventSource(`${baseUrl}/api/events?token=${encodeURIComponent(token)}`);
    source.onmessage = (msg) => {
      const { event, payload } = JSON.parse(msg.data) as { event: ApiEventName; payload: ApiEvents[ApiEventName] };
      for (const l of listeners) l(event, payload);
    };
  };
  return {
    async invoke(method, input) {
      const res = await fetch(`${baseUrl}/api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(input ?? {}),
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
      ensureSource();
      return () => {
        listeners.delete(listener as never);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}
