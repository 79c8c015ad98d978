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
import { openLibrary } from '../ingest/index.js';
import type { JobContext, OverallProgress } from '../jobs.js';
import { BatchWriter, checkpoint, claimSource, excerptOf, finishSource, logImport, priorSource } from '../store/sources.js';
import type { Item } from '../store/sources.js';
import type { Store } from '../store/store.js';
import { sha256File } from '../util/hash.js';
import { alertSets } from './alerts.js';
import { MechanismFields, writeMechanismNotes } from './mechanism.js';
import { NameFields } from './names.js';

/** Records per worker message: large enough to amortise messaging, small enough for smooth progress. */
export const BATCH_SIZE = 256;

interface Batch {
  seq: number;
  items: Item[];
  /** Indices into `items` of the records sent to the worker. */
  sent: number[];
  result?: Promise<ChemBatchOutput | null>;
}

export async function importLibrary(store: Store, pool: ChemPool, req: ImportRequest, job: JobContext): Promise<ImportSummary> {
  const t0 = performance.now();
  const summary: ImportSummary = { files: [], read: 0, imported: 0, duplicates: 0, failed: 0, failures: [], notes: [], cancelled: false, seconds: 0 };
  // Progress across files: records over every file so far, and the share of all files' bytes read.
  const sizes = req.files.map((f) => {
    try {
      const st = fs.statSync(path.resolve(f));
      return st.isFile() ? st.size : 0;
    } catch {
      return 0;
    }
  });
  const allBytes = sizes.reduce((a, b) => a + b, 0);
  let bytesBefore = 0;
  for (const [i, file] of req.files.entries()) {
    if (job.signal.aborted) break;
    const overall: Overall = (records, fileFraction) => ({
      item: i + 1, items: req.files.length, itemName: path.basename(file), done: summary.read + records,
      fraction: allBytes > 0 ? Math.min(1, (bytesBefore + sizes[i] * Math.min(1, Math.max(0, fileFraction))) / allBytes) : null,
    });
    job.progress(`open ${path.basename(file)}`, 0, null, undefined, overall(0, 0));
    let r: ImportSummary['files'][number];
    try {
      r = await importOne(store, pool, file, req, job, summary.failures, summary.notes, overall);
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
    bytesBefore += sizes[i];
  }
  summary.cancelled = job.signal.aborted;
  summary.seconds = (performance.now() - t0) / 1000;
  await logImport(store, req, {
    read: summary.read, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed,
    cancelled: summary.cancelled, seconds: summary.seconds, files: summary.files.map((f) => ({ file: f.file, sourceId: f.sourceId, resumedFrom: f.resumedFrom })),
  });
  return summary;
}

/**
 * The error an import ends with when a file could not be read or stopped part-way (missing, no structure
 * column, unknown format, changed while read): every such file's reason, each naming its file. null when
 * every file was imported (or skipped as imported before), or when the import was cancelled.
 */
export function importFailure(summary: ImportSummary): ApiError | null {
  const failed = summary.files.filter((f) => f.error);
  if (summary.cancelled || failed.length === 0) return null;
  const reasons = failed.map((f) => f.error).join('; ');
  const n = summary.files.length;
  return new ApiError('BAD_FILE', n === 1 ? reasons : `${failed.length} of ${n} files could not be imported: ${reasons}`);
}

/** Progress across the files of one import, given the records done in this file and the share of it read. */
type Overall = (records: number, fileFraction: number) => OverallProgress;

async function importOne(store: Store, pool: ChemPool, file: string, req: ImportRequest, job: JobContext, failures: ImportIssue[], notes: ImportIssue[], overall: Overall): Promise<ImportSummary['files'][number]> {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new ApiError('BAD_FILE', `${file}: no such file`);
  }
  if (!stat.isFile()) throw new ApiError('BAD_FILE', `${file}: not a regular file`);

  const name = path.basename(abs);
  const sha = await sha256File(abs, (n) => job.progress(`hash ${name}`, n, stat.size, undefined, overall(0, 0)), job.signal);
  // The mechanism columns enter the options only when named, so a source recorded before they existed still resumes.
  const options = JSON.stringify({
    smilesColumn: req.smilesColumn ?? null, idColumn: req.idColumn ?? null, format: req.format ?? null,
    ...(req.targetsColumn ? { targetsColumn: req.targetsColumn } : {}), ...(req.pathwayColumn ? { pathwayColumn: req.pathwayColumn } : {}),
    ...(req.nameColumn ? { nameColumn: req.nameColumn } : {}),
  });

  // The same content imported before: resume an interrupted run, or skip a finished one.
  const prior = priorSource(store, sha, options);
  if (prior?.status === 'complete') {
    return { file, sourceId: prior.id, read: 0, imported: 0, duplicates: 0, failed: 0, resumedFrom: prior.last_record, skippedAsAlreadyImported: true, error: null };
  }

  const reader = await openLibrary(abs, {
    format: req.format, smilesColumn: req.smilesColumn, idColumn: req.idColumn, nameColumn: req.nameColumn, signal: job.signal,
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

  // Claimed in one immediate transaction: a second importer of the same content (another tab, another
  // process) is refused while this one runs, so the source's counters always add up.
  // (The reader's records are read lazily: nothing is open until the loop below starts.)
  const claim = await claimSource(store, file, { path: abs, name, size: stat.size, sha256: sha, format: reader.format, options, expectedLast: prior?.last_record ?? 0 });
  if (claim.kind === 'complete') {
    return { file, sourceId: claim.prior.id, read: 0, imported: 0, duplicates: 0, failed: 0, resumedFrom: claim.prior.last_record, skippedAsAlreadyImported: true, error: null };
  }
  const { sourceId, resumedFrom } = claim;
  const counts = { read: 0, imported: 0, duplicates: 0, failed: 0 };
  const names = new NameFields(req.nameColumn);
  const writer = new BatchWriter(store, sourceId, file, alertSets(), (props) => ({ ...mechanism.read(props), name: names.read(props) }));

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
      b.result = pool.process({ texts, molblock, set: req.descriptors ?? 'all' }, job.signal);
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
    const c = await writer.write(b.items, b.sent, out, failures);
    counts.read += b.items.length;
    counts.imported += c.imported;
    counts.duplicates += c.duplicates;
    counts.failed += c.failed;
    // The reader runs ahead of the workers: extrapolate its record count over the bytes left.
    const total = readerDone ? yielded : bytes > 0 ? Math.max(yielded, Math.round((yielded * totalBytes) / bytes)) : null;
    job.progress(stage, counts.read, total, undefined, overall(counts.read, readerDone && inFlight.length === 0 ? 1 : totalBytes > 0 ? bytes / totalBytes : 0));
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
      await finishSource(store, sourceId, status);
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
  await finishSource(store, sourceId, status, src.sha256 !== null ? { size: src.bytes, sha256: src.sha256 } : null);
  await writeMechanismNotes(store, sourceId, file, mechanism, named, notes);
  await checkpoint(store);
  const error = changed ? `changed during import, not complete: ${changed}; import it again once it no longer changes` : null;
  return { file, sourceId, ...counts, resumedFrom, skippedAsAlreadyImported: false, error };
}
