import type { Migration } from './index.js';

/**
 * A compound's display name (`pref_name`, `name`, … at import; core/library/names.ts), next to `name`, which
 * stays the external id (SDF title, id column). Existing compounds get null: views show their id as before.
 * Indexed case-insensitively for sorting and prefix look-ups by name.
 */
export const migration006: Migration = {
  version: 6,
  name: 'display names of compounds',
  up(db) {
    db.exec(`
      ALTER TABLE compounds ADD COLUMN display_name TEXT;
      CREATE INDEX compounds_display_name ON compounds(display_name COLLATE NOCASE);
    `);
  },
};
