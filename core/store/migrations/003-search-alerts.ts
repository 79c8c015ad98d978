import type { Migration } from './index.js';

/**
 * Substructure-screen fingerprints and structural alerts.
 * - fingerprints.screen: the path fingerprint of core/chem/screen-fp.ts (NULL = not computed yet; older
 *   projects get them computed on their first substructure search). meta 'screen_fp_version' names the
 *   layout the stored ones have.
 * - alerts: one row per compound and matched alert (e.g. alert_set 'PAINS'); descriptors.pains_alerts is
 *   the count, so the library can filter and sort on it (NULL = not computed yet).
 */
/** Numeric columns this migration adds to `descriptors`. */
export const ALERT_COLUMNS_V3 = ['pains_alerts'] as const;

export const migration003: Migration = {
  version: 3,
  name: 'substructure screen fingerprints and structural alerts',
  up(db) {
    db.exec(`
      ALTER TABLE fingerprints ADD COLUMN screen BLOB;
      ALTER TABLE descriptors ADD COLUMN pains_alerts INTEGER;
      CREATE TABLE alerts (
        compound_id INTEGER NOT NULL REFERENCES compounds(id) ON DELETE CASCADE,
        alert_set TEXT NOT NULL,
        alert_id TEXT NOT NULL,
        PRIMARY KEY (compound_id, alert_set, alert_id)
      ) WITHOUT ROWID;
    `);
  },
};
