/**
 * A lab's measurements file: CSV or TSV with a header, one measurement per row.
 *
 * Columns (by name, case-insensitive): `compound_id` (also `compound`, `id`), `sample_id` (also
 * `sample`, `cell_line`, `cosmic_id`), and the value either in `value` with the unit in a `unit`
 * column (per row), or in a column named after its unit (`ln_ic50`, `ic50_uM`, `ic50_nM`, `pic50`, …;
 * see units.ts). Every value is converted to ln IC50 (µM). A bad row (unknown cell line, value not a
 * number, unit not accepted, concentration ≤ 0) is reported with its line and reason and skipped;
 * the good rows are kept. Replicates (same compound and line) are kept as given; `calibrate` averages
 * them.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ApiError } from '../api/errors.js';
import { lineResolver, type LineResolver } from './lines.js';
import { parseUnit, toLnIc50, unitList, type MeasureUnit } from './units.js';

export interface Measurement {
  compoundId: string;
  /** Panel sample id (COSMIC id for the reference panel). */
  sampleId: string;
  /** Index into the panel's samples. */
  sample: number;
  lnIc50: number;
  /** As written in the file, for provenance. */
  raw: { value: string; unit: MeasureUnit };
  line: number;
}

export interface MeasureIssue {
  line: number;
  reason: string;
}

export interface MeasureFile {
  file: string;
  measurements: Measurement[];
  issues: MeasureIssue[];
  /** Data rows read (good + bad). */
  rows: number;
}

const COMPOUND_COLS = ['compound_id', 'compound', 'id', 'compound id'];
const SAMPLE_COLS = ['sample_id', 'sample', 'cell_line', 'cell line', 'cell_line_name', 'cosmic_id', 'sample id'];

function findCol(header: string[], names: readonly string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  for (const n of names) {
    const i = lower.indexOf(n);
    if (i >= 0) return i;
  }
  return -1;
}

/** Parses measurements from text (`file` names the source in messages). */
export function parseMeasurements(text: string, file: string, resolver: LineResolver = lineResolver()): MeasureFile {
  const name = basename(file);
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parse(text, { delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (err) {
    throw new ApiError('INVALID_INPUT', `${name}: not a readable CSV/TSV: ${(err as Error).message}`, { file });
  }
  if (records.length === 0) throw new ApiError('INVALID_INPUT', `${name}: the file is empty (expected a header: compound_id, sample_id, value, unit)`, { file });
  const header = records[0];
  const cCol = findCol(header, COMPOUND_COLS);
  const sCol = findCol(header, SAMPLE_COLS);
  const vCol = findCol(header, ['value']);
  const uCol = findCol(header, ['unit', 'units']);
  // A column named after its unit, when there is no value column.
  let unitCol = -1;
  let fixedUnit: MeasureUnit | null = null;
  if (vCol < 0) {
    for (let c = 0; c < header.length; c++) {
      const u = parseUnit(header[c]);
      if (u) {
        unitCol = c;
        fixedUnit = u;
        break;
      }
    }
  }
  const missing: string[] = [];
  if (cCol < 0) missing.push('compound_id');
  if (sCol < 0) missing.push('sample_id');
  if (vCol < 0 && unitCol < 0) missing.push(`value (with a unit column) or a column named after its unit (${unitList()})`);
  if (vCol >= 0 && uCol < 0) missing.push(`unit (one of ${unitList()})`);
  if (missing.length) throw new ApiError('INVALID_INPUT', `${name}: the header (${header.join(', ')}) has no ${missing.join(', no ')}`, { file });

  const measurements: Measurement[] = [];
  const issues: MeasureIssue[] = [];
  const valueCol = vCol >= 0 ? vCol : unitCol;
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const line = r + 1;
    const compoundId = (rec[cCol] ?? '').trim();
    const sampleRaw = (rec[sCol] ?? '').trim();
    const valueRaw = (rec[valueCol] ?? '').trim();
    if (!compoundId) {
      issues.push({ line, reason: 'no compound id' });
      continue;
    }
    const sample = resolver.resolve(sampleRaw);
    if (sample === null) {
      const near = resolver.suggest(sampleRaw);
      issues.push({ line, reason: `cell line ${JSON.stringify(sampleRaw)} is not in the reference panel${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}` });
      continue;
    }
    let unit = fixedUnit;
    if (!unit) {
      const u = (rec[uCol] ?? '').trim();
      unit = parseUnit(u);
      if (!unit) {
        issues.push({ line, reason: `unit ${JSON.stringify(u)} is not one Strata converts (accepted: ${unitList()})` });
        continue;
      }
    }
    const num = valueRaw === '' ? NaN : Number(valueRaw);
    if (!Number.isFinite(num)) {
      issues.push({ line, reason: `value ${JSON.stringify(valueRaw)} is not a number` });
      continue;
    }
    const ln = toLnIc50(num, unit);
    if (ln === null) {
      issues.push({ line, reason: `value ${valueRaw} is not a valid ${unit} (a concentration must be > 0)` });
      continue;
    }
    measurements.push({ compoundId, sampleId: resolver.panel.samples[sample], sample, lnIc50: ln, raw: { value: valueRaw, unit }, line });
  }
  return { file, measurements, issues, rows: records.length - 1 };
}

export function readMeasurements(file: string, resolver?: LineResolver): MeasureFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ApiError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT', `${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, { file });
  }
  return parseMeasurements(text, file, resolver);
}
