import type Database from 'better-sqlite3-multiple-ciphers';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-screening.js';
import { migration003 } from './003-search-alerts.js';
import { migration004 } from './004-mechanism.js';
import { migration005 } from './005-runs-interrupted.js';
import { migration006 } from './006-display-name.js';
import { migration007 } from './007-measurements.js';
import { migration008 } from './008-hitlists.js';
import { migration009 } from './009-response-probability.js';
import { migration010 } from './010-settings.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** Static, ordered list. Append only; never edit a released migration. */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration010];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
