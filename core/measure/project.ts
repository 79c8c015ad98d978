/**
 * A lab's measurements in a project: `measure.import` (a file's rows matched to the project's compounds
 * and the reference panel's lines, stored with their provenance), `measure.list`, `measure.delete`.
 *
 * A file's compound_id is matched to the project's compounds as a person writes it: the external id
 * (`name`, the id column or SDF title) or the display name, exactly, then case-insensitively, then
 * case-, space- and punctuation-insensitively (`alnumKey`, as for cell-line names). Each id stands for
 * its structure (first occurrence): measurements of a duplicate belong to its first occurrence. An id
 * matching no compound, or two different structures, is a bad row (file, line, reason, closest names);
 * the good rows are stored. Re-importing a file (same sha256) stores nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { MeasureImportResult, MeasuredLine } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { compoundNames, deleteMeasurements, insertMeasurements, measureFileBySha, measurementsOf, structuresNamed, type NewMeasurement } from '../store/measurements.js';
import type { Store } from '../store/store.js';
import { closest } from '../subgroups/index.js';
import { alnumKey } from '../util/keys.js';
import { lineResolver, type LineResolver } from './lines.js';
import { parseMeasurements } from './read.js';

/** Structure id per file compound id; `null` with a reason when the id cannot be used. */
function matchCompounds(store: Store, ids: readonly string[]): Map<string, number | { reason: string }> {
  const out = new Map<string, number | { reason: string }>();
  const left: string[] = [];
  for (const id of ids) {
    const s = structuresNamed(store, id);
    if (s.length === 1) out.set(id, s[0]);
    else if (s.length > 1) out.set(id, { reason: `compound ${JSON.stringify(id)} names ${s.length} different structures of the project (ids ${s.join(', ')}): use an id that names one` });
    else left.push(id);
  }
  if (left.length === 0) return out;
  // Loose match of the rest, in one pass over the project's names.
  const want = new Map(left.map((id) => [alnumKey(id), id]));
  const found = new Map<string, Set<number>>();
  const names = new Set<string>();
  for (const r of compoundNames(store)) {
    for (const n of [r.name, r.display_name]) {
      if (!n) continue;
      if (names.size < 200_000) names.add(n);
      const k = alnumKey(n);
      if (want.has(k)) {
        const set = found.get(k) ?? new Set<number>();
        set.add(r.s);
        found.set(k, set);
      }
    }
  }
  const all = [...names];
  for (const [k, id] of want) {
    const s = [...(found.get(k) ?? [])];
    if (s.length === 1) out.set(id, s[0]);
    else if (s.length > 1) out.set(id, { reason: `compound ${JSON.stringify(id)} names ${s.length} different structures of the project (ids ${s.slice(0, 5).join(', ')}): use an id that names one` });
    else {
      const near = closest(id, all, 3);
      out.set(id, { reason: `compound ${JSON.stringify(id)} is not in the project${near.length ? ` (closest: ${near.join(', ')})` : ''}` });
    }
  }
  return out;
}

export async function importMeasurementFile(store: Store, file: string, resolver: LineResolver = lineResolver()): Promise<MeasureImportResult> {
  const name = basename(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ApiError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT', `${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { file });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const already = measureFileBySha(store, sha256);
  if (already) {
    return { file: name, sha256, rows: already.n_rows, stored: 0, skippedAsAlreadyImported: true, compounds: 0, lines: 0, issues: [] };
  }
  const parsed = parseMeasurements(bytes.toString('utf8'), file, resolver);
  const issues = parsed.issues.map((i) => ({ file: name, line: i.line, reason: i.reason }));
  const match = matchCompounds(store, [...new Set(parsed.measurements.map((m) => m.compoundId))]);
  const rows: NewMeasurement[] = [];
  for (const m of parsed.measurements) {
    const s = match.get(m.compoundId)!;
    if (typeof s !== 'number') {
      issues.push({ file: name, line: m.line, reason: s.reason });
      continue;
    }
    rows.push({ compoundId: s, sampleId: m.sampleId, lnIc50: m.lnIc50, value: m.raw.value, unit: m.raw.unit, rowNo: m.line });
  }
  issues.sort((a, b) => a.line - b.line);
  const compounds = new Set(rows.map((r) => r.compoundId)).size;
  const lines = new Set(rows.map((r) => r.sampleId)).size;
  const r = await insertMeasurements(store, { name, sha256, rows: parsed.rows, issues: issues.length }, rows, {
    params: { file: name, sha256 }, result: { rows: parsed.rows, stored: rows.length, issues: issues.length, compounds, lines },
  });
  if (r.fileId === null) return { file: name, sha256, rows: parsed.rows, stored: 0, skippedAsAlreadyImported: true, compounds: 0, lines: 0, issues: [] };
  return { file: name, sha256, rows: parsed.rows, stored: r.stored, skippedAsAlreadyImported: false, compounds, lines, issues };
}

/** The mean in ln of each line's replicates, in first-seen line order. */
export function lineMeans(list: readonly { sampleId: string; lnIc50: number }[]): Map<string, number> {
  const sums = new Map<string, [number, number]>();
  for (const m of list) {
    const t = sums.get(m.sampleId) ?? [0, 0];
    sums.set(m.sampleId, [t[0] + m.lnIc50, t[1] + 1]);
  }
  return new Map([...sums].map(([s, [sum, n]]) => [s, sum / n]));
}

/**
 * One structure's measurements grouped by line: every replicate with its provenance, and their mean in ln
 * (what calibration uses; the noise of a mean of r replicates is the single-measurement noise / r).
 */
export function measuredLines(store: Store, structureId: number, resolver: LineResolver = lineResolver()): MeasuredLine[] {
  const byLine = new Map<string, MeasuredLine>();
  for (const r of measurementsOf(store, structureId)) {
    let l = byLine.get(r.sample_id);
    if (!l) {
      const i = resolver.resolve(r.sample_id);
      l = { sampleId: r.sample_id, lineName: i === null ? null : (resolver.panel.sampleNames[i] ?? null), lnIc50: 0, replicates: [] };
      byLine.set(r.sample_id, l);
    }
    l.replicates.push({ id: r.id, lnIc50: r.ln_ic50, value: r.value, unit: r.unit, file: r.file, sha256: r.sha256, row: r.row_no, importedAt: r.imported_at });
  }
  for (const l of byLine.values()) l.lnIc50 = l.replicates.reduce((s, x) => s + x.lnIc50, 0) / l.replicates.length;
  return [...byLine.values()];
}

export function deleteMeasured(store: Store, by: { ids?: number[]; compoundId?: number; sampleId?: string }): Promise<number> {
  if (!by.ids?.length && by.compoundId == null) throw new ApiError('INVALID_INPUT', 'measure.delete needs ids, or a compoundId (and optionally a sampleId)');
  return deleteMeasurements(store, by);
}
