/**
 * The one bridge between the sandboxed renderer and the main process: a generic invoke and a
 * generic event subscription. Features never add preload methods; they add API methods.
 * (renderer/src/lib/transport.ts declares the same shape on `window.strata`.)
 */
import type { ApiResponse } from '../core/api/contract.js';

export interface StrataBridge {
  invoke(method: string, input: unknown): Promise<ApiResponse<unknown>>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

/** IPC channel names (the only two the preload uses). */
export const INVOKE_CHANNEL = 'strata:invoke';
export const EVENT_CHANNEL = 'strata:event';
