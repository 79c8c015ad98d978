/**
 * A shared server does not echo back the contents of files that are not chemistry. Importing a
 * text file (a config, a key, a password file inside a data folder) would otherwise return its
 * lines one by one as "SMILES Parse Error: … 'root:x:0:0:…'" in the import report. So in proxy
 * mode, the failures of a source from which not a single record was read as a structure lose
 * their excerpt and every word of the record; the record number, line and the kind of error stay.
 * Sources that did yield structures keep their full messages (a chemist needs them to fix a file).
 */
import type { ImportIssue, ImportSummary, JobState, Page } from '../api/contract.js';

export const WITHHELD = 'record text withheld: nothing in this file was read as a structure, and a shared server does not echo other files back';

/** "SMILES Parse Error" from "SMILES Parse Error: syntax error while parsing: root:x:0:0…". */
function kindOf(reason: string): string {
  const head = reason.split(':')[0].trim();
  return /^[A-Za-z][A-Za-z0-9 ()-]{0,60}$/.test(head) && head !== reason.trim() ? head : 'record could not be read';
}

export function redactIssue(i: ImportIssue): ImportIssue {
  return { ...i, excerpt: null, reason: `${kindOf(i.reason)} (${WITHHELD})` };
}

/** Sources (by id) from which at least one record was stored. */
export type ReadableSources = (sourceId: number) => boolean;

export function redactReport(page: Page<ImportIssue>, readable: ReadableSources): Page<ImportIssue> {
  return { ...page, rows: page.rows.map((r) => (readable(r.sourceId) ? r : redactIssue(r))) };
}

export function redactSummary(s: ImportSummary): ImportSummary {
  const ok = new Set(s.files.filter((f) => f.imported + f.duplicates + f.resumedFrom > 0 || f.skippedAsAlreadyImported).map((f) => f.sourceId));
  return {
    ...s,
    files: s.files.map((f) => (ok.has(f.sourceId) || !f.error ? f : { ...f, error: 'the file could not be read as a compound library (details withheld on a shared server)' })),
    failures: s.failures.map((i) => (ok.has(i.sourceId) ? i : redactIssue(i))),
  };
}

function isSummary(v: unknown): v is ImportSummary {
  return typeof v === 'object' && v !== null && Array.isArray((v as ImportSummary).files) && Array.isArray((v as ImportSummary).failures);
}

export function redactJob(j: JobState): JobState {
  return j.kind === 'import' && isSummary(j.result) ? { ...j, result: redactSummary(j.result) } : j;
}
