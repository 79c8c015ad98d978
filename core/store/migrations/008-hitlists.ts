import type { Migration } from './index.js';

/**
 * Work that persists (issue 11):
 * - `hitlists` (named, unique names) and `hitlist_members` (one row per structure: members are stored as the
 *   first occurrence's id, so a list means structures, as `compounds.annotate` does);
 * - `compound_tags`: free-text tags on structures (first occurrence's id);
 * - `ui_states`: saved view states (view, library query, selection, run) under a short content id, so a URL
 *   carries `?st=<id>` instead of the state itself; the newest one is where a new tab or the desktop app opens;
 * - `structure_props`: every source field of a structure, whichever of its records brought it (the first
 *   record carrying a field wins, the record is named in `compound_id`). Filters, sorts, quick search and the
 *   grid read it, so a field that arrived on a later duplicate is seen on the compound. Kept by a trigger on
 *   `properties` (every import path inserts properties after their compound row) and backfilled here once:
 *   reads never write.
 */
export const migration008: Migration = {
  version: 8,
  name: 'hit lists, tags, saved view states, properties per structure',
  up(db) {
    db.exec(`
      CREATE TABLE hitlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at TEXT NOT NULL
      );
      CREATE TABLE hitlist_members (
        list_id INTEGER NOT NULL REFERENCES hitlists(id) ON DELETE CASCADE,
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        added_at TEXT NOT NULL,
        PRIMARY KEY (list_id, compound_id)
      ) WITHOUT ROWID;
      CREATE INDEX hitlist_members_compound ON hitlist_members(compound_id);
      CREATE TABLE compound_tags (
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        PRIMARY KEY (compound_id, tag)
      ) WITHOUT ROWID;
      CREATE INDEX compound_tags_tag ON compound_tags(tag, compound_id);
      CREATE TABLE ui_states (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        saved_at TEXT NOT NULL
      );
      CREATE INDEX ui_states_saved ON ui_states(saved_at);

      CREATE TABLE structure_props (
        structure_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL,
        num REAL,
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        PRIMARY KEY (structure_id, name)
      ) WITHOUT ROWID;
      CREATE INDEX structure_props_name_num ON structure_props(name, num);
      INSERT INTO structure_props(structure_id, name, value, num, compound_id)
        SELECT coalesce(c.duplicate_of, c.id), p.name, p.value, p.num, p.compound_id
        FROM properties p JOIN compounds c ON c.id = p.compound_id
        ORDER BY p.compound_id
        ON CONFLICT(structure_id, name) DO NOTHING;
      -- The first record carrying a field keeps it; the same record written again (a resumed import's
      -- INSERT OR REPLACE) updates its own value.
      CREATE TRIGGER properties_structure_insert AFTER INSERT ON properties BEGIN
        INSERT INTO structure_props(structure_id, name, value, num, compound_id)
          SELECT coalesce(c.duplicate_of, c.id), NEW.name, NEW.value, NEW.num, NEW.compound_id FROM compounds c WHERE c.id = NEW.compound_id
          ON CONFLICT(structure_id, name) DO UPDATE SET value = excluded.value, num = excluded.num
            WHERE structure_props.compound_id = excluded.compound_id;
      END;
    `);
  },
};
