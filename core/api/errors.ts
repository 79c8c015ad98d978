import type { ApiErrorCode, ApiErrorShape } from './contract.js';

/** An error that crosses the API boundary with a stable code. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function toErrorShape(err: unknown): ApiErrorShape {
  if (err instanceof ApiError) return { name: err.name, code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) {
    if (err.name === 'AbortError') return { name: 'AbortError', code: 'CANCELLED', message: 'cancelled' };
    return { name: err.name, code: 'INTERNAL', message: err.message };
  }
  return { name: 'Error', code: 'INTERNAL', message: String(err) };
}
