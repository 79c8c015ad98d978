/**
 * The schema's column lists, for code outside the store (column catalogue, screening features, export
 * order). Business code imports these, never the migrations: what a column is called is the store's business.
 */
import { DESCRIPTOR_COLUMNS_V1, FLAG_COLUMNS_V1 } from './migrations/001-initial.js';
import { ALERT_COLUMNS_V3 } from './migrations/003-search-alerts.js';
export { SCHEMA_VERSION } from './migrations/index.js';

/** RDKit descriptor columns (RDKit's names), QED and Ro5 violations. */
export const DESCRIPTOR_COLUMNS: readonly string[] = DESCRIPTOR_COLUMNS_V1;
/** 0/1 rule flags. */
export const FLAG_COLUMNS: readonly string[] = FLAG_COLUMNS_V1;
/** Numeric columns of the `descriptors` table: RDKit descriptors, QED, Ro5 violations, alert counts. */
export const NUMERIC_COLUMNS: readonly string[] = [...DESCRIPTOR_COLUMNS_V1, ...ALERT_COLUMNS_V3];
/** Every column of the `descriptors` table except the key, in export order (columns added later go last). */
export const DESCRIPTOR_TABLE_COLUMNS: readonly string[] = [...DESCRIPTOR_COLUMNS_V1, ...FLAG_COLUMNS_V1, ...ALERT_COLUMNS_V3];
const TABLE_SET = new Set(DESCRIPTOR_TABLE_COLUMNS);
/** Whether a name is a column of the `descriptors` table (own names only: never `constructor` and the like). */
export function isDescriptorTableColumn(name: string): boolean {
  return TABLE_SET.has(name);
}
