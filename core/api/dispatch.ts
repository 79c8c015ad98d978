/**
 * One dispatcher for every host: unknown methods and invalid input are answered, every handler
 * error becomes the same `{ok:false, error}` envelope, so no request goes unanswered.
 */
import type { ApiEventName, ApiEvents, ApiInput, ApiMethod, ApiOutput, ApiResponse, Transport } from './contract.js';
import { ApiError, toErrorShape } from './errors.js';
import { inputSchemas } from './schemas.js';

export type Handlers = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiOutput<M>> | ApiOutput<M> };

type Listener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

export class EventHub {
  private listeners = new Set<Listener>();
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch {
        // A failing listener (e.g. a closed socket) must not break the job that emits.
      }
    }
  }
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface Dispatcher extends Transport {
  invoke(method: string, input: unknown): Promise<ApiResponse<unknown>>;
}

export function isApiMethod(method: string): method is ApiMethod {
  return Object.prototype.hasOwnProperty.call(inputSchemas, method);
}

export function createDispatcher(handlers: Handlers, events: EventHub): Dispatcher {
  return {
    async invoke(method, input) {
      if (!isApiMethod(method)) {
        return { ok: false, error: toErrorShape(new ApiError('UNKNOWN_METHOD', `unknown method '${method}'`)) };
      }
      const parsed = inputSchemas[method].safeParse(input ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        const msg = issues.map((i) => `${i.path || '(input)'}: ${i.message}`).join('; ');
        return { ok: false, error: toErrorShape(new ApiError('INVALID_INPUT', `invalid input for '${method}': ${msg}`, issues)) };
      }
      try {
        const handler = handlers[method] as (i: unknown) => unknown;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (err) {
        return { ok: false, error: toErrorShape(err) };
      }
    },
    subscribe(listener) {
      return events.subscribe(listener);
    },
  };
}
