/**
 * SMARTS substructure search over a project.
 *
 * 1. Screen: every unique compound has a path fingerprint (core/chem/screen-fp.ts, stored at import).
 *    The query's required bits are derived from the SMARTS in JS; a compound lacking one cannot match.
 *    The fingerprints and SMILES are held in memory (≈ 300 bytes per compound) after the first search.
 * 2. Verify: only the candidates go to RDKit (worker threads, an RDKit SubstructLibrary of the stored
 *    canonical SMILES), which decides hit or not — RDKit is the reference, the screen only skips work.
 * 3. Matched atoms (for highlighting) are computed for the rows of the page being shown, not for every hit.
 *
 * Projects made before screen fingerprints existed (or with an older layout) get them computed on their
 * first search, in the workers, and stored (one-off; parse + fingerprint measured at 35–50 µs per compound on one core).
 */
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { queryScreenFp, screenCandidates, SCREEN_FP_BYTES, SCREEN_FP_VERSION } from '../chem/screen-fp.js';
import { compileSmarts } from '../chem/smarts.js';
import type { Db } from '../store/db.js';

/** Unique compounds in id order with their screen fingerprints, back to back. */
export interface ScreenIndex {
  ids: Int32Array;
  smiles: string[];
  fps: Uint8Array;
}

const VERIFY_CHUNK = 2000;
const BACKFILL_CHUNK = 2000;
const LOAD_SLICE = 20_000;

/**
 * Makes the stored fingerprints match this build's layout: when the project's recorded layout differs,
 * the stored ones are cleared (recomputed on the next search). Call before writing new ones.
 */
export function ensureScreenFpVersion(db: Db): void {
  const v = db.prepare("SELECT value FROM meta WHERE key = 'screen_fp_version'").pluck().get() as string | undefined;
  if (v === String(SCREEN_FP_VERSION)) return;
  db.transaction(() => {
    if (v !== undefined) db.exec('UPDATE fingerprints SET screen = NULL');
    db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('screen_fp_version', ?)").run(String(SCREEN_FP_VERSION));
  })();
}

/** Loads (and, where missing, computes and stores) the screen fingerprints of all unique compounds. */
export async function loadScreenIndex(db: Db, pool: () => Promise<ChemPool>, signal?: AbortSignal): Promise<ScreenIndex> {
  ensureScreenFpVersion(db);
  const n = (db.prepare('SELECT count(*) FROM compounds WHERE duplicate_of IS NULL').pluck().get() as number) ?? 0;
  const ids = new Int32Array(n);
  const smiles = new Array<string>(n);
  const fps = new Uint8Array(n * SCREEN_FP_BYTES);
  const missing: number[] = [];
  let i = 0;
  // In slices, yielding between them: a 1M-compound project takes seconds to read, and the host keeps
  // answering other requests (paging, sorting) meanwhile.
  const rows = db.prepare(`SELECT c.id, c.smiles, f.screen FROM compounds c LEFT JOIN fingerprints f ON f.compound_id = c.id
    WHERE c.duplicate_of IS NULL AND c.id > ? ORDER BY c.id LIMIT ${LOAD_SLICE}`).raw();
  for (let last = -1; i < n; ) {
    const slice = rows.all(last) as [number, string, Buffer | null][];
    if (!slice.length) break;
    for (const [id, smi, fp] of slice) {
      if (i >= n) break;
      ids[i] = id;
      smiles[i] = smi;
      if (fp && fp.length === SCREEN_FP_BYTES) fps.set(fp, i * SCREEN_FP_BYTES);
      else missing.push(i);
      i++;
    }
    last = slice[slice.length - 1][0];
    if (signal?.aborted) throw signal.reason;
    await new Promise((r) => setImmediate(r));
  }
  if (missing.length) {
    if (!db.open) throw new Error('the project was closed');
    await backfill(db, await pool(), { ids, smiles, fps }, missing, signal);
  }
  return { ids: ids.subarray(0, i), smiles: smiles.slice(0, i), fps: fps.subarray(0, i * SCREEN_FP_BYTES) };
}

async function backfill(db: Db, pool: ChemPool, index: ScreenIndex, missing: number[], signal?: AbortSignal): Promise<void> {
  const upd = db.prepare('UPDATE fingerprints SET screen = ? WHERE compound_id = ?');
  const store = db.transaction((part: number[], out: Uint8Array) => {
    for (let k = 0; k < part.length; k++) {
      const fp = out.subarray(k * SCREEN_FP_BYTES, (k + 1) * SCREEN_FP_BYTES);
      index.fps.set(fp, part[k] * SCREEN_FP_BYTES);
      upd.run(Buffer.from(fp), index.ids[part[k]]);
    }
  });
  const inFlight: Promise<void>[] = [];
  for (let s = 0; s < missing.length; s += BACKFILL_CHUNK) {
    const part = missing.slice(s, s + BACKFILL_CHUNK);
    const p = pool.screenFingerprints(part.map((k) => index.smiles[k]), signal).then((out) => store(part, out));
    p.catch(() => undefined); // rejections surface through the awaits below, never as unhandled
    inFlight.push(p);
    if (inFlight.length >= pool.threads * 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/**
 * The required screen bits of a SMARTS, or null when the JS compiler cannot read it or it pins down
 * nothing (then every compound is a candidate and RDKit alone decides).
 */
export function queryBits(smarts: string): Uint8Array | null {
  try {
    return queryScreenFp(compileSmarts(smarts));
  } catch {
    return null;
  }
}

export interface SubstructureHits {
  /** Compound ids that match, ascending. */
  ids: Int32Array;
  candidates: number;
  screened: number;
}

/** Ids of the unique compounds matching a SMARTS. Rejects with INVALID_INPUT for a SMARTS RDKit refuses. */
export async function searchSubstructure(index: ScreenIndex, pool: ChemPool, smarts: string, signal?: AbortSignal): Promise<SubstructureHits> {
  const n = index.ids.length;
  const bits = queryBits(smarts);
  const cand = bits ? screenCandidates(bits, index.fps, n) : Int32Array.from({ length: n }, (_, k) => k);
  const hit = new Uint8Array(cand.length);
  const inFlight: Promise<void>[] = [];
  const all: Promise<void>[] = [];
  try {
    // Validate the SMARTS with RDKit even when the screen leaves no candidates.
    if (cand.length === 0) await pool.substructure(smarts, [], signal, { atoms: false });
    for (let s = 0; s < cand.length; s += VERIFY_CHUNK) {
      const from = s, part = cand.subarray(s, s + VERIFY_CHUNK);
      const p = pool.substructure(smarts, Array.from(part, (k) => index.smiles[k]), signal, { atoms: false }).then((r) => {
        hit.set(r.hits, from);
      });
      p.catch(() => undefined); // rejections surface through the awaits below, never as unhandled
      all.push(p);
      inFlight.push(p);
      if (inFlight.length >= pool.threads * 2) await inFlight.shift();
    }
    await Promise.all(all);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError('INVALID_INPUT', `substructure search '${smarts}': ${(err as Error).message}`);
  }
  let m = 0;
  for (let k = 0; k < hit.length; k++) if (hit[k]) m++;
  const ids = new Int32Array(m);
  for (let k = 0, j = 0; k < hit.length; k++) if (hit[k]) ids[j++] = index.ids[cand[k]];
  return { ids, candidates: cand.length, screened: n };
}
