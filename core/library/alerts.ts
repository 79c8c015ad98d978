/**
 * Structural alerts stored per compound (table `alerts`, count in descriptors.pains_alerts).
 * New imports compute them in the workers; projects made before alerts were stored get them computed
 * by the maintenance job started when the project opens (core/library/maintenance.ts), once, and stored.
 */
import { loadAlerts } from '../chem/alerts.js';
import type { ChemPool } from '../chem/pool.js';
import { compoundsWithoutAlerts, storeAlerts } from '../store/maintenance.js';
import { alertRows } from '../store/project.js';
import type { Store } from '../store/store.js';

let sets: Map<string, string> | null = null;

/** Alert id → alert set name (e.g. 'PAINS') for the shipped alert files. */
export function alertSets(): Map<string, string> {
  sets ??= new Map(loadAlerts().map((a) => [a.id, a.set]));
  return sets;
}

const CHUNK = 2000;

/** Computes and stores the alerts of every unique compound that has none recorded yet; returns how many were computed. */
export async function ensureAlerts(store: Store, pool: () => Promise<ChemPool>, opts: { signal?: AbortSignal; progress?: (done: number, total: number) => void } = {}): Promise<number> {
  const todo = compoundsWithoutAlerts(store);
  if (!todo.length) return 0;
  const p = await pool();
  const set = alertSets();
  let done = 0;
  const inFlight: Promise<void>[] = [];
  for (let s = 0; s < todo.length; s += CHUNK) {
    const part = todo.slice(s, s + CHUNK);
    const pr = p.alerts(part.map((r) => r[1]), opts.signal).then(async (res) => {
      if (!store.open) return;
      await storeAlerts(store, part, res, set);
      done += part.length;
      opts.progress?.(done, todo.length);
    });
    pr.catch(() => undefined);
    inFlight.push(pr);
    if (inFlight.length >= p.threads * 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return todo.length;
}

/** Alerts of some compounds (by the id of their unique structure), in set then id order: compound id → alerts. */
export function alertsOf(store: Store, ids: readonly number[]): Map<number, { set: string; id: string }[]> {
  return alertRows(store, ids);
}
