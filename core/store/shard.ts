/** The reads `shard run` makes of its scratch project: the screened compounds and the import report. */
import type { Store } from './store.js';

/**
 * The screened compounds (no duplicates) in id order: id, name, smiles, identity, record_no, line, the
 * descriptors of `names` the project has (returned in `descriptors`, in that order), and the Morgan fingerprint.
 */
export function uniqueCompoundRows(store: Store, names: readonly string[]): { descriptors: string[]; rows: unknown[][] } {
  const db = store.reader;
  const have = new Set((db.prepare('PRAGMA table_info(descriptors)').all() as { name: string }[]).map((c) => c.name));
  const descriptors = names.filter((n) => have.has(n));
  const sql = `SELECT c.id, c.name, c.smiles, c.identity, c.record_no, c.line${descriptors.map((d) => `, d.${JSON.stringify(d)}`).join('')}, f.morgan
    FROM compounds c JOIN descriptors d ON d.compound_id = c.id JOIN fingerprints f ON f.compound_id = c.id WHERE c.duplicate_of IS NULL ORDER BY c.id`;
  return { descriptors, rows: db.prepare(sql).raw().all() as unknown[][] };
}

/** Every import issue of the project, by record: record_no, line, reason, excerpt. */
export function allImportIssues(store: Store): [number, number | null, string, string | null][] {
  return store.reader.prepare('SELECT record_no, line, reason, excerpt FROM import_issues ORDER BY record_no').raw().all() as [number, number | null, string, string | null][];
}
