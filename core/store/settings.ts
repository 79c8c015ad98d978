/**
 * The project's view settings (migration 010): one JSON value per key. Keys are short dotted names
 * (`grid.library`); values are limited in size so a setting never grows into data.
 */
import { ApiError } from '../api/errors.js';
import type { Store } from './store.js';

/** `area.name` segments of lower-case letters, digits, `_` and `-`; at most 100 characters. */
export const SETTING_KEY = /^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/;
export const SETTING_KEY_MAX = 100;
/** Bytes of a value's JSON text. */
export const SETTING_VALUE_MAX = 64 * 1024;

function hasTable(store: Store): boolean {
  // A read-only project of an older schema has no settings table (reads never migrate).
  return store.reader.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get() !== undefined;
}

export function getSetting(store: Store, key: string): unknown {
  if (!hasTable(store)) return null;
  const row = store.reader.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  if (row === undefined) return null;
  try {
    return JSON.parse(row) as unknown;
  } catch {
    throw new ApiError('BAD_FILE', `setting '${key}' of ${store.path} is not valid JSON`);
  }
}

/** Stores `value` under `key`; null removes the key. */
export function setSetting(store: Store, key: string, value: unknown): Promise<void> {
  const json = value === null ? null : JSON.stringify(value);
  if (json !== null && Buffer.byteLength(json, 'utf8') > SETTING_VALUE_MAX) {
    throw new ApiError('INVALID_INPUT', `setting '${key}' is larger than ${SETTING_VALUE_MAX} bytes`);
  }
  return store.write((db) => {
    if (json === null) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    else db.prepare('INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, json, new Date().toISOString());
  });
}
