import type { Migration } from './index.js';

/**
 * Settings of the project's views (issue 11, the library grid): a small key/value store, one JSON value per key
 * (column widths and order, row size), so a reload, a second tab and the desktop app show the grid alike.
 * Keys and sizes are limited by the API (core/store/settings.ts).
 */
export const migration010: Migration = {
  version: 10,
  name: 'view settings (key/value)',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
