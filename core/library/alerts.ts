/**
 * Structural alerts stored per compound (table `alerts`, count in descriptors.pains_alerts).
 * New imports compute them in the workers; projects made before alerts were stored get them computed
 * on first need (screening, or sorting/filtering on the count), once, and stored.
 */
import { loadAlerts } from '../chem/alerts.js';
import type { ChemPool } from '../chem/pool.js';
import type { Db } from '../store/db.js';

let sets: Map<string, string> | null = null;

/** Alert id → alert set name (e.g. 'PAINS') for the shipped alert files. */
export function alertSets(): Map<string, string> {
  sets ??= new Map(loadAlerts().map((a) => [a.id, a.set]));
  return sets;
}

const CHUNK = 2000;

/** Computes and stores the alerts of every unique compound that has none recorded yet; returns how many were computed. */
export async function ensureAlerts(db: Db, pool: () => Promise<ChemPool>, opts: { signal?: AbortSignal; progress?: (done: number, total: number) => void } = {}): Promise<number> {
  const todo = db.prepare('SELECT c.id, c.smiles FROM descriptors d JOIN compounds c ON c.id = d.compound_id WHERE d.pains_alerts IS NULL ORDER BY c.id').raw().all() as [number, string][];
  if (!todo.length) return 0;
  const p = await pool();
  const set = alertSets();
  const upd = db.prepare('UPDATE descriptors SET pains_alerts = ? WHERE compound_id = ?');
  const ins = db.prepare('INSERT OR IGNORE INTO alerts(compound_id, alert_set, alert_id) VALUES (?, ?, ?)');
  const store = db.transaction((part: [number, string][], res: (string[] | null)[]) => {
    part.forEach(([id], k) => {
      const a = res[k];
      if (!a) return;
      upd.run(a.filter((x) => set.get(x) === 'PAINS').length, id);
      for (const x of a) ins.run(id, set.get(x) ?? 'unknown', x);
    });
  });
  let done = 0;
  const inFlight: Promise<void>[] = [];
  for (let s = 0; s < todo.length; s += CHUNK) {
    const part = todo.slice(s, s + CHUNK);
    const pr = p.alerts(part.map((r) => r[1]), opts.signal).then((res) => {
      if (!db.open) return;
      store(part, res);
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
export function alertsOf(db: Db, ids: readonly number[]): Map<number, { set: string; id: string }[]> {
  const out = new Map<number, { set: string; id: string }[]>();
  const stmt = db.prepare('SELECT alert_set AS "set", alert_id AS id FROM alerts WHERE compound_id = ? ORDER BY alert_set, alert_id');
  for (const id of ids) {
    const a = stmt.all(id) as { set: string; id: string }[];
    if (a.length) out.set(id, a);
  }
  return out;
}
