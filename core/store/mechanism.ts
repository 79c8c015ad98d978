/**
 * The declared mechanism in SQL: what an import's notes are computed from, the notes themselves,
 * `compounds.annotate`'s update, and the stored targets/pathway of some compounds.
 */
import type { Store } from './store.js';
import { structuresOf } from './worklists.js';

export interface MechanismGroup { v: string; r: number; line: number | null; n: number }
export interface MechanismConflict { r: number; line: number | null; t: string | null; p: string | null; fid: number; ft: string | null; fp: string | null }

/**
 * One source's stored mechanism, grouped: each distinct targets text and pathway with its first record
 * (and that record's line) and count, and each duplicate whose targets or pathway differ from its first occurrence's.
 */
export function sourceMechanism(store: Store, sourceId: number): { byTargets: MechanismGroup[]; byPathway: MechanismGroup[]; conflicts: MechanismConflict[] } {
  const db = store.reader;
  // SQLite takes the bare columns (line) from the row that holds min(record_no).
  const byTargets = db.prepare('SELECT targets AS v, min(record_no) AS r, line, count(*) AS n FROM compounds WHERE source_id = ? AND targets IS NOT NULL GROUP BY targets')
    .all(sourceId) as MechanismGroup[];
  const byPathway = db.prepare('SELECT target_pathway AS v, min(record_no) AS r, line, count(*) AS n FROM compounds WHERE source_id = ? AND target_pathway IS NOT NULL GROUP BY target_pathway')
    .all(sourceId) as MechanismGroup[];
  const conflicts = db.prepare(`SELECT c.record_no AS r, c.line, c.targets AS t, c.target_pathway AS p, f.id AS fid, f.targets AS ft, f.target_pathway AS fp
    FROM compounds c JOIN compounds f ON f.id = c.duplicate_of
    WHERE c.source_id = ? AND ((c.targets IS NOT NULL AND f.targets IS NOT NULL AND c.targets != f.targets) OR (c.target_pathway IS NOT NULL AND f.target_pathway IS NOT NULL AND c.target_pathway != f.target_pathway))
    ORDER BY c.record_no`).all(sourceId) as MechanismConflict[];
  return { byTargets, byPathway, conflicts };
}

/** Replaces one source's notes in one transaction; returns each note's id, in order. */
export function replaceNotes(store: Store, sourceId: number, rows: readonly { recordNo: number; line: number | null; reason: string }[]): Promise<number[]> {
  return store.write((db) => {
    db.prepare("DELETE FROM import_issues WHERE source_id = ? AND kind = 'note'").run(sourceId);
    const ins = db.prepare("INSERT INTO import_issues(source_id, record_no, line, reason, excerpt, kind) VALUES (?, ?, ?, ?, NULL, 'note')");
    return rows.map((r) => Number(ins.run(sourceId, r.recordNo, r.line, r.reason).lastInsertRowid));
  });
}

const CHUNK = 500;

/**
 * Sets (or, with null, clears) the targets and/or pathway of the structures of `ids`: each id's first
 * occurrence and all its duplicates, in one transaction. An unknown id refuses the whole call (NOT_FOUND).
 */
export function annotateStructures(store: Store, ids: readonly number[], set: { targets?: string | null; pathway?: string | null }): Promise<{ structures: number; changed: number }> {
  return store.write((db) => {
    const s = structuresOf(db, ids, 'annotated');
    const sets: string[] = [];
    const values: (string | null)[] = [];
    if (set.targets !== undefined) {
      sets.push('targets = ?');
      values.push(set.targets);
    }
    if (set.pathway !== undefined) {
      sets.push('target_pathway = ?');
      values.push(set.pathway);
    }
    let changed = 0;
    for (let i = 0; i < s.length; i += CHUNK) {
      const part = s.slice(i, i + CHUNK);
      const ph = part.map(() => '?').join(',');
      changed += db.prepare(`UPDATE compounds SET ${sets.join(', ')} WHERE id IN (${ph}) OR duplicate_of IN (${ph})`).run(...values, ...part, ...part).changes;
    }
    return { structures: s.length, changed };
  });
}

/** The stored (normalised) targets and pathway of some compounds, by id. */
export function mechanismOf(store: Store, ids: readonly number[]): Map<number, { targets: string | null; target_pathway: string | null }> {
  const out = new Map<number, { targets: string | null; target_pathway: string | null }>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = unique.slice(i, i + CHUNK);
    for (const r of store.reader.prepare(`SELECT id, targets, target_pathway FROM compounds WHERE id IN (${part.map(() => '?').join(',')})`).all(...part) as { id: number; targets: string | null; target_pathway: string | null }[]) out.set(r.id, r);
  }
  return out;
}
