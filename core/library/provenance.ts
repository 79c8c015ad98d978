import { logProvenance as log } from '../store/project.js';
import type { Store } from '../store/store.js';

/** Append one operation with its parameters to the project's provenance log (through the write queue). */
export function logProvenance(store: Store, operation: string, params: unknown, result: unknown): Promise<void> {
  return log(store, operation, params, result);
}
