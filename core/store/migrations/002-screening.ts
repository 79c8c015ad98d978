import type { Migration } from './index.js';

export const migration002: Migration = {
  version: 2,
  name: 'screening runs and their ranked results',
  up(db) {
    db.exec(`
      CREATE TABLE screen_runs (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        model_id TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        weights TEXT NOT NULL,
        query TEXT NOT NULL,
        subgroups TEXT NOT NULL,
        compounds INTEGER NOT NULL,
        seconds REAL,
        status TEXT NOT NULL CHECK (status IN ('running','complete','cancelled','failed'))
      );
      CREATE TABLE screen_results (
        run_id INTEGER NOT NULL REFERENCES screen_runs(id) ON DELETE CASCADE,
        subgroup TEXT NOT NULL,
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        ln_ic50 REAL NOT NULL,
        ln_ic50_low REAL NOT NULL,
        ln_ic50_high REAL NOT NULL,
        spread REAL NOT NULL,
        members INTEGER NOT NULL,
        selectivity REAL,
        domain_score REAL NOT NULL,
        in_domain INTEGER NOT NULL,
        alerts TEXT NOT NULL DEFAULT '',
        desirability REAL NOT NULL,
        rank INTEGER NOT NULL,
        PRIMARY KEY (run_id, subgroup, compound_id)
      ) WITHOUT ROWID;
      CREATE INDEX screen_results_rank ON screen_results(run_id, subgroup, rank);
    `);
  },
};
