/**
 * Hit lists, tags, saved view states and the fields of a structure across its records, in SQL
 * (migration 008). Members and tags are stored on the structure (first occurrence's id); every write goes
 * through the write queue and returns exactly what changed, so the engine can undo it.
 */
import { ApiError } from '../api/errors.js';
import type { Db } from './db.js';
import { insertProvenance } from './project.js';
import type { Store } from './store.js';

const CHUNK = 500;

export interface HitListRow { id: number; name: string; created_at: string; members: number }

export function hitListRows(store: Store): HitListRow[] {
  return store.reader.prepare(`SELECT h.id, h.name, h.created_at, (SELECT count(*) FROM hitlist_members m WHERE m.list_id = h.id) AS members
    FROM hitlists h ORDER BY h.name COLLATE NOCASE`).all() as HitListRow[];
}

export function hitListRow(store: Store, id: number): HitListRow | undefined {
  return hitListRows(store).find((h) => h.id === id);
}

function requireList(db: Db, id: number): { id: number; name: string } {
  const row = db.prepare('SELECT id, name FROM hitlists WHERE id = ?').get(id) as { id: number; name: string } | undefined;
  if (!row) throw new ApiError('NOT_FOUND', `no hit list with id ${id}`);
  return row;
}

export function createHitList(store: Store, name: string): Promise<{ id: number; name: string; created_at: string }> {
  return store.write((db) => {
    const clash = db.prepare('SELECT name FROM hitlists WHERE name = ?').pluck().get(name) as string | undefined;
    if (clash) throw new ApiError('EXISTS', `a hit list named '${clash}' exists already`);
    const at = new Date().toISOString();
    const id = Number(db.prepare('INSERT INTO hitlists(name, created_at) VALUES (?, ?)').run(name, at).lastInsertRowid);
    insertProvenance(db, 'hitlists.create', { name }, { id });
    return { id, name, created_at: at };
  });
}

/** Deletes a list; returns its members (so the deletion can be undone). */
export function deleteHitList(store: Store, id: number): Promise<{ name: string; created_at: string; members: number[] }> {
  return store.write((db) => {
    requireList(db, id);
    const row = db.prepare('SELECT name, created_at FROM hitlists WHERE id = ?').get(id) as { name: string; created_at: string };
    const members = db.prepare('SELECT compound_id FROM hitlist_members WHERE list_id = ? ORDER BY compound_id').pluck().all(id) as number[];
    db.prepare('DELETE FROM hitlists WHERE id = ?').run(id);
    insertProvenance(db, 'hitlists.delete', { id, name: row.name }, { members: members.length });
    return { ...row, members };
  });
}

/** Recreates a deleted list under its id (undo of a deletion). */
export function restoreHitList(store: Store, l: { id: number; name: string; created_at: string; members: number[] }): Promise<void> {
  return store.write((db) => {
    db.prepare('INSERT INTO hitlists(id, name, created_at) VALUES (?, ?, ?)').run(l.id, l.name, l.created_at);
    const ins = db.prepare('INSERT OR IGNORE INTO hitlist_members(list_id, compound_id, added_at) SELECT ?, id, ? FROM compounds WHERE id = ?');
    const at = new Date().toISOString();
    for (const m of l.members) ins.run(l.id, at, m);
    insertProvenance(db, 'edits.undo', { operation: 'hitlists.delete', id: l.id }, { members: l.members.length });
  });
}

/** First-occurrence ids of `ids` (ascending); an unknown id refuses the whole call: "nothing was <done>". */
export function structuresOf(db: Db, ids: readonly number[], done = 'changed'): number[] {
  const out = new Set<number>();
  const missing: number[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    const got = db.prepare(`SELECT id, coalesce(duplicate_of, id) AS s FROM compounds WHERE id IN (${part.map(() => '?').join(',')})`).all(...part) as { id: number; s: number }[];
    const found = new Set(got.map((g) => g.id));
    for (const id of part) if (!found.has(id)) missing.push(id);
    for (const g of got) out.add(g.s);
  }
  if (missing.length) {
    throw new ApiError('NOT_FOUND', `no compound with id ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}; nothing was ${done}`, { missing: missing.slice(0, 1000) });
  }
  return [...out].sort((a, b) => a - b);
}

/** Adds (or removes) the structures of `ids` to a list; returns the structure ids whose membership changed. */
export function changeMembers(store: Store, listId: number, ids: readonly number[], add: boolean, log = true): Promise<{ name: string; changed: number[] }> {
  return store.write((db) => {
    const list = requireList(db, listId);
    const structures = structuresOf(db, ids);
    const at = new Date().toISOString();
    const stmt = add
      ? db.prepare('INSERT OR IGNORE INTO hitlist_members(list_id, compound_id, added_at) VALUES (?, ?, ?)')
      : db.prepare('DELETE FROM hitlist_members WHERE list_id = ? AND compound_id = ?');
    const changed = structures.filter((s) => (add ? stmt.run(listId, s, at) : stmt.run(listId, s)).changes > 0);
    if (log) insertProvenance(db, add ? 'hitlists.add' : 'hitlists.remove', { listId, name: list.name, ids: ids.length }, { changed: changed.length });
    return { name: list.name, changed };
  });
}

/** Hit lists a structure belongs to. */
export function hitListsOf(store: Store, structureId: number): { id: number; name: string }[] {
  return store.reader.prepare('SELECT h.id, h.name FROM hitlist_members m JOIN hitlists h ON h.id = m.list_id WHERE m.compound_id = ? ORDER BY h.name COLLATE NOCASE')
    .all(structureId) as { id: number; name: string }[];
}

/** Adds or removes tags on the structures of `ids`; returns the (structure, tag) pairs that changed. */
export function changeTags(store: Store, ids: readonly number[], add: readonly string[], remove: readonly string[], log = true): Promise<{ added: [number, string][]; removed: [number, string][] }> {
  return store.write((db) => {
    const structures = structuresOf(db, ids);
    const ins = db.prepare('INSERT OR IGNORE INTO compound_tags(compound_id, tag) VALUES (?, ?)');
    const del = db.prepare('DELETE FROM compound_tags WHERE compound_id = ? AND tag = ?');
    const added: [number, string][] = [];
    const removed: [number, string][] = [];
    for (const s of structures) {
      for (const t of add) if (ins.run(s, t).changes) added.push([s, t]);
      for (const t of remove) if (del.run(s, t).changes) removed.push([s, t]);
    }
    if (log) insertProvenance(db, 'compounds.tag', { ids: ids.length, add, remove }, { added: added.length, removed: removed.length });
    return { added, removed };
  });
}

/** Puts (structure, tag) pairs back as they were (undo). */
export function revertTags(store: Store, added: readonly [number, string][], removed: readonly [number, string][]): Promise<void> {
  return store.write((db) => {
    const del = db.prepare('DELETE FROM compound_tags WHERE compound_id = ? AND tag = ?');
    const ins = db.prepare('INSERT OR IGNORE INTO compound_tags(compound_id, tag) SELECT id, ? FROM compounds WHERE id = ?');
    for (const [s, t] of added) del.run(s, t);
    for (const [s, t] of removed) ins.run(t, s);
    insertProvenance(db, 'edits.undo', { operation: 'compounds.tag' }, { added: added.length, removed: removed.length });
  });
}

export function tagsOf(store: Store, structureId: number): string[] {
  return store.reader.prepare('SELECT tag FROM compound_tags WHERE compound_id = ? ORDER BY tag').pluck().all(structureId) as string[];
}

/** Every tag with the number of structures carrying it. */
export function tagCounts(store: Store): { tag: string; count: number }[] {
  return store.reader.prepare('SELECT tag, count(*) AS count FROM compound_tags GROUP BY tag ORDER BY tag').all() as { tag: string; count: number }[];
}

/** The stored targets/pathway of every record of the structures of `ids` (to undo an annotation). */
export function mechanismSnapshot(store: Store, ids: readonly number[]): { id: number; targets: string | null; target_pathway: string | null }[] {
  const out: { id: number; targets: string | null; target_pathway: string | null }[] = [];
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = unique.slice(i, i + CHUNK);
    const ph = part.map(() => '?').join(',');
    out.push(...store.reader.prepare(`SELECT id, targets, target_pathway FROM compounds WHERE id IN (SELECT coalesce(duplicate_of, id) FROM compounds WHERE id IN (${ph}))
      OR duplicate_of IN (SELECT coalesce(duplicate_of, id) FROM compounds WHERE id IN (${ph}))`).all(...part, ...part) as typeof out);
  }
  return out;
}

/** Writes a mechanism snapshot back (undo of `compounds.annotate`). */
export function restoreMechanism(store: Store, rows: readonly { id: number; targets: string | null; target_pathway: string | null }[]): Promise<void> {
  return store.write((db) => {
    const upd = db.prepare('UPDATE compounds SET targets = ?, target_pathway = ? WHERE id = ?');
    for (const r of rows) upd.run(r.targets, r.target_pathway, r.id);
    insertProvenance(db, 'edits.undo', { operation: 'compounds.annotate' }, { compounds: rows.length });
  });
}

// --- saved view states ---------------------------------------------------------------------------

export function saveUiState(store: Store, id: string, state: string): Promise<void> {
  return store.write((db) => {
    // REPLACE deletes and reinserts, so the row saved last has the largest rowid: "newest" never rests on two
    // saves falling in one millisecond of the clock.
    db.prepare('INSERT OR REPLACE INTO ui_states(id, state, saved_at) VALUES (?, ?, ?)').run(id, state, new Date().toISOString());
  });
}

/** A saved state by id, or the newest one when `id` is undefined. */
export function uiState(store: Store, id?: string): { id: string; state: string; saved_at: string } | undefined {
  return (id === undefined
    ? store.reader.prepare('SELECT id, state, saved_at FROM ui_states ORDER BY rowid DESC LIMIT 1').get()
    : store.reader.prepare('SELECT id, state, saved_at FROM ui_states WHERE id = ?').get(id)) as { id: string; state: string; saved_at: string } | undefined;
}

// --- the fields of a structure across its records ------------------------------------------------

export interface StructureField { name: string; value: string; compound_id: number; file: string; record_no: number; shown: 0 | 1 }

/**
 * Every source field of every record of a structure (the first occurrence and its duplicates), with the record
 * and file it came from; `shown` marks the value filters, sorts and the grid use (the first record carrying it).
 */
export function structureFields(store: Store, structureId: number): StructureField[] {
  return store.reader.prepare(`SELECT p.name, p.value, p.compound_id, s.name AS file, c.record_no,
      CASE WHEN sp.compound_id = p.compound_id THEN 1 ELSE 0 END AS shown
    FROM compounds c JOIN properties p ON p.compound_id = c.id JOIN sources s ON s.id = c.source_id
    LEFT JOIN structure_props sp ON sp.structure_id = ? AND sp.name = p.name
    WHERE c.id = ? OR c.duplicate_of = ? ORDER BY p.name, c.id`).all(structureId, structureId, structureId) as StructureField[];
}

/** The fields the grid shows for some structures: one value per field, from the first record carrying it. */
export function structurePropertiesOf(store: Store, ids: readonly number[]): { compound_id: number; name: string; value: string; num: number | null }[] {
  const out: { compound_id: number; name: string; value: string; num: number | null }[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    out.push(...store.reader.prepare(`SELECT structure_id AS compound_id, name, value, num FROM structure_props WHERE structure_id IN (${part.map(() => '?').join(',')})`).all(...part) as typeof out);
  }
  return out;
}
