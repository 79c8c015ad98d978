/**
 * A lab's measurements in SQL (migration 007): files by sha256, rows per compound structure and
 * cell line, and the look-ups that match a file's compound ids to the project's compounds.
 */
import type { Db } from './db.js';
import { insertProvenance } from './project.js';
import type { Store } from './store.js';

export interface MeasureFileRow { id: number; name: string; sha256: string; imported_at: string; n_rows: number; n_stored: number; n_issues: number }

export interface MeasurementRow {
  id: number;
  compound_id: number;
  sample_id: string;
  ln_ic50: number;
  value: string;
  unit: string;
  row_no: number;
  file_id: number;
  file: string;
  sha256: string;
  imported_at: string;
}

export function measureFileBySha(store: Store, sha256: string): MeasureFileRow | undefined {
  return store.reader.prepare('SELECT * FROM measure_files WHERE sha256 = ?').get(sha256) as MeasureFileRow | undefined;
}

/**
 * Structures (first occurrences) whose external id or display name is `text` exactly, then
 * case-insensitively. Several distinct structures: the caller reports the id as ambiguous.
 */
export function structuresNamed(store: Store, text: string): number[] {
  const exact = store.reader.prepare('SELECT DISTINCT coalesce(duplicate_of, id) FROM compounds WHERE name = ? OR display_name = ? LIMIT 5').pluck().all(text, text) as number[];
  if (exact.length) return exact;
  return store.reader.prepare('SELECT DISTINCT coalesce(duplicate_of, id) FROM compounds WHERE name = ? COLLATE NOCASE OR display_name = ? COLLATE NOCASE LIMIT 5').pluck().all(text, text) as number[];
}

/** Every compound's structure id, external id and display name, streamed (for loose matching of the ids left over). */
export function* compoundNames(store: Store): Generator<{ s: number; name: string | null; display_name: string | null }> {
  yield* store.reader.prepare('SELECT coalesce(duplicate_of, id) AS s, name, display_name FROM compounds').iterate() as Iterable<{ s: number; name: string | null; display_name: string | null }>;
}

export interface NewMeasurement { compoundId: number; sampleId: string; lnIc50: number; value: string; unit: string; rowNo: number }

/**
 * Stores one file's good rows, the file itself and a provenance entry in one transaction. A file
 * already stored (same sha256, e.g. by another process meanwhile) stores nothing: `fileId` null.
 */
export function insertMeasurements(store: Store, file: { name: string; sha256: string; rows: number; issues: number }, rows: readonly NewMeasurement[], provenance: { params: unknown; result: unknown }): Promise<{ fileId: number | null; stored: number }> {
  return store.write((db: Db) => {
    const at = new Date().toISOString();
    const f = db.prepare('INSERT INTO measure_files(name, sha256, imported_at, n_rows, n_stored, n_issues) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING')
      .run(file.name, file.sha256, at, file.rows, rows.length, file.issues);
    if (f.changes === 0) return { fileId: null, stored: 0 };
    const fileId = Number(f.lastInsertRowid);
    const ins = db.prepare('INSERT INTO measurements(compound_id, sample_id, ln_ic50, value, unit, file_id, row_no) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const r of rows) ins.run(r.compoundId, r.sampleId, r.lnIc50, r.value, r.unit, fileId, r.rowNo);
    insertProvenance(db, 'measure.import', provenance.params, { ...(provenance.result as object), fileId });
    return { fileId, stored: rows.length };
  });
}

const SELECT = `SELECT m.id, m.compound_id, m.sample_id, m.ln_ic50, m.value, m.unit, m.row_no, m.file_id, f.name AS file, f.sha256, f.imported_at
  FROM measurements m JOIN measure_files f ON f.id = m.file_id`;

/** One structure's measurements, by line then file order. */
export function measurementsOf(store: Store, structureId: number): MeasurementRow[] {
  return store.reader.prepare(`${SELECT} WHERE m.compound_id = ? ORDER BY m.sample_id, m.file_id, m.row_no`).all(structureId) as MeasurementRow[];
}

const CHUNK = 500;

export function measureFiles(store: Store): MeasureFileRow[] {
  return store.reader.prepare('SELECT * FROM measure_files ORDER BY id').all() as MeasureFileRow[];
}

/**
 * Deletes measurements: by id, or all of one structure (optionally one line only). The file rows stay,
 * so re-importing the same file does not bring deleted rows back; logged in provenance.
 */
export function deleteMeasurements(store: Store, by: { ids?: readonly number[]; compoundId?: number; sampleId?: string }): Promise<number> {
  return store.write((db) => {
    let n = 0;
    if (by.ids?.length) {
      for (let i = 0; i < by.ids.length; i += CHUNK) {
        const part = by.ids.slice(i, i + CHUNK);
        n += db.prepare(`DELETE FROM measurements WHERE id IN (${part.map(() => '?').join(',')})`).run(...part).changes;
      }
    } else if (by.compoundId != null) {
      n = by.sampleId != null
        ? db.prepare('DELETE FROM measurements WHERE compound_id = ? AND sample_id = ?').run(by.compoundId, by.sampleId).changes
        : db.prepare('DELETE FROM measurements WHERE compound_id = ?').run(by.compoundId).changes;
    }
    if (n) insertProvenance(db, 'measure.delete', by, { deleted: n });
    return n;
  });
}

/** Every stored measurement by structure (the table holds a lab's assays: small next to the library). */
export function allMeasurements(store: Store): Map<number, { sampleId: string; lnIc50: number }[]> {
  const out = new Map<number, { sampleId: string; lnIc50: number }[]>();
  for (const r of store.reader.prepare('SELECT compound_id AS c, sample_id AS s, ln_ic50 AS v FROM measurements ORDER BY id').iterate() as Iterable<{ c: number; s: string; v: number }>) {
    const list = out.get(r.c) ?? [];
    list.push({ sampleId: r.s, lnIc50: r.v });
    out.set(r.c, list);
  }
  return out;
}

/** The structure (first occurrence) a compound id stands for; undefined when there is no such compound. */
export function structureOf(store: Store, compoundId: number): number | undefined {
  return store.reader.prepare('SELECT coalesce(duplicate_of, id) FROM compounds WHERE id = ?').pluck().get(compoundId) as number | undefined;
}
