/**
 * The sample sheet: tissue and MSI status per sample (CSV or TSV with a header; columns by name:
 * sample id `sample`/`sample_id`/`id`/`Tumor_Sample_Barcode`, `tissue`/`TISSUE_FACTOR`,
 * `msi`/`msi_status`/`MSI_FACTOR`). Tissues are matched to the reference panel's TISSUE_FACTOR labels
 * case-insensitively; an unknown one is kept as written and reported with the closest known labels
 * (the rule parser's "did you mean" helper). MSI values go through the panel's canonical labels.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { ApiError } from '../api/errors.js';
import { canonicalMsi, closest, UNKNOWN_LABEL } from '../subgroups/index.js';

export interface SampleMeta {
  tissue: string | null;
  msi: string | null;
}

const SAMPLE_COLS = ['sample', 'sample_id', 'sample id', 'id', 'tumor_sample_barcode', 'cosmic_id'];
const TISSUE_COLS = ['tissue', 'tissue_factor'];
const MSI_COLS = ['msi', 'msi_status', 'msi_factor'];
const KNOWN_MSI = new Set(['MSI-H', 'MSI-L', 'MSI-S', 'non-MSI-H', UNKNOWN_LABEL]);

/** A tissue value in the panel's spelling, or the value as given plus a warning naming the closest labels. */
export function resolveTissue(value: string, tissues: readonly string[], where: string, warnings: string[]): string {
  const v = value.trim();
  const hit = tissues.find((t) => t.toLowerCase() === v.toLowerCase());
  if (hit) return hit;
  const near = closest(v, tissues);
  warnings.push(`${where}: tissue ${JSON.stringify(v)} is not a tissue of the reference panel${near.length ? ` (did you mean ${near.join(', ')}?)` : ` (known: ${tissues.join(', ')})`}; kept as written, so tissue rules and the model see it as unseen`);
  return v;
}

export function resolveMsi(value: string, where: string, warnings: string[]): string {
  const m = canonicalMsi(value);
  if (!KNOWN_MSI.has(m)) warnings.push(`${where}: MSI status ${JSON.stringify(value)} is not one of MSI-H, MSI-L, MSI-S (MSS), unknown; kept as written`);
  return m;
}

export function readSampleSheet(file: string, tissues: readonly string[], warnings: string[]): Map<string, SampleMeta> {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new ApiError('BAD_FILE', `${file}: cannot read the sample sheet: ${(err as Error).message}`, { file });
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const text = buf.toString('utf8');
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  let rows: string[][];
  try {
    rows = parse(text, { delimiter: first.includes('\t') ? '\t' : ',', bom: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new ApiError('BAD_FILE', `${file}: the sample sheet is not valid CSV/TSV: ${(err as Error).message}`, { file });
  }
  if (rows.length === 0) throw new ApiError('BAD_FILE', `${file}: the sample sheet is empty (expected a header: sample, tissue, msi)`, { file });
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const find = (names: string[]) => header.findIndex((h) => names.includes(h));
  const sc = find(SAMPLE_COLS);
  const tc = find(TISSUE_COLS);
  const mc = find(MSI_COLS);
  if (sc < 0) throw new ApiError('BAD_FILE', `${file}: line 1: no sample id column (expected one of ${SAMPLE_COLS.join(', ')})`, { file });
  if (tc < 0 && mc < 0) throw new ApiError('BAD_FILE', `${file}: line 1: neither a tissue nor an MSI column (expected tissue / TISSUE_FACTOR, msi / msi_status)`, { file });
  const out = new Map<string, SampleMeta>();
  rows.slice(1).forEach((r, k) => {
    const where = `${file} row ${k + 2}`;
    const id = (r[sc] ?? '').trim();
    if (!id) {
      warnings.push(`${where}: empty sample id; row ignored`);
      return;
    }
    if (out.has(id)) {
      warnings.push(`${where}: sample ${JSON.stringify(id)} listed again; the first row is kept`);
      return;
    }
    const t = tc >= 0 ? (r[tc] ?? '').trim() : '';
    const m = mc >= 0 ? (r[mc] ?? '').trim() : '';
    out.set(id, { tissue: t ? resolveTissue(t, tissues, where, warnings) : null, msi: m ? resolveMsi(m, where, warnings) : null });
  });
  return out;
}
