/**
 * `library.preview`: the first records of a library file as `library.import` would read them — the same
 * reader (`openLibrary`), the same format and column detection, the same display-name choice (NameFields) —
 * so a user can check the detected structure, id and name columns and change them before importing.
 *
 * A file that cannot be imported as chosen (a table without a structure column, a named column that is not
 * there, an unknown format) is not an API error here: the preview answers the reason (naming the file, the
 * import's own message) and, for a table, its header, so a structure column can be chosen from it. A file
 * that is missing or unreadable is an error (BAD_FILE), as for the import.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LibraryPreview, PreviewRequest } from '../api/contract.js';
import { ApiError } from '../api/errors.js';
import { detectFormat, openLibrary } from '../ingest/index.js';
import type { LibraryReader } from '../ingest/index.js';
import { probeFile } from '../ingest/source.js';
import { parseHeaderSample } from '../ingest/table.js';
import { NameFields } from './names.js';

export const PREVIEW_ROWS = 20;
/** SDF pseudo-columns: the title line (the id) and the molblock (the structure). */
export const SDF_TITLE = '(title)';
export const SDF_STRUCTURE = '(molblock)';

function statFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new ApiError('BAD_FILE', `${file}: no such file`);
  }
  if (!st.isFile()) throw new ApiError('BAD_FILE', `${file}: not a regular file`);
}

/** What a table that the import refuses still shows: its header, so a structure column can be chosen. */
async function refusedPreview(file: string, req: PreviewRequest, reason: string): Promise<LibraryPreview> {
  let columns: string[] = [];
  let format: LibraryPreview['format'] = req.format ?? 'csv';
  let compressed = false;
  try {
    const probe = await probeFile(file);
    compressed = probe.compressed;
    const f = req.format ?? detectFormat(path.basename(file), probe.head);
    if (f) format = f;
    if (f === 'csv' || f === 'tsv') columns = await parseHeaderSample(probe.head, f === 'csv' ? ',' : '\t');
  } catch {
    // The reason already says why the file cannot be read.
  }
  return {
    path: file, format, compressed, columns, structureColumn: null, idColumn: null, nameColumn: null,
    choosable: { structure: columns, id: columns, name: columns }, rows: [], bad: [], more: false, error: reason,
  };
}

export async function previewLibrary(req: PreviewRequest): Promise<LibraryPreview> {
  const file = path.resolve(req.path);
  statFile(file);
  const limit = Math.max(1, Math.min(200, req.limit ?? PREVIEW_ROWS));
  const controller = new AbortController();
  let reader: LibraryReader;
  try {
    reader = await openLibrary(file, { format: req.format, smilesColumn: req.smilesColumn, idColumn: req.idColumn, nameColumn: req.nameColumn, signal: controller.signal });
  } catch (err) {
    return refusedPreview(file, req, (err as Error).message);
  }

  const names = new NameFields(req.nameColumn);
  const records: { record: number; line: number; id: string | null; text: string; props: Record<string, string> }[] = [];
  const bad: LibraryPreview['bad'] = [];
  let more = false;
  try {
    for await (const item of reader.records) {
      if (records.length + bad.length >= limit) {
        more = true;
        break;
      }
      if (item.ok) records.push({ record: item.rec.recordNo, line: item.rec.line, id: item.rec.id, text: item.rec.text, props: { ...item.rec.props } });
      else bad.push({ record: item.bad.recordNo, line: item.bad.line, reason: item.bad.reason });
    }
  } finally {
    controller.abort();
  }

  const base = { path: file, format: reader.format, compressed: reader.compressed, bad, more };
  if (reader.format === 'sdf') {
    // The data fields seen, in first-seen order; the name is the field the import takes for the first named record.
    const fields: string[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      for (const k of Object.keys(r.props)) {
        if (!seen.has(k)) {
          seen.add(k);
          fields.push(k);
        }
      }
    }
    const nameColumn = pickedName(records.map((r) => r.props), names);
    const columns = [SDF_TITLE, ...fields];
    return {
      ...base, columns, structureColumn: SDF_STRUCTURE, idColumn: SDF_TITLE, nameColumn,
      choosable: { structure: [], id: [], name: fields },
      rows: records.map((r) => ({ record: r.record, line: r.line, values: [r.id ?? '', ...fields.map((f) => r.props[f] ?? '')] })),
    };
  }

  // Tables (and SMILES files with a header) name their columns; a headerless SMILES file has two.
  const cols = reader.columns ?? { smiles: 'SMILES', id: 'id', name: null, all: ['SMILES', 'id'] };
  const extra = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.props)) if (!cols.all.includes(k)) extra.add(k);
  const columns = [...cols.all, ...extra];
  const table = reader.format === 'csv' || reader.format === 'tsv';
  const nameColumn = table ? cols.name : pickedName(records.map((r) => r.props), names);
  return {
    ...base, columns, structureColumn: cols.smiles, idColumn: cols.id, nameColumn,
    choosable: table
      ? { structure: cols.all, id: cols.all.filter((c) => c !== cols.smiles), name: cols.all.filter((c) => c !== cols.smiles && c !== cols.id) }
      : { structure: [], id: [], name: [] },
    rows: records.map((r) => ({
      record: r.record, line: r.line,
      values: columns.map((c) => (c === cols.smiles ? r.text : c === cols.id ? r.id ?? '' : r.props[c] ?? '')),
    })),
  };
}

/** The field the import's NameFields takes as the name of the first record that has one (the id is never in props). */
function pickedName(props: Record<string, string>[], names: NameFields): string | null {
  for (const p of props) {
    const field = names.field(p);
    if (field !== null) return field;
  }
  return null;
}
