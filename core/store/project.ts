/** The project's own records in SQL: summary counts, import report, provenance, subgroups, one compound in full. */
import { APP_VERSION } from '../version.js';
import type { Db } from './db.js';
import type { Store } from './store.js';

export interface SourceRecord {
  id: number; path: string; name: string; size: number; sha256: string; format: string; options: string; imported_at: string;
  finished_at: string | null; status: string; last_record: number; n_read: number; n_imported: number; n_duplicates: number; n_failed: number;
  owner: string | null;
}

export function projectCounts(store: Store) {
  const r = store.reader;
  const sources = r.prepare('SELECT * FROM sources ORDER BY id').all() as SourceRecord[];
  const c = r.prepare('SELECT count(*) AS n, count(duplicate_of) AS dup FROM compounds').get() as { n: number; dup: number };
  const failed = (r.prepare("SELECT count(*) AS n FROM import_issues WHERE kind = 'failure'").get() as { n: number }).n;
  const subgroups = (r.prepare('SELECT count(*) AS n FROM subgroups').get() as { n: number }).n;
  const createdAt = r.prepare("SELECT value FROM meta WHERE key = 'created_at'").pluck().get() as string | undefined;
  return { sources, compounds: c.n, duplicates: c.dup, failed, subgroups, createdAt: createdAt ?? '' };
}

export interface IssueRow { id: number; kind: 'failure' | 'note'; source_id: number; file: string; record_no: number; line: number | null; reason: string; excerpt: string | null }

export function importIssues(store: Store, req: { offset: number; limit: number; sourceId?: number; search?: string; kind?: IssueRow['kind'] }): { rows: IssueRow[]; total: number } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (req.kind) {
    where.push('i.kind = ?');
    params.push(req.kind);
  }
  if (req.sourceId != null) {
    where.push('i.source_id = ?');
    params.push(req.sourceId);
  }
  if (req.search) {
    where.push("(i.reason LIKE ? ESCAPE '\\' OR s.name LIKE ? ESCAPE '\\' OR i.excerpt LIKE ? ESCAPE '\\')");
    const like = `%${req.search.replace(/[%_\\]/g, (m) => `\\${m}`)}%`;
    params.push(like, like, like);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const rows = store.reader.prepare(`SELECT i.id, i.kind, i.source_id, s.name AS file, i.record_no, i.line, i.reason, i.excerpt FROM import_issues i JOIN sources s ON s.id = i.source_id ${w} ORDER BY i.source_id, i.record_no LIMIT ? OFFSET ?`)
    .all(...params, req.limit, req.offset) as IssueRow[];
  const total = (store.reader.prepare(`SELECT count(*) AS n FROM import_issues i JOIN sources s ON s.id = i.source_id ${w}`).get(...params) as { n: number }).n;
  return { rows, total };
}

export function provenanceRows(store: Store, req: { offset: number; limit: number }) {
  const rows = store.reader.prepare('SELECT id, at, operation, params, result FROM provenance ORDER BY id DESC LIMIT ? OFFSET ?').all(req.limit, req.offset) as { id: number; at: string; operation: string; params: string; result: string | null }[];
  const total = (store.reader.prepare('SELECT count(*) AS n FROM provenance').get() as { n: number }).n;
  return { rows, total };
}

/** The provenance row as a statement inside a caller's write transaction. */
export function insertProvenance(db: Db, operation: string, params: unknown, result: unknown): void {
  db.prepare('INSERT INTO provenance(at, operation, params, result, app_version) VALUES (?, ?, ?, ?, ?)')
    .run(new Date().toISOString(), operation, JSON.stringify(params ?? {}), result === undefined ? null : JSON.stringify(result), APP_VERSION);
}

/** Appends one operation with its parameters to the provenance log (through the write queue). */
export function logProvenance(store: Store, operation: string, params: unknown, result: unknown): Promise<void> {
  return store.write((db) => insertProvenance(db, operation, params, result));
}

export function compoundWithSource(store: Store, id: number): Record<string, unknown> | undefined {
  return store.reader.prepare('SELECT c.*, s.name AS file FROM compounds c JOIN sources s ON s.id = c.source_id WHERE c.id = ?').get(id) as Record<string, unknown> | undefined;
}

export function descriptorRow(store: Store, id: number): Record<string, number | null> | undefined {
  return store.reader.prepare('SELECT * FROM descriptors WHERE compound_id = ?').get(id) as Record<string, number | null> | undefined;
}

export function compoundProperties(store: Store, id: number): { name: string; value: string }[] {
  return store.reader.prepare('SELECT name, value FROM properties WHERE compound_id = ? ORDER BY name').all(id) as { name: string; value: string }[];
}

export function duplicatesOf(store: Store, id: number): number[] {
  return store.reader.prepare('SELECT id FROM compounds WHERE duplicate_of = ? ORDER BY id').pluck().all(id) as number[];
}

/** Alerts of some compounds (by the id of their unique structure), in set then id order. */
export function alertRows(store: Store, ids: readonly number[]): Map<number, { set: string; id: string }[]> {
  const out = new Map<number, { set: string; id: string }[]>();
  const stmt = store.reader.prepare('SELECT alert_set AS "set", alert_id AS id FROM alerts WHERE compound_id = ? ORDER BY alert_set, alert_id');
  for (const id of ids) {
    const a = stmt.all(id) as { set: string; id: string }[];
    if (a.length) out.set(id, a);
  }
  return out;
}

export interface SubgroupRow { name: string; rule: string; created_at: string }

export function subgroupRows(store: Store): SubgroupRow[] {
  return store.reader.prepare('SELECT name, rule, created_at FROM subgroups ORDER BY name').all() as SubgroupRow[];
}

export function subgroupRule(store: Store, name: string): string | undefined {
  return store.reader.prepare('SELECT rule FROM subgroups WHERE name = ?').pluck().get(name) as string | undefined;
}

/** Saves (or replaces) a subgroup and logs it, in one transaction. */
export function saveSubgroup(store: Store, row: SubgroupRow, provenance: { params: unknown; result: unknown }): Promise<void> {
  return store.write((db) => {
    db.prepare('INSERT INTO subgroups(name, rule, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET rule = excluded.rule, created_at = excluded.created_at').run(row.name, row.rule, row.created_at);
    insertProvenance(db, 'subgroups.save', provenance.params, provenance.result);
  });
}

export function deleteSubgroup(store: Store, name: string): Promise<boolean> {
  return store.write((db) => {
    const deleted = db.prepare('DELETE FROM subgroups WHERE name = ?').run(name).changes > 0;
    if (deleted) insertProvenance(db, 'subgroups.delete', { name }, null);
    return deleted;
  });
}
