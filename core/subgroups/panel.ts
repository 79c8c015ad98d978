/**
 * Genotype panels: samples (cell lines or a lab's own models) × binary genotype features, in the
 * layout of GDSC's genomic_features.csv — first column the sample id, optional TISSUE_FACTOR and
 * MSI_FACTOR columns, then one 0/1 column per feature.
 *
 * Parsing is pure (text in, panel out); `readPanelFile` adds the file read (plain or .gz). Problems
 * that make the data unusable (non-binary values, duplicate samples or columns, ragged rows) throw
 * `ApiError('BAD_FILE')` naming file, line and column; problems a user can live with (features
 * unknown to the reference catalogue, catalogue features the file lacks) come back as warnings.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ApiError } from '../api/errors.js';
import { UNKNOWN_LABEL } from './catalogue.js';

export interface PanelWarning {
  /** `conversion`: from turning a VCF/MAF/copy-number file into a panel (core/genotype/). */
  code: 'unknown-features' | 'missing-features' | 'no-tissue' | 'no-msi' | 'conversion';
  message: string;
  /** Every feature concerned (the message lists only the first few). */
  names: string[];
}

export interface GenotypePanel {
  /** Display name (reference panel name or file name). */
  name: string;
  /** Sample ids from the first column (COSMIC ids for the reference), in file order. */
  samples: string[];
  /** Human-readable sample names where known (cell line names for the reference), else null. */
  sampleNames: (string | null)[];
  /** Tissue label per sample; `unknown` when the panel has none for that sample. */
  tissue: string[];
  /** MSI label per sample: `MSI-H`, `MSI-L`, `MSI-S`, `non-MSI-H` (binary factor 0) or `unknown`. */
  msi: string[];
  hasTissue: boolean;
  hasMsi: boolean;
  /** Feature names in the requested order; the matrix columns follow it. */
  features: string[];
  /** Row-major samples × features, 0/1. Features the file lacks are all 0 (see `missing`). */
  matrix: Uint8Array;
  /** Requested features absent from the file (filled with 0). */
  missing: string[];
  /** Per feature (same order as `features`): 1 when the file lacked it. */
  missingMask: Uint8Array;
  warnings: PanelWarning[];
}

export interface PanelParseOptions {
  /** File name used in messages (and as the panel name unless `name` is set). */
  file: string;
  name?: string;
  /**
   * Feature names of the reference catalogue. Columns not in it are reported as unknown, and
   * catalogue features not in the file as missing. Omit to accept the file's features as they are.
   */
  reference?: readonly string[];
  /**
   * Output feature order (e.g. a model's input order). Default: `reference` if given, else the file's
   * own order. Requested features the file lacks are zero-filled and listed in `missing`; file
   * columns not requested are dropped.
   */
  featureOrder?: readonly string[];
}

const TISSUE_COLUMNS = new Set(['tissue_factor', 'tissue']);
const MSI_COLUMNS = new Set(['msi_factor', 'msi', 'msi_status']);

/** How many names a warning message spells out before "and N more". */
const NAMES_IN_MESSAGE = 10;

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_MESSAGE).join(', ');
  return names.length > NAMES_IN_MESSAGE ? `${shown} and ${names.length - NAMES_IN_MESSAGE} more` : shown;
}

/**
 * Canonical MSI label for a panel value. GDSC's genomic_features.csv codes MSI_FACTOR as 1 (MSI-H)
 * or 0 (not MSI-H: stable, low or unknown), so 0 maps to `non-MSI-H` rather than claiming stability;
 * text labels (GDSC's cell_lines.csv: MSI-H, MSI-L, MSI-S) keep their meaning. Unrecognised labels
 * are kept verbatim so a lab's own vocabulary still works in rules.
 */
export function canonicalMsi(raw: string): string {
  const v = raw.trim();
  const k = v.toLowerCase().replace(/[\s_]/g, '-');
  if (k === '' || k === 'na' || k === 'nan' || k === 'n/a' || k === UNKNOWN_LABEL) return UNKNOWN_LABEL;
  if (k === '1' || k === 'msi-h' || k === 'msih' || k === 'h' || k === 'high' || k === 'msi-high') return 'MSI-H';
  if (k === '0' || k === 'non-msi-h') return 'non-MSI-H';
  if (k === 'msi-s' || k === 'mss' || k === 'msis' || k === 's' || k === 'stable') return 'MSI-S';
  if (k === 'msi-l' || k === 'msil' || k === 'l' || k === 'low' || k === 'msi-low') return 'MSI-L';
  return v;
}

function fileError(file: string, line: number | null, column: number | null, columnName: string | null, reason: string, extra?: Record<string, unknown>): ApiError {
  const where = [line !== null ? `line ${line}` : null, column !== null ? `column ${column}${columnName !== null ? ` (${JSON.stringify(columnName)})` : ''}` : null]
    .filter((x) => x !== null)
    .join(', ');
  return new ApiError('BAD_FILE', `${file}${where ? `: ${where}` : ''}: ${reason}`, { file, line, column, columnName, ...extra });
}

/** Parse 0/1 (also `0.0`/`1.0` as written by some exporters); anything else is -1. */
function binaryValue(raw: string): number {
  const v = raw.trim();
  if (v === '0' || v === '0.0') return 0;
  if (v === '1' || v === '1.0') return 1;
  return -1;
}

interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

/**
 * RFC 4180 records with their starting line numbers; blank lines are skipped. A hand-written reader
 * rather than csv-parse because it is ~20× faster on the reference panel (600k fields: ~20 ms vs
 * ~400 ms), which every CLI call that previews a subgroup pays, and because it reports the line
 * where a record starts (csv-parse reports where it ends).
 */
export function csvRecords(text: string, file: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    let nl = text.indexOf('\n', i);
    if (nl < 0) nl = n;
    let simple = text.slice(i, nl);
    if (!simple.includes('"')) {
      // Fast path: no quoting on this line.
      if (simple.endsWith('\r')) simple = simple.slice(0, -1);
      i = nl + 1;
      line++;
      if (simple.trim() !== '') out.push({ fields: simple.split(','), line: start });
      continue;
    }
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (; i < n; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else quoted = false;
        } else {
          if (ch === '\n') line++;
          field += ch;
        }
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        fields.push(field);
        field = '';
      } else if (ch === '\n') break;
      else if (ch !== '\r' || text[i + 1] !== '\n') field += ch;
    }
    if (quoted) throw fileError(file, start, null, null, 'a quoted field is never closed (missing ")');
    fields.push(field);
    i++;
    line++;
    out.push({ fields, line: start });
  }
  return out;
}

/** Parse a panel from CSV text. */
export function parsePanelCsv(text: string, opts: PanelParseOptions): GenotypePanel {
  const { file } = opts;
  const rows = csvRecords(text, file);
  if (rows.length === 0) throw fileError(file, null, null, null, 'the file is empty (expected a header row: sample id, optional TISSUE_FACTOR, MSI_FACTOR, then binary features)');
  const header = rows[0].fields.map((h) => h.trim());
  const headerLine = rows[0].line;
  if (header.length < 2) throw fileError(file, headerLine, null, null, 'the header has a single column: expected the sample id column followed by feature columns (comma-separated)');

  // Column roles: 0 = sample id; metadata by name; every other column is a feature.
  let tissueCol = -1;
  let msiCol = -1;
  const featureCols: number[] = [];
  const seen = new Map<string, number>();
  for (let c = 0; c < header.length; c++) {
    const h = header[c];
    if (h === '' && c > 0) throw fileError(file, headerLine, c + 1, h, 'empty column name in the header');
    const prev = seen.get(h);
    if (prev !== undefined) throw fileError(file, headerLine, c + 1, h, `duplicate column name (also column ${prev + 1})`);
    seen.set(h, c);
    if (c === 0) continue;
    const lower = h.toLowerCase();
    if (tissueCol < 0 && TISSUE_COLUMNS.has(lower)) tissueCol = c;
    else if (msiCol < 0 && MSI_COLUMNS.has(lower)) msiCol = c;
    else featureCols.push(c);
  }
  const fileFeatures = featureCols.map((c) => header[c]);
  if (fileFeatures.length === 0) throw fileError(file, headerLine, null, null, 'no feature columns: expected binary columns such as BRAF_mut after the sample id (and optional TISSUE_FACTOR, MSI_FACTOR)');

  const warnings: PanelWarning[] = [];
  if (opts.reference) {
    const ref = new Set(opts.reference);
    const unknown = fileFeatures.filter((f) => !ref.has(f));
    if (unknown.length > 0) {
      warnings.push({
        code: 'unknown-features',
        names: unknown,
        message: `${file}: ${unknown.length} column(s) are not features of the reference catalogue and cannot be used in rules or by the model: ${listNames(unknown)}`,
      });
    }
    const inFile = new Set(fileFeatures);
    const absent = opts.reference.filter((f) => !inFile.has(f));
    if (absent.length > 0) {
      warnings.push({
        code: 'missing-features',
        names: absent,
        message: `${file}: ${absent.length} reference feature(s) are missing and are taken as 0 (absent) for every sample: ${listNames(absent)}`,
      });
    }
  }
  if (tissueCol < 0) warnings.push({ code: 'no-tissue', names: [], message: `${file}: no TISSUE_FACTOR column: rules using tissue=… cannot be evaluated on this panel` });
  if (msiCol < 0) warnings.push({ code: 'no-msi', names: [], message: `${file}: no MSI_FACTOR column: rules using msi=… cannot be evaluated on this panel` });

  const order = opts.featureOrder ?? opts.reference ?? fileFeatures;
  const features = [...order];
  const nF = features.length;
  // For each output feature, the file column that feeds it (-1: missing → stays 0).
  const sourceCol = new Int32Array(nF).fill(-1);
  const missingMask = new Uint8Array(nF);
  const missing: string[] = [];
  {
    const outSeen = new Set<string>();
    for (let f = 0; f < nF; f++) {
      if (outSeen.has(features[f])) throw new ApiError('INVALID_INPUT', `feature order lists ${JSON.stringify(features[f])} twice`);
      outSeen.add(features[f]);
      const c = seen.get(features[f]);
      if (c !== undefined && c !== 0 && c !== tissueCol && c !== msiCol) sourceCol[f] = c;
      else {
        missingMask[f] = 1;
        missing.push(features[f]);
      }
    }
  }

  const nS = rows.length - 1;
  const samples: string[] = new Array(nS);
  const tissue: string[] = new Array(nS);
  const msi: string[] = new Array(nS);
  const matrix = new Uint8Array(nS * nF);
  const sampleLine = new Map<string, number>();
  for (let r = 1; r < rows.length; r++) {
    const { fields: record, line } = rows[r];
    if (record.length !== header.length) {
      throw fileError(file, line, null, null, `has ${record.length} field(s) but the header has ${header.length}`);
    }
    const id = record[0].trim();
    if (id === '') throw fileError(file, line, 1, header[0], 'empty sample id');
    const prevLine = sampleLine.get(id);
    if (prevLine !== undefined) throw fileError(file, line, 1, header[0], `duplicate sample id ${JSON.stringify(id)} (first on line ${prevLine})`, { sample: id, firstLine: prevLine });
    sampleLine.set(id, line);
    const s = r - 1;
    samples[s] = id;
    tissue[s] = tissueCol >= 0 && record[tissueCol].trim() !== '' ? record[tissueCol].trim() : UNKNOWN_LABEL;
    msi[s] = msiCol >= 0 ? canonicalMsi(record[msiCol]) : UNKNOWN_LABEL;
    // Validate every feature column, requested or not: a corrupt column should not pass silently.
    for (const c of featureCols) {
      if (binaryValue(record[c]) < 0) {
        throw fileError(file, line, c + 1, header[c], `value ${JSON.stringify(record[c])} is not binary (expected 0 or 1)`, { sample: id, value: record[c] });
      }
    }
    const base = s * nF;
    for (let f = 0; f < nF; f++) {
      const c = sourceCol[f];
      if (c >= 0) matrix[base + f] = binaryValue(record[c]);
    }
  }
  if (nS === 0) throw fileError(file, null, null, null, 'the file has a header but no sample rows');

  return {
    name: opts.name ?? file,
    samples,
    sampleNames: new Array<string | null>(nS).fill(null),
    tissue,
    msi,
    hasTissue: tissueCol >= 0,
    hasMsi: msiCol >= 0,
    features,
    matrix,
    missing,
    missingMask,
    warnings,
  };
}

/** Read a panel CSV from disk (gzip-compressed when the name ends in .gz) and parse it. */
export function readPanelFile(path: string, opts: Omit<PanelParseOptions, 'file'> & { file?: string } = {}): GenotypePanel {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new ApiError('BAD_FILE', `${path}: cannot read the genotype panel: ${(err as Error).message}`, { file: path });
  }
  if (/\.gz$/i.test(path)) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new ApiError('BAD_FILE', `${path}: not a valid gzip file: ${(err as Error).message}`, { file: path });
    }
  }
  return parsePanelCsv(buf.toString('utf8'), { ...opts, file: opts.file ?? path });
}

/** One feature's column: its 0/1 value per sample. Throws if the panel does not have the feature. */
export function featureColumn(panel: GenotypePanel, feature: string): Uint8Array {
  const f = panel.features.indexOf(feature);
  if (f < 0) throw new ApiError('NOT_FOUND', `feature ${JSON.stringify(feature)} is not in panel ${panel.name}`);
  const nF = panel.features.length;
  const out = new Uint8Array(panel.samples.length);
  for (let s = 0; s < out.length; s++) out[s] = panel.matrix[s * nF + f];
  return out;
}
