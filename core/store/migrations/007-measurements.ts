import type { Migration } from './index.js';

/**
 * A lab's own measurements (issue 9): one row per measured (compound, cell line, file row), the value
 * converted to ln IC50 in µM next to the value and unit as written, and the file it came from
 * (name, sha256, import time). `compound_id` is the structure (first occurrence). A file is stored
 * once per sha256 (re-importing it changes nothing); two rows for the same compound and line, from one
 * file or several, are replicates: all are kept, and calibration takes their mean in ln. Ranked rows
 * record how many measured lines their compound had.
 */
export const migration007: Migration = {
  version: 7,
  name: 'lab measurements per compound and cell line',
  up(db) {
    db.exec(`
      CREATE TABLE measure_files (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        imported_at TEXT NOT NULL,
        n_rows INTEGER NOT NULL,
        n_stored INTEGER NOT NULL,
        n_issues INTEGER NOT NULL
      );
      CREATE TABLE measurements (
        id INTEGER PRIMARY KEY,
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        sample_id TEXT NOT NULL,
        ln_ic50 REAL NOT NULL,
        value TEXT NOT NULL,
        unit TEXT NOT NULL,
        file_id INTEGER NOT NULL REFERENCES measure_files(id) ON DELETE CASCADE,
        row_no INTEGER NOT NULL,
        UNIQUE (file_id, row_no)
      );
      CREATE INDEX measurements_compound ON measurements(compound_id, sample_id);
      -- A ranked row's compound had this many measured lines when it was screened (its predictions were calibrated
      -- by them and its subgroup means hold the measurements at those lines); null in runs made before.
      ALTER TABLE screen_results ADD COLUMN measured_lines INTEGER;
    `);
  },
};
