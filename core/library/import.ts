/**
 * The import pipeline: read (streaming) → batch → RDKit worker pool (standardise, descriptors,
 * fingerprint) → store, one SQLite transaction per batch, committed in file order.
 *
 * Invariants:
 * - every record is accounted for: read = imported + duplicates + failed (per source, in the DB);
 * - a batch is committed together with the source's high-water mark (`last_record`), so after a
 *   crash or a cancel the same import resumes after the last committed record;
 * - a file already imported completely (same sha256) is not imported twice;
 * - a source's size and sha256 are those of the bytes the reader actually read (taken in the same pass);
 *   a file that changed while it was hashed or read is recorded as failed with the reason, never as
 *   complete, so importing it again reads it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImportIssue, ImportRequest, ImportSummary } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import type { ChemBatchOutput } from '../chem/types.js';
import { SCREEN_FP_BYTES } from '../chem/screen-fp.js';
import { DESCRIPTOR_NAMES, FLAG_NAMES, FP_BYTES } from '../chem/types.js';
import { openLibrary } from '../ingest/index.js';
import type { BadRecord, RawRecord } from '../ingest/index.js';
import type { JobContext } from '../jobs.js';
import type { Db } from '../store/db.js';
import { DESCRIPTOR_COLUMNS_V1, FLAG_COLUMNS_V1 } from '../store/migrations/001-initial.js';
import { sha256File } from '../util/hash.js';
import { logProvenance } from './provenance.js';
import { ensureScreenFpVersion } from './substructure.js';
import { alertSets } from './alerts.js';
import { MechanismFields, mechanismNotes } from './mechanism.js';

/** Records per worker message: large enough to amortise messaging, small enough for smooth progress. */
export const BATCH_SIZE = 256;

type Item = { rec: RawRecord; bad?: undefined } | { bad: BadRecord; rec?: undefined };

interface Batch {
  seq: number;
  items: Item[];
  /** Indices into `items` of the records sent to the worker. */
  sent: number[];
  result?: Promise<ChemBatchOutput | null>;
}

interface SourceRow {
  id: number;
  status: string;
  last_record: number;
  n_read: number;
  n_imported: number;
  n_duplicates: number;
  n_failed: number;
}

const MAX_REPORTED_FAILURES = 1000;
const EXCERPT_CHARS = 200;

export async function importLibrary(db: Db, pool: ChemPool, req: ImportRequest, job: JobContext): Promise<ImportSummary> {
  const t0 = performance.now();
  const summary: ImportSummary = { files: [], read: 0, imported: 0, duplicates: 0, failed: 0, failures: [], notes: [], cancelled: false, seconds: 0 };
  for (const file of req.files) {
    if (job.signal.aborted) break;
    let r: ImportSummary['files'][number];
    try {
      r = await importOne(db, pool, file, req, job, summary.failures, summary.notes);
    } catch (err) {
      if (job.signal.aborted) break;
      // One unreadable file does not stop the others; it is reported with the reason.
      r = { file, sourceId: 0, read: 0, imported: 0, duplicates: 0, failed: 0, resumedFrom: 0, skippedAsAlreadyImported: false, error: (err as Error).message };
    }
    summary.files.push(r);
    summary.read += r.read;
    summary.imported += r.imported;
    summary.duplicates += r.duplicates;
    summary.failed += r.failed;
  }
  summary.cancelled = job.signal.aborted;
  summary.seconds = (performance.now() - t0) / 1000;
  logProvenance(db, 'library.import', req, {
    read: summary.read, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed,
    cancelled: summary.cancelled, seconds: summary.seconds, files: summary.files.map((f) => ({ file: f.file, sourceId: f.sourceId, resumedFrom: f.resumedFrom })),
  });
  return summary;
}

async function importOne(db: Db, pool: ChemPool, file: string, req: ImportRequest, job: JobContext, failures: ImportIssue[], notes: ImportIssue[]): Promise<ImportSummary['files'][number]> {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new ApiError('BAD_FILE', `${file}: no such file`);
  }
  if (!stat.isFile()) throw new ApiError('BAD_FILE', `${file}: not a regular file`);

  const name = path.basename(abs);
  const sha = await sha256File(abs, (n) => job.progress(`hash ${name}`, n, stat.size), job.signal);
  // The mechanism columns enter the options only when named, so a source recorded before they existed still resumes.
  const options = JSON.stringify({
    smilesColumn: req.smilesColumn ?? null, idColumn: req.idColumn ?? null, format: req.format ?? null,
    ...(req.targetsColumn ? { targetsColumn: req.targetsColumn } : {}), ...(req.pathwayColumn ? { pathwayColumn: req.pathwayColumn } : {}),
  });

  // The same content imported before: resume an interrupted run, or skip a finished one.
  const prior = db.prepare('SELECT id, status, last_record, n_read, n_imported, n_duplicates, n_failed FROM sources WHERE sha256 = ? AND options = ? ORDER BY id DESC LIMIT 1').get(sha, options) as SourceRow | undefined;
  if (prior?.status === 'complete') {
    return { file, sourceId: prior.id, read: 0, imported: 0, duplicates: 0, failed: 0, resumedFrom: prior.last_record, skippedAsAlreadyImported: true, error: null };
  }

  const reader = await openLibrary(abs, {
    format: req.format, smilesColumn: req.smilesColumn, idColumn: req.idColumn, signal: job.signal,
    startAfterRecord: prior?.last_record ?? 0,
    onBytes: (b, total) => { bytes = b; totalBytes = total; },
  });
  let bytes = 0;
  let totalBytes = stat.size;
  const named = { targets: req.targetsColumn, pathway: req.pathwayColumn };
  const mechanism = new MechanismFields(named);
  // A table's columns are known up front: a named mechanism column that is not there is an error, as for --smiles-column.
  if (reader.columns) {
    const f = mechanism.resolve(reader.columns.all);
    for (const [what, name, got] of [['targets', named.targets, f.targets], ['pathway', named.pathway, f.pathway]] as const) {
      if (name && !got) throw new ApiError('BAD_FILE', `${file}: no column '${name}' for the ${what} (columns: ${reader.columns.all.join(', ')})`);
    }
  }

  let sourceId: number;
  const now = new Date().toISOString();
  if (prior) {
    sourceId = prior.id;
    db.prepare("UPDATE sources SET status = 'running', path = ? WHERE id = ?").run(abs, sourceId);
  } else {
    sourceId = Number(db.prepare(`INSERT INTO sources(path, name, size, sha256, format, options, imported_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`)
      .run(abs, name, stat.size, sha, reader.format, options, now).lastInsertRowid);
  }
  const resumedFrom = prior?.last_record ?? 0;
  const counts = { read: 0, imported: 0, duplicates: 0, failed: 0 };
  const writer = new BatchWriter(db, sourceId, file, mechanism);

  const inFlight: Batch[] = [];
  const maxInFlight = pool.threads * 2;
  let seq = 0;
  let current: Batch = { seq: seq++, items: [], sent: [] };
  const stage = `import ${name}`;

  const dispatch = (b: Batch) => {
    if (b.sent.length > 0) {
      const texts = new Array<string>(b.sent.length);
      const molblock = new Uint8Array(b.sent.length);
      for (let i = 0; i < b.sent.length; i++) {
        const rec = b.items[b.sent[i]].rec!;
        texts[i] = rec.text;
        molblock[i] = rec.format === 'molblock' ? 1 : 0;
      }
      b.result = pool.process({ texts, molblock }, job.signal);
      // Rejections are awaited (and reported) in order below; avoid an unhandled rejection meanwhile.
      b.result.catch(() => undefined);
    } else {
      b.result = Promise.resolve(null);
    }
    inFlight.push(b);
  };

  const commitOldest = async () => {
    const b = inFlight.shift()!;
    let out: ChemBatchOutput | null;
    try {
      out = await b.result!;
    } catch (err) {
      if (job.signal.aborted) throw err;
      // The pool replaces a failed worker; the records of this batch are reported, not lost silently.
      out = null;
      const reason = `chemistry worker failed on this batch: ${(err as Error).message}`;
      for (const i of b.sent) b.items[i] = { bad: { recordNo: b.items[i].rec!.recordNo, line: b.items[i].rec!.line, reason, excerpt: excerptOf(b.items[i].rec!.text) } };
      b.sent = [];
    }
    const c = writer.write(b.items, b.sent, out, failures);
    counts.read += b.items.length;
    counts.imported += c.imported;
    counts.duplicates += c.duplicates;
    counts.failed += c.failed;
    // The reader runs ahead of the workers: extrapolate its record count over the bytes left.
    const total = readerDone ? yielded : bytes > 0 ? Math.max(yielded, Math.round((yielded * totalBytes) / bytes)) : null;
    job.progress(stage, counts.read, total);
  };

  let status: 'complete' | 'cancelled' | 'failed' = 'complete';
  let yielded = 0;
  let readerDone = false;
  try {
    for await (const item of reader.records) {
      if (job.signal.aborted) break;
      yielded++;
      if (item.ok) {
        current.sent.push(current.items.length);
        current.items.push({ rec: item.rec });
      } else {
        current.items.push({ bad: item.bad });
      }
      if (current.items.length >= BATCH_SIZE) {
        dispatch(current);
        current = { seq: seq++, items: [], sent: [] };
        while (inFlight.length >= maxInFlight) await commitOldest();
      }
    }
    readerDone = !job.signal.aborted;
    if (!job.signal.aborted && current.items.length > 0) dispatch(current);
    while (inFlight.length > 0 && !job.signal.aborted) await commitOldest();
    if (job.signal.aborted) status = 'cancelled';
  } catch (err) {
    status = job.signal.aborted ? 'cancelled' : 'failed';
    if (status === 'failed') {
      writer.finish(status);
      throw err instanceof ApiError ? err : new ApiError('BAD_FILE', `${file}: ${(err as Error).message}`);
    }
  } finally {
    // Whatever was in flight when cancelled is simply not committed; a resumed import redoes it.
    for (const b of inFlight) b.result?.catch(() => undefined);
  }
  // Read to the end: the bytes read must be the bytes hashed before (which found the prior run) and must not
  // have moved meanwhile; otherwise the records stored are of some other content, and the source says so.
  const src = reader.source;
  let changed: string | null = null;
  if (status === 'complete' && src.sha256 !== null) {
    changed = src.changed ?? (src.sha256 !== sha ? `${file} changed between hashing it (sha256 ${sha}) and reading it (sha256 ${src.sha256})` : null);
    if (changed) status = 'failed';
  }
  writer.finish(status, src.sha256 !== null ? { size: src.bytes, sha256: src.sha256 } : null);
  writer.writeNotes(mechanismNotes(db, sourceId, mechanism, named), notes);
  // Bulk loads grow the WAL to the size of the data; fold it back into the main file.
  db.pragma('wal_checkpoint(TRUNCATE)');
  const error = changed ? `changed during import, not complete: ${changed}; import it again once it no longer changes` : null;
  return { file, sourceId, ...counts, resumedFrom, skippedAsAlreadyImported: false, error };
}

function excerptOf(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

function numericOrNull(v: string): number | null {
  if (v === '' || v.length > 40) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Writes one batch in one transaction, together with the source's counters and high-water mark. */
class BatchWriter {
  private insCompound;
  private insDesc;
  private insFp;
  private insProp;
  private insAlert;
  private alertSet = alertSets();
  private insIssue;
  private findIdentity;
  private updSource;
  private finishSource;
  private fillTargets;
  private fillPathway;
  private clearNotes;
  private insNote;
  private descIndex: number[];
  private flagIndex: number[];
  private tx;

  constructor(
    private db: Db,
    private sourceId: number,
    private file: string,
    private mechanism: MechanismFields,
  ) {
    // Map the worker's descriptor order onto the schema's columns by name (orders may differ).
    this.descIndex = DESCRIPTOR_COLUMNS_V1.map((c) => DESCRIPTOR_NAMES.indexOf(c));
    this.flagIndex = FLAG_COLUMNS_V1.map((c) => FLAG_NAMES.indexOf(c));
    const descCols = [...DESCRIPTOR_COLUMNS_V1, ...FLAG_COLUMNS_V1, 'pains_alerts'].map((c) => `"${c}"`);
    this.insCompound = db.prepare(`INSERT OR IGNORE INTO compounds(source_id, record_no, line, name, original, original_format, original_smiles, smiles, identity, standardisation, heavy_atoms, duplicate_of, targets, target_pathway)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // A duplicate's declared mechanism reaches its first occurrence when that one declares none (conflicts are noted, not overwritten).
    this.fillTargets = db.prepare('UPDATE compounds SET targets = ? WHERE id = ? AND targets IS NULL');
    this.fillPathway = db.prepare('UPDATE compounds SET target_pathway = ? WHERE id = ? AND target_pathway IS NULL');
    this.clearNotes = db.prepare("DELETE FROM import_issues WHERE source_id = ? AND kind = 'note'");
    this.insNote = db.prepare("INSERT INTO import_issues(source_id, record_no, line, reason, excerpt, kind) VALUES (?, ?, ?, ?, NULL, 'note')");
    this.insDesc = db.prepare(`INSERT INTO descriptors(compound_id, ${descCols.join(', ')}) VALUES (${['?', ...descCols.map(() => '?')].join(', ')})`);
    ensureScreenFpVersion(db);
    this.insFp = db.prepare('INSERT INTO fingerprints(compound_id, morgan, screen) VALUES (?, ?, ?)');
    this.insAlert = db.prepare('INSERT OR IGNORE INTO alerts(compound_id, alert_set, alert_id) VALUES (?, ?, ?)');
    this.insProp = db.prepare('INSERT OR REPLACE INTO properties(compound_id, name, value, num) VALUES (?, ?, ?, ?)');
    this.insIssue = db.prepare('INSERT OR IGNORE INTO import_issues(source_id, record_no, line, reason, excerpt) VALUES (?, ?, ?, ?, ?)');
    this.findIdentity = db.prepare('SELECT id FROM compounds WHERE identity = ? AND duplicate_of IS NULL').pluck();
    this.updSource = db.prepare(`UPDATE sources SET last_record = max(last_record, ?), n_read = n_read + ?, n_imported = n_imported + ?, n_duplicates = n_duplicates + ?, n_failed = n_failed + ? WHERE id = ?`);
    this.finishSource = db.prepare('UPDATE sources SET status = ?, finished_at = ?, size = coalesce(?, size), sha256 = coalesce(?, sha256) WHERE id = ?');
    this.tx = db.transaction((items: Item[], sent: number[], out: ChemBatchOutput | null, failures: ImportIssue[]) => this.writeTx(items, sent, out, failures));
  }

  write(items: Item[], sent: number[], out: ChemBatchOutput | null, failures: ImportIssue[]) {
    return this.tx(items, sent, out, failures) as { imported: number; duplicates: number; failed: number };
  }

  /** `read`: size and sha256 of the bytes read, when the reader got to the end of the file. */
  finish(status: 'complete' | 'cancelled' | 'failed', read: { size: number; sha256: string } | null = null) {
    this.finishSource.run(status, new Date().toISOString(), read?.size ?? null, read?.sha256 ?? null, this.sourceId);
  }

  /** Replace this source's notes (recomputed over everything it stored, so a resumed import reports the whole file). */
  writeNotes(rows: { recordNo: number; line: number | null; reason: string }[], notes: ImportIssue[]) {
    this.db.transaction(() => {
      this.clearNotes.run(this.sourceId);
      for (const r of rows) {
        const info = this.insNote.run(this.sourceId, r.recordNo, r.line, r.reason);
        if (notes.length < MAX_REPORTED_FAILURES) notes.push({ id: Number(info.lastInsertRowid), kind: 'note', sourceId: this.sourceId, file: this.file, record: r.recordNo, line: r.line, reason: r.reason, excerpt: null });
      }
    }).immediate();
  }

  private issue(recordNo: number, line: number | null, reason: string, excerpt: string | null, failures: ImportIssue[]) {
    const info = this.insIssue.run(this.sourceId, recordNo, line, reason, excerpt);
    if (failures.length < MAX_REPORTED_FAILURES) {
      failures.push({ id: Number(info.lastInsertRowid), kind: 'failure', sourceId: this.sourceId, file: this.file, record: recordNo, line, reason, excerpt });
    }
  }

  private writeTx(items: Item[], sent: number[], out: ChemBatchOutput | null, failures: ImportIssue[]) {
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
        this.issue(it.bad.recordNo, it.bad.line, it.bad.reason, it.bad.excerpt, failures);
        failed++;
        continue;
      }
      const rec = it.rec;
      maxRecord = Math.max(maxRecord, rec.recordNo);
      const k = outPos.get(i)!;
      if (!out || !out.ok[k]) {
        this.issue(rec.recordNo, rec.line, out?.error[k] ?? 'not processed', excerptOf(rec.text), failures);
        failed++;
        continue;
      }
      const identity = out.identity[k];
      const first = this.findIdentity.get(identity) as number | undefined;
      const mech = this.mechanism.read(rec.props);
      const info = this.insCompound.run(this.sourceId, rec.recordNo, rec.line, rec.id, rec.text, rec.format, out.originalSmiles[k], out.parentSmiles[k], identity, out.standardisation[k], out.heavyAtoms[k], first ?? null, mech.targets, mech.pathway);
      if (info.changes === 0) continue; // already stored by an earlier, interrupted run
      if (first !== undefined) {
        if (mech.targets) this.fillTargets.run(mech.targets, first);
        if (mech.pathway) this.fillPathway.run(mech.pathway, first);
      }
      const id = Number(info.lastInsertRowid);
      for (const [key, value] of Object.entries(rec.props)) this.insProp.run(id, key, value, numericOrNull(value));
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
      this.insDesc.run(descValues);
      for (const a of alerts ?? []) this.insAlert.run(id, this.alertSet.get(a) ?? 'unknown', a);
      this.insFp.run(id, Buffer.from(out.fingerprints.buffer, out.fingerprints.byteOffset + k * FP_BYTES, FP_BYTES),
        Buffer.from(out.screenFps.buffer, out.screenFps.byteOffset + k * SCREEN_FP_BYTES, SCREEN_FP_BYTES));
      imported++;
    }
    this.updSource.run(maxRecord, items.length, imported, duplicates, failed, this.sourceId);
    return { imported, duplicates, failed };
  }
}
