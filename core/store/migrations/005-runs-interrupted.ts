import type { Migration } from './index.js';

/**
 * Runs and imports that a dead process left `running`:
 * - `sources.status` and `screen_runs.status` may be 'interrupted' (set at the next open when the owner
 *   is gone; an interrupted import resumes after its last committed record);
 * - `owner` names the process doing the work (JSON: host, pid), so another process can tell a live
 *   importer (refuse a second import of the same source) from a dead one.
 * SQLite cannot change a CHECK constraint in place, so both tables are rebuilt by its documented
 * procedure (new table, copy, drop, rename), with foreign keys off during migrations (core/store/db.ts).
 * Also: partial indexes on the rows still missing alerts or screen fingerprints, so the check at open
 * for backfill work costs a lookup, not a scan.
 */
export const migration005: Migration = {
  version: 5,
  name: 'interrupted runs and imports, owner of running work, backfill lookups',
  up(db) {
    db.exec(`
      CREATE TABLE sources_new (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        imported_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','failed','interrupted')),
        last_record INTEGER NOT NULL DEFAULT 0,
        n_read INTEGER NOT NULL DEFAULT 0,
        n_imported INTEGER NOT NULL DEFAULT 0,
        n_duplicates INTEGER NOT NULL DEFAULT 0,
        n_failed INTEGER NOT NULL DEFAULT 0,
        owner TEXT
      );
      INSERT INTO sources_new(id, path, name, size, sha256, format, options, imported_at, finished_at, status, last_record, n_read, n_imported, n_duplicates, n_failed)
        SELECT id, path, name, size, sha256, format, options, imported_at, finished_at, status, last_record, n_read, n_imported, n_duplicates, n_failed FROM sources;
      DROP TABLE sources;
      ALTER TABLE sources_new RENAME TO sources;
      CREATE INDEX sources_sha ON sources(sha256);

      CREATE TABLE screen_runs_new (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        model_id TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        weights TEXT NOT NULL,
        query TEXT NOT NULL,
        subgroups TEXT NOT NULL,
        compounds INTEGER NOT NULL,
        seconds REAL,
        status TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','failed','interrupted')),
        owner TEXT
      );
      INSERT INTO screen_runs_new(id, at, model_id, model_sha256, weights, query, subgroups, compounds, seconds, status)
        SELECT id, at, model_id, model_sha256, weights, query, subgroups, compounds, seconds, status FROM screen_runs;
      DROP TABLE screen_runs;
      ALTER TABLE screen_runs_new RENAME TO screen_runs;

      CREATE INDEX descriptors_alerts_missing ON descriptors(compound_id) WHERE pains_alerts IS NULL;
      CREATE INDEX fingerprints_screen_missing ON fingerprints(compound_id) WHERE screen IS NULL;
    `);
  },
};
