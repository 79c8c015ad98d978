/**
 * Imports in SQL: the source row (claimed in one immediate transaction, so two importers of one file
 * cannot both run it), one transaction per batch of records together with the source's counters and
 * high-water mark, and the final status.
 */
import type { ImportIssue } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { SCREEN_FP_BYTES, SCREEN_FP_VERSION } from '../chem/screen-fp.js';
import type { ChemBatchOutput } from '../chem/types.js';
import { DESCRIPTOR_NAMES, FLAG_NAMES, FP_BYTES } from '../chem/types.js';
import type { BadRecord, RawRecord } from '../ingest/index.js';
import type { Db } from './db.js';
import { DESCRIPTOR_COLUMNS_V1, FLAG_COLUMNS_V1 } from './migrations/001-initial.js';
import { insertProvenance } from './project.js';
import { ownerAlive, parseOwner, thisOwner } from './runs.js';
import type { Store } from './store.js';

export interface SourceRow {
  id: number;
  status: string;
  last_record: number;
  n_read: number;
  n_imported: number;
  n_duplicates: number;
  n_failed: number;
  owner: string | null;
  imported_at: string;
}

const PRIOR_SQL = 'SELECT id, status, last_record, n_read, n_imported, n_duplicates, n_failed, owner, imported_at FROM sources WHERE sha256 = ? AND options = ? ORDER BY id DESC LIMIT 1';

/** The latest import of the same content with the same options, if any. */
export function priorSource(store: Store, sha256: string, options: string): SourceRow | undefined {
  return store.reader.prepare(PRIOR_SQL).get(sha256, options) as SourceRow | undefined;
}

export type Claim = { kind: 'complete'; prior: SourceRow } | { kind: 'claimed'; sourceId: number; resumedFrom: number };

function refuseRunning(file: string, row: SourceRow): never {
  const o = parseOwner(row.owner);
  const who = o ? (o.pid === process.pid ? 'this process' : `process ${o.pid} on ${o.host}`) : 'another process';
  throw new ApiError('BUSY', `${file} is already being imported into this project (source ${row.id}, by ${who}, since ${row.imported_at}); wait for that import to finish or cancel it, then run this one again to add what is left`);
}

/**
 * Takes the source for this process: a new row, or the row of an earlier run that did not finish
 * (resumed after `expectedLast`, the record the reader was opened after). Refuses with BUSY while a live
 * process runs the same import; answers `complete` when it finished meanwhile.
 */
export function claimSource(store: Store, file: string, s: { path: string; name: string; size: number; sha256: string; format: string; options: string; expectedLast: number }): Promise<Claim> {
  return store.write((db) => {
    ensureScreenFpVersionTx(db);
    const prior = db.prepare(PRIOR_SQL).get(s.sha256, s.options) as SourceRow | undefined;
    if (prior?.status === 'complete') return { kind: 'complete', prior };
    if (prior?.status === 'running' && ownerAlive(prior.owner)) refuseRunning(file, prior);
    if (prior && prior.last_record !== s.expectedLast) {
      // Another importer committed more of it between our look and our claim: it is not ours to resume.
      throw new ApiError('BUSY', `${file} was being imported by another process at the same time (source ${prior.id}); run this import again to resume it`);
    }
    if (prior) {
      db.prepare("UPDATE sources SET status = 'running', path = ?, owner = ?, finished_at = NULL WHERE id = ?").run(s.path, thisOwner(), prior.id);
      return { kind: 'claimed', sourceId: prior.id, resumedFrom: prior.last_record };
    }
    const id = Number(db.prepare(`INSERT INTO sources(path, name, size, sha256, format, options, imported_at, status, owner) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)`)
      .run(s.path, s.name, s.size, s.sha256, s.format, s.options, new Date().toISOString(), thisOwner()).lastInsertRowid);
    return { kind: 'claimed', sourceId: id, resumedFrom: 0 };
  });
}

/** The counters of one source as stored. */
export function sourceCounts(store: Store, sourceId: number): SourceRow | undefined {
  return store.reader.prepare('SELECT id, status, last_record, n_read, n_imported, n_duplicates, n_failed, owner, imported_at FROM sources WHERE id = ?').get(sourceId) as SourceRow | undefined;
}

/** The compound stored for a source's record (and its first occurrence when it is a duplicate). */
export function recordCompound(store: Store, sourceId: number, recordNo: number): { id: number; duplicate_of: number | null } | undefined {
  return store.reader.prepare('SELECT id, duplicate_of FROM compounds WHERE source_id = ? AND record_no = ?').get(sourceId, recordNo) as { id: number; duplicate_of: number | null } | undefined;
}

/** `read`: size and sha256 of the bytes read, when the reader got to the end of the file. */
export function finishSource(store: Store, sourceId: number, status: 'complete' | 'cancelled' | 'failed', read: { size: number; sha256: string } | null = null): Promise<void> {
  return store.write((db) => {
    db.prepare('UPDATE sources SET status = ?, finished_at = ?, size = coalesce(?, size), sha256 = coalesce(?, sha256), owner = NULL WHERE id = ?')
      .run(status, new Date().toISOString(), read?.size ?? null, read?.sha256 ?? null, sourceId);
  });
}

export function logImport(store: Store, params: unknown, result: unknown): Promise<void> {
  return store.write((db) => insertProvenance(db, 'library.import', params, result));
}

/** Folds the WAL back into the main file after a bulk load (it grows to the size of the data). */
export function checkpoint(store: Store): Promise<void> {
  return store.writeOutsideTransaction((db) => {
    db.pragma('wal_checkpoint(TRUNCATE)');
  });
}

/**
 * Makes the stored screen fingerprints match this build's layout: when the project's recorded layout
 * differs, the stored ones are cleared (recomputed by the backfill job). Inside a write transaction.
 */
export function ensureScreenFpVersionTx(db: Db): void {
  const v = db.prepare("SELECT value FROM meta WHERE key = 'screen_fp_version'").pluck().get() as string | undefined;
  if (v === String(SCREEN_FP_VERSION)) return;
  if (v !== undefined) db.exec('UPDATE fingerprints SET screen = NULL');
  db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('screen_fp_version', ?)").run(String(SCREEN_FP_VERSION));
}

export type Item = { rec: RawRecord; bad?: undefined } | { bad: BadRecord; rec?: undefined };

const MAX_REPORTED_FAILURES = 1000;
const EXCERPT_CHARS = 200;

export function excerptOf(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function numericOrNull(v: string): number | null {
  if (v === '' || v.length > 40) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Writes one batch in one transaction, together with the source's counters and high-water mark. */
export class BatchWriter {
  private descIndex: number[];
  private flagIndex: number[];
  private descCols: string[];

  constructor(
    private store: Store,
    private sourceId: number,
    private file: string,
    /** Alert id → alert set name. */
    private alertSet: Map<string, string>,
    /** A record's declared mechanism (normalised targets and pathway, null where none) from its fields. */
    private mechanismOf: (props: Record<string, string>) => { targets: string | null; pathway: string | null; name?: string | null },
  ) {
    // Map the worker's descriptor order onto the schema's columns by name (orders may differ).
    this.descIndex = DESCRIPTOR_COLUMNS_V1.map((c) => DESCRIPTOR_NAMES.indexOf(c));
    this.flagIndex = FLAG_COLUMNS_V1.map((c) => FLAG_NAMES.indexOf(c));
    this.descCols = [...DESCRIPTOR_COLUMNS_V1, ...FLAG_COLUMNS_V1, 'pains_alerts'].map((c) => `"${c}"`);
  }

  write(items: Item[], sent: number[], out: ChemBatchOutput | null, failures: ImportIssue[]): Promise<{ imported: number; duplicates: number; failed: number }> {
    return this.store.write((db) => this.writeTx(db, items, sent, out, failures));
  }

  private stmts: ReturnType<BatchWriter['prepare']> | null = null;

  /** Prepared once, on the writer connection (the only one that writes). */
  private prepare(db: Db) {
    return {
      insCompound: db.prepare(`INSERT OR IGNORE INTO compounds(source_id, record_no, line, name, original, original_format, original_smiles, smiles, identity, standardisation, heavy_atoms, duplicate_of, targets, target_pathway, display_name)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // Likewise a duplicate's display name names its first occurrence when that one has none.
      fillName: db.prepare('UPDATE compounds SET display_name = ? WHERE id = ? AND display_name IS NULL'),
      // A duplicate's declared mechanism reaches its first occurrence when that one declares none (conflicts are noted, not overwritten).
      fillTargets: db.prepare('UPDATE compounds SET targets = ? WHERE id = ? AND targets IS NULL'),
      fillPathway: db.prepare('UPDATE compounds SET target_pathway = ? WHERE id = ? AND target_pathway IS NULL'),
      insDesc: db.prepare(`INSERT INTO descriptors(compound_id, ${this.descCols.join(', ')}) VALUES (${['?', ...this.descCols.map(() => '?')].join(', ')})`),
      insFp: db.prepare('INSERT INTO fingerprints(compound_id, morgan, screen) VALUES (?, ?, ?)'),
      insAlert: db.prepare('INSERT OR IGNORE INTO alerts(compound_id, alert_set, alert_id) VALUES (?, ?, ?)'),
      insProp: db.prepare('INSERT OR REPLACE INTO properties(compound_id, name, value, num) VALUES (?, ?, ?, ?)'),
      insIssue: db.prepare('INSERT OR IGNORE INTO import_issues(source_id, record_no, line, reason, excerpt) VALUES (?, ?, ?, ?, ?)'),
      findIdentity: db.prepare('SELECT id FROM compounds WHERE identity = ? AND duplicate_of IS NULL').pluck(),
      updSource: db.prepare('UPDATE sources SET last_record = max(last_record, ?), n_read = n_read + ?, n_imported = n_imported + ?, n_duplicates = n_duplicates + ?, n_failed = n_failed + ? WHERE id = ?'),
    };
  }

  private writeTx(db: Db, items: Item[], sent: number[], out: ChemBatchOutput | null, failures: ImportIssue[]) {
    const { insCompound, fillTargets, fillPathway, fillName, insDesc, insFp, insAlert, insProp, insIssue, findIdentity, updSource } = (this.stmts ??= this.prepare(db));
    const issue = (recordNo: number, line: number | null, reason: string, excerpt: string | null) => {
      const info = insIssue.run(this.sourceId, recordNo, line, reason, excerpt);
      if (failures.length < MAX_REPORTED_FAILURES) {
        failures.push({ id: Number(info.lastInsertRowid), kind: 'failure', sourceId: this.sourceId, file: this.file, record: recordNo, line, reason, excerpt });
      }
    };
    let imported = 0, duplicates = 0, failed = 0, maxRecord = 0;
    const nd = DESCRIPTOR_NAMES.length;
    const nf = FLAG_NAMES.length;
    const descValues = new Array<number | null>(1 + this.descIndex.length + this.flagIndex.length + 1);
    // Position in the worker output of each item sent.
    const outPos = new Map<number, number>();
    sent.forEach((itemIdx, k) => outPos.set(itemIdx, k));
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (it.bad) {
        maxRecord = Math.max(maxRecord, it.bad.recordNo);
        issue(it.bad.recordNo, it.bad.line, it.bad.reason, it.bad.excerpt);
        failed++;
        continue;
      }
      const rec = it.rec;
      maxRecord = Math.max(maxRecord, rec.recordNo);
      const k = outPos.get(i)!;
      if (!out || !out.ok[k]) {
        issue(rec.recordNo, rec.line, out?.error[k] ?? 'not processed', excerptOf(rec.text));
        failed++;
        continue;
      }
      const identity = out.identity[k];
      const first = findIdentity.get(identity) as number | undefined;
      const mech = this.mechanismOf(rec.props);
      const info = insCompound.run(this.sourceId, rec.recordNo, rec.line, rec.id, rec.text, rec.format, out.originalSmiles[k], out.parentSmiles[k], identity, out.standardisation[k], out.heavyAtoms[k], first ?? null, mech.targets, mech.pathway, mech.name ?? null);
      if (info.changes === 0) continue; // already stored by an earlier, interrupted run
      if (first !== undefined) {
        if (mech.targets) fillTargets.run(mech.targets, first);
        if (mech.pathway) fillPathway.run(mech.pathway, first);
        if (mech.name) fillName.run(mech.name, first);
      }
      const id = Number(info.lastInsertRowid);
      for (const [key, value] of Object.entries(rec.props)) insProp.run(id, key, value, numericOrNull(value));
      if (first !== undefined) {
        duplicates++;
        continue;
      }
      descValues[0] = id;
      for (let j = 0; j < this.descIndex.length; j++) {
        const src = this.descIndex[j];
        const v = src < 0 ? NaN : out.descriptors[k * nd + src];
        descValues[1 + j] = Number.isNaN(v) ? null : v;
      }
      for (let j = 0; j < this.flagIndex.length; j++) {
        const src = this.flagIndex[j];
        const v = src < 0 ? 255 : out.flags[k * nf + src];
        descValues[1 + this.descIndex.length + j] = v === 255 ? null : v;
      }
      const alerts = out.alerts[k];
      descValues[1 + this.descIndex.length + this.flagIndex.length] = alerts ? alerts.filter((a) => this.alertSet.get(a) === 'PAINS').length : null;
      insDesc.run(descValues);
      for (const a of alerts ?? []) insAlert.run(id, this.alertSet.get(a) ?? 'unknown', a);
      // A batch of the model set has no screen fingerprints: NULL, which the project's backfill fills in when it is opened.
      insFp.run(id, Buffer.from(out.fingerprints.buffer, out.fingerprints.byteOffset + k * FP_BYTES, FP_BYTES),
        out.screenFps.length ? Buffer.from(out.screenFps.buffer, out.screenFps.byteOffset + k * SCREEN_FP_BYTES, SCREEN_FP_BYTES) : null);
      imported++;
    }
    updSource.run(maxRecord, items.length, imported, duplicates, failed, this.sourceId);
    return { imported, duplicates, failed };
  }
}
