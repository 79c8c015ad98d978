/**
 * Backfills in SQL: structural alerts and substructure-screen fingerprints missing from projects made
 * by an older Strata. These are writes, run by the maintenance job an engine starts when it opens a
 * project (core/library/maintenance.ts), never by a read.
 */
import { SCREEN_FP_BYTES, SCREEN_FP_VERSION } from '../chem/screen-fp.js';
import { ensureScreenFpVersionTx } from './sources.js';
import type { Store } from './store.js';

/** Unique compounds whose alerts are not computed yet (a lookup in a partial index when there are none). */
export function compoundsWithoutAlerts(store: Store): [number, string][] {
  return store.reader.prepare('SELECT c.id, c.smiles FROM descriptors d JOIN compounds c ON c.id = d.compound_id WHERE d.pains_alerts IS NULL ORDER BY c.id').raw().all() as [number, string][];
}

/** Stores computed alerts: the PAINS count per compound and one row per matched alert. */
export function storeAlerts(store: Store, part: readonly [number, string][], res: readonly (string[] | null)[], set: Map<string, string>): Promise<void> {
  return store.write((db) => {
    const upd = db.prepare('UPDATE descriptors SET pains_alerts = ? WHERE compound_id = ?');
    const ins = db.prepare('INSERT OR IGNORE INTO alerts(compound_id, alert_set, alert_id) VALUES (?, ?, ?)');
    part.forEach(([id], k) => {
      const a = res[k];
      if (!a) return;
      upd.run(a.filter((x) => set.get(x) === 'PAINS').length, id);
      for (const x of a) ins.run(id, set.get(x) ?? 'unknown', x);
    });
  });
}

/** Whether the stored screen fingerprints have this build's layout (else they are cleared and recomputed). */
export function screenFpVersionCurrent(store: Store): boolean {
  const v = store.reader.prepare("SELECT value FROM meta WHERE key = 'screen_fp_version'").pluck().get() as string | undefined;
  return v === String(SCREEN_FP_VERSION);
}

export function updateScreenFpVersion(store: Store): Promise<void> {
  return store.write((db) => ensureScreenFpVersionTx(db));
}

/** Unique compounds without a screen fingerprint of the right size. */
export function compoundsWithoutScreenFp(store: Store): [number, string][] {
  return store.reader.prepare(`SELECT c.id, c.smiles FROM fingerprints f JOIN compounds c ON c.id = f.compound_id
    WHERE f.screen IS NULL AND c.duplicate_of IS NULL ORDER BY c.id`).raw().all() as [number, string][];
}

export function storeScreenFps(store: Store, ids: readonly number[], fps: Uint8Array): Promise<void> {
  return store.write((db) => {
    const upd = db.prepare('UPDATE fingerprints SET screen = ? WHERE compound_id = ?');
    for (let k = 0; k < ids.length; k++) upd.run(Buffer.from(fps.subarray(k * SCREEN_FP_BYTES, (k + 1) * SCREEN_FP_BYTES)), ids[k]);
  });
}

export function uniqueCompoundCount(store: Store): number {
  return (store.reader.prepare('SELECT count(*) FROM compounds WHERE duplicate_of IS NULL').pluck().get() as number) ?? 0;
}

/** One slice of (id, SMILES, screen fingerprint) of the unique compounds after `lastId`, in id order. */
export function screenIndexSlice(store: Store, lastId: number, limit: number): [number, string, Buffer | null][] {
  return store.reader.prepare(`SELECT c.id, c.smiles, f.screen FROM compounds c LEFT JOIN fingerprints f ON f.compound_id = c.id
    WHERE c.duplicate_of IS NULL AND c.id > ? ORDER BY c.id LIMIT ?`).raw().all(lastId, limit) as [number, string, Buffer | null][];
}

/** Whether a backfill has anything to do (index lookups, no scan). */
export function backfillPending(store: Store): boolean {
  if (!screenFpVersionCurrent(store)) return (store.reader.prepare('SELECT EXISTS (SELECT 1 FROM fingerprints)').pluck().get() as number) === 1;
  return (store.reader.prepare('SELECT EXISTS (SELECT 1 FROM descriptors WHERE pains_alerts IS NULL) OR EXISTS (SELECT 1 FROM fingerprints WHERE screen IS NULL)').pluck().get() as number) === 1;
}
