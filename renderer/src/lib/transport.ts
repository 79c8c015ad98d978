/**
 * Picks how this renderer reaches the engine: the Electron preload bridge when present, otherwise
 * HTTP + SSE to the local host that served this page (token from the page's meta tag).
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

export function connect(): Connection {
  if (window.strata) return { transport: ipcTransport(window.strata), kind: 'electron', baseUrl: '', token: '' };
  const token = document.querySelector<HTMLMetaElement>('meta[name="strata-token"]')?.content ?? '';
  const baseUrl = pageBaseUrl(window.location.href);
  return { transport: httpTransport(baseUrl, token), kind: 'web', baseUrl, token };
}
