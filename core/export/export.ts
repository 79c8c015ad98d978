/**
 * Streaming export of compounds with their descriptors: CSV (RFC 4180) or SDF, plus a provenance
 * sidecar (`<out>.provenance.json`) so that the data file itself stays clean for scripts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { CompoundQuery, ExportResult } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import type { ChemPool } from '../chem/pool.js';
import type { JobContext } from '../jobs.js';
import type { QueryContext } from '../library/query.js';
import { countCompounds, iterateIds } from '../library/query.js';
import { logProvenance } from '../library/provenance.js';
import { exportRows, propertiesOf, propertyNames, sourceHashes } from '../store/compounds.js';
import type { ExportRow } from '../store/compounds.js';
import { allMeasurements } from '../store/measurements.js';
import { lineMeans } from '../measure/project.js';
import type { Store } from '../store/store.js';
import { DESCRIPTOR_TABLE_COLUMNS } from '../library/columns.js';
import { APP_VERSION } from '../version.js';
import { openXlsx } from './xlsx.js';
import { encryptionNote, outputFormat, prepareOutput, sidecarOf, writeAtomically, writeTextAtomically } from './output-guard.js';

/**
 * Cells a spreadsheet would evaluate as a formula (OWASP "CSV injection"): text starting with
 * `=`, `+`, `-`, `@`, a tab or a carriage return. A plain number ("-3.2", "+1e5") is data and is
 * left alone; anything else starting so gets a leading apostrophe, which Excel, LibreOffice and
 * Google Sheets show as text and do not evaluate (the apostrophe is visible to a script reading
 * the file: strip one leading `'` before such a character to get the original value back).
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function csvField(v: unknown): string {
  if (v == null) return '';
  let s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)))) : String(v);
  if (typeof v !== 'number' && FORMULA_START.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The format of an output file: from its extension; a different explicit format is refused. */
export function detectExportFormat(out: string, format?: string): 'csv' | 'sdf' | 'xlsx' {
  return outputFormat(out, format);
}

/**
 * One line of SDF text: a name or value with a line break could end the data item early or start a
 * forged record (`$$$$`), so breaks become spaces.
 */
export function sdfLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

const CHUNK = 500;

/** The declared mechanism (normalised), after the descriptors. */
export const MECHANISM_EXPORT_COLUMNS = ['targets', 'target_pathway'] as const;
/**
 * Appended with a lab's measurements (after the source fields, so every earlier column keeps its place):
 * `measured_lines`, the structure's measured cell lines (0: none; its predictions are not calibrated), and
 * `measured_ln_ic50`, `COSMIC=ln IC50 (µM)` per line, replicates averaged in ln, `;`-separated.
 */
export const MEASURED_EXPORT_COLUMNS = ['measured_lines', 'measured_ln_ic50'] as const;

/** The measured lines of each structure as the export writes them: count and `COSMIC=value;…` (mean of replicates). */
function measuredCells(store: Store): Map<number, [number, string]> {
  const out = new Map<number, [number, string]>();
  for (const [id, list] of allMeasurements(store)) {
    const means = lineMeans(list);
    out.set(id, [means.size, [...means].map(([s, v]) => `${s}=${v.toFixed(4)}`).join(';')]);
  }
  return out;
}

type Row = ExportRow;

async function* rowsFor(store: Store, ids: AsyncIterable<number> | number[]): AsyncGenerator<{ rows: Row[]; props: Map<number, Record<string, string>> }> {
  let buf: number[] = [];
  const flush = () => {
    const got = exportRows(store, buf);
    const byId = new Map(got.map((r) => [r.id, r]));
    const props = new Map<number, Record<string, string>>();
    for (const p of propertiesOf(store, buf)) {
      let m = props.get(p.compound_id);
      if (!m) props.set(p.compound_id, (m = {}));
      m[p.name] = p.value;
    }
    const rows = buf.map((id) => byId.get(id)).filter((r): r is Row => !!r);
    buf = [];
    return { rows, props };
  };
  for await (const id of ids) {
    buf.push(id);
    if (buf.length >= CHUNK) yield flush();
  }
  if (buf.length) yield flush();
}

export interface ExportArgs {
  out: string;
  format?: 'csv' | 'sdf' | 'xlsx';
  query?: CompoundQuery;
  ids?: number[];
  projectPath: string;
  /** Replace an existing `out` (refused with EXISTS otherwise). */
  overwrite?: boolean;
}

export async function exportCompounds(ctx: QueryContext, pool: ChemPool, args: ExportArgs, job: JobContext): Promise<ExportResult> {
  const { file: out, format } = await prepareOutput(args.out, { projectFile: args.projectPath, overwrite: args.overwrite, format: args.format, sidecars: [sidecarOf(path.resolve(args.out))] });
  const store = ctx.store;
  const query = args.query ?? {};
  const total = args.ids ? args.ids.length : await countCompounds(ctx, query);
  const propNames = propertyNames(store);
  const sources = sourceHashes(store);
  const provenance = {
    generator: `Strata ${APP_VERSION}`, exportedAt: new Date().toISOString(), project: path.resolve(args.projectPath), inputs: sources,
    query, ids: args.ids ? args.ids.length : undefined, rows: 0, format,
    columns: ['id', 'name', 'smiles', 'source', 'record', ...DESCRIPTOR_TABLE_COLUMNS, ...MECHANISM_EXPORT_COLUMNS, 'display_name', ...propNames.map((p) => `prop:${p}`), ...MEASURED_EXPORT_COLUMNS],
    ...encryptionNote(store.encrypted),
  };
  // A source field named like one of Strata's columns (a file's own `targets` column) is written as `prop:<name>`.
  const fixed = new Set<string>(['id', 'name', 'display_name', 'smiles', 'source', 'record', 'strata_id', 'SMILES', ...DESCRIPTOR_TABLE_COLUMNS, ...MECHANISM_EXPORT_COLUMNS, ...MEASURED_EXPORT_COLUMNS]);
  const propHeader = propNames.map((p) => (fixed.has(p) ? `prop:${p}` : p));
  const header = ['id', 'name', 'smiles', 'source', 'record', ...DESCRIPTOR_TABLE_COLUMNS, ...MECHANISM_EXPORT_COLUMNS, 'display_name', ...propHeader, ...MEASURED_EXPORT_COLUMNS];
  const measured = measuredCells(store);
  let n = 0;
  await writeAtomically(out, async (tmp) => {
    const xlsx = format === 'xlsx' ? openXlsx(tmp, header, provenance.generator) : null;
    const stream = xlsx ? null : fs.createWriteStream(tmp);
    const write = async (s: string) => {
      if (stream && s && !stream.write(s)) await once(stream, 'drain');
    };
    try {
      if (format === 'csv') await write(`${header.map(csvField).join(',')}\n`);
      for await (const { rows, props } of rowsFor(store, args.ids ?? iterateIds(ctx, query))) {
        if (job.signal.aborted) throw new ApiError('CANCELLED', 'export cancelled');
        const molblocks = format === 'sdf' ? await pool.molblocks(rows.map((r) => r.smiles)) : null;
        let text = '';
        rows.forEach((r, i) => {
          const p = props.get(r.id) ?? {};
          const m = measured.get(r.duplicate_of ?? r.id);
          const cells = () => [r.id, r.name, r.smiles, r.source, r.record_no, ...DESCRIPTOR_TABLE_COLUMNS.map((c) => r[c]), r.targets, r.target_pathway, r.display_name, ...propNames.map((k) => p[k]), m?.[0] ?? 0, m?.[1] ?? null];
          if (xlsx) {
            xlsx.add(cells());
          } else if (format === 'csv') {
            text += `${cells().map(csvField).join(',')}\n`;
          } else {
            const mb = molblocks![i];
            const lines = mb.split('\n');
            lines[0] = sdfLine(r.name ?? `strata-${r.id}`);
            text += lines.join('\n').replace(/\n?$/, '\n');
            const field = (k: string, v: unknown) => {
              if (v == null || v === '') return;
              text += `>  <${sdfLine(k)}>\n${sdfLine(String(v))}\n\n`;
            };
            field('strata_id', r.id);
            field('display_name', r.display_name);
            field('SMILES', r.smiles);
            field('source', r.source);
            field('record', r.record_no);
            for (const c of DESCRIPTOR_TABLE_COLUMNS) field(c, r[c]);
            field('targets', r.targets);
            field('target_pathway', r.target_pathway);
            propNames.forEach((k, j) => field(propHeader[j], p[k]));
            field('measured_lines', m?.[0] ?? 0);
            field('measured_ln_ic50', m?.[1]);
            text += '$$$$\n';
          }
        });
        await write(text);
        n += rows.length;
        job.progress('export', n, total);
      }
      if (stream) {
        stream.end();
        await once(stream, 'finish');
      }
      if (xlsx) await xlsx.finish({ ...provenance, rows: n });
    } catch (err) {
      stream?.destroy();
      throw err;
    }
  });
  provenance.rows = n;
  await writeTextAtomically(sidecarOf(out), `${JSON.stringify(provenance, null, 2)}\n`);
  await logProvenance(store, 'export.write', { out, format, query, ids: args.ids?.length }, { rows: n });
  return { out: args.out, rows: n, format, provenance };
}
