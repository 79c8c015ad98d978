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
 * Projects made before screen fingerprints existed (or with an older layout) get them computed by the
 * maintenance job started when the project opens (`backfillScreenFps`, in the workers, stored once; parse +
 * fingerprint measured at 35–50 µs per compound on one core); a search waits for that job, it never writes.
 */
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { queryScreenFp, screenCandidates, SCREEN_FP_BYTES } from '../chem/screen-fp.js';
import { compileSmarts } from '../chem/smarts.js';
import { compoundsWithoutScreenFp, screenFpVersionCurrent, screenIndexSlice, storeScreenFps, uniqueCompoundCount, updateScreenFpVersion } from '../store/maintenance.js';
import type { Store } from '../store/store.js';

/** Unique compounds in id order with their screen fingerprints, back to back. */
export interface ScreenIndex {
  ids: Int32Array;
  smiles: string[];
  fps: Uint8Array;
}

const VERIFY_CHUNK = 2000;
const BACKFILL_CHUNK = 2000;
const LOAD_SLICE = 20_000;

/** Loads the screen fingerprints of all unique compounds (a pure read: missing ones stay zero, which screens nothing out). */
export async function loadScreenIndex(store: Store, signal?: AbortSignal): Promise<ScreenIndex> {
  const n = uniqueCompoundCount(store);
  const ids = new Int32Array(n);
  const smiles = new Array<string>(n);
  const fps = new Uint8Array(n * SCREEN_FP_BYTES);
  let i = 0;
  // In slices, yielding between them: a 1M-compound project takes seconds to read, and the host keeps
  // answering other requests (paging, sorting) meanwhile.
  for (let last = -1; i < n; ) {
    const slice = screenIndexSlice(store, last, LOAD_SLICE);
    if (!slice.length) break;
    for (const [id, smi, fp] of slice) {
      if (i >= n) break;
      ids[i] = id;
      smiles[i] = smi;
      // A missing fingerprint is all zeros: every query bit is absent, so it would be screened out.
      // Mark it as set everywhere instead, so RDKit alone decides for it.
      if (fp && fp.length === SCREEN_FP_BYTES) fps.set(fp, i * SCREEN_FP_BYTES);
      else fps.fill(0xff, i * SCREEN_FP_BYTES, (i + 1) * SCREEN_FP_BYTES);
      i++;
    }
    last = slice[slice.length - 1][0];
    if (signal?.aborted) throw signal.reason;
    await new Promise((r) => setImmediate(r));
  }
  return { ids: ids.subarray(0, i), smiles: smiles.slice(0, i), fps: fps.subarray(0, i * SCREEN_FP_BYTES) };
}

/**
 * Computes and stores the screen fingerprints missing from a project (older projects, or a layout
 * change, which clears the stored ones first). A write job: run by the maintenance job, never by a search.
 */
export async function backfillScreenFps(store: Store, pool: () => Promise<ChemPool>, opts: { signal?: AbortSignal; progress?: (done: number, total: number) => void } = {}): Promise<number> {
  if (!screenFpVersionCurrent(store)) await updateScreenFpVersion(store);
  const missing = compoundsWithoutScreenFp(store);
  if (!missing.length) return 0;
  const p = await pool();
  let done = 0;
  const inFlight: Promise<void>[] = [];
  for (let s = 0; s < missing.length; s += BACKFILL_CHUNK) {
    const part = missing.slice(s, s + BACKFILL_CHUNK);
    const pr = p.screenFingerprints(part.map((r) => r[1]), opts.signal).then(async (out) => {
      if (!store.open) return;
      await storeScreenFps(store, part.map((r) => r[0]), out);
      done += part.length;
      opts.progress?.(done, missing.length);
    });
    pr.catch(() => undefined); // rejections surface through the awaits below, never as unhandled
    inFlight.push(pr);
    if (inFlight.length >= p.threads * 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return missing.length;
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
