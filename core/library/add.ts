/**
 * `compounds.add`: one compound entered by hand (the structure editor's "Draw a compound"), stored by
 * the import's own path — the RDKit worker pool standardises it and computes descriptors, fingerprints
 * and alerts, and `BatchWriter` stores it exactly as an imported record (a duplicate is stored and
 * linked to its first occurrence, never dropped).
 *
 * Each addition is a source of its own (format `smi`, path `(drawn)`, one record), so the import
 * report, provenance and `source_id` say where the compound came from; its options carry the time,
 * so adding the same structure again is a new record (a duplicate), not "already imported".
 */
import { createHash } from 'node:crypto';
import type { ImportIssue } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import { MAX_SMILES_LENGTH } from '../ingest/types.js';
import { BatchWriter, claimSource, finishSource, recordCompound } from '../store/sources.js';
import type { Store } from '../store/store.js';
import { alertSets } from './alerts.js';
import { logProvenance } from './provenance.js';

export const DRAWN_SOURCE_PATH = '(drawn)';

export async function addCompound(store: Store, pool: ChemPool, req: { smiles: string; name?: string }): Promise<{ id: number; duplicateOf: number | null }> {
  const smiles = req.smiles.trim();
  const name = req.name?.trim() || null;
  if (!smiles) throw new ApiError('INVALID_INPUT', 'no structure: give a SMILES');
  if (/\s/.test(smiles)) throw new ApiError('INVALID_INPUT', 'a SMILES has no spaces (give the name separately)');
  if (smiles.length > MAX_SMILES_LENGTH) throw new ApiError('INVALID_INPUT', `SMILES longer than ${MAX_SMILES_LENGTH} characters`);

  // Chemistry first: a structure RDKit cannot read is the call's error, and nothing is stored.
  const out = await pool.process({ texts: [smiles], molblock: new Uint8Array(1), set: 'all' });
  if (!out.ok[0]) throw new ApiError('INVALID_INPUT', `RDKit cannot read this structure: ${out.error[0] ?? 'unparsable SMILES'}`, { smiles });

  const at = new Date().toISOString();
  const sha256 = createHash('sha256').update(`${smiles}\n`).digest('hex');
  const claim = await claimSource(store, DRAWN_SOURCE_PATH, {
    path: DRAWN_SOURCE_PATH, name: 'drawn by hand', size: Buffer.byteLength(`${smiles}\n`), sha256,
    format: 'smi', options: JSON.stringify({ drawn: at }), expectedLast: 0,
  });
  if (claim.kind !== 'claimed') throw new ApiError('BUSY', 'this addition is being stored already');
  const failures: ImportIssue[] = [];
  const writer = new BatchWriter(store, claim.sourceId, DRAWN_SOURCE_PATH, alertSets(), () => ({ targets: null, pathway: null, name }));
  try {
    await writer.write([{ rec: { recordNo: 1, line: 1, format: 'smiles', text: smiles, id: null, props: {} } }], [0], out, failures);
  } catch (err) {
    await finishSource(store, claim.sourceId, 'failed');
    throw err;
  }
  await finishSource(store, claim.sourceId, 'complete');
  const row = recordCompound(store, claim.sourceId, 1);
  if (!row) throw new ApiError('INTERNAL', failures[0]?.reason ?? 'the compound was not stored');
  await logProvenance(store, 'compounds.add', { smiles, name }, { id: row.id, duplicateOf: row.duplicate_of, sourceId: claim.sourceId });
  return { id: row.id, duplicateOf: row.duplicate_of };
}
