/**
 * CSV/TSV reader on csv-parse (streaming, RFC 4180 quoting; quotes inside unquoted fields are kept as text).
 *
 * The first non-blank row is the header. Each later row is one record: the structure column gives the
 * SMILES, the id column the id, every other column goes into props. A row with the wrong number of fields,
 * an empty or over-long SMILES, or a quoting error becomes a BadRecord and reading goes on. A physical line
 * longer than MAX_LINE_BYTES is never buffered: it arrives as a marker, is reported as one bad record, and
 * the rest of the file is read by a fresh parser (a quoted field open across it is reported too). Line numbers
 * are counted here (fields with embedded newlines advance them) because csv-parse's `info` option costs
 * more than half its speed.
 */
import { parse } from 'csv-parse';
import type { CsvError } from 'csv-parse';
import type { IngestItem, LibraryColumns } from './types.js';
import { EXCERPT_CHARS, MAX_LINE_BYTES, MAX_SMILES_LENGTH } from './types.js';
import { GzipDataError } from './source.js';
import type { OverlongLine } from './source.js';
import { tooLargeReason } from './smiles.js';

export interface TableConfig {
  file: string;
  delimiter: ',' | '\t';
  columns: LibraryColumns;
  skipThrough: number;
}

function newlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function excerpt(fields: string[], delimiter: string): string {
  const s = fields.join(delimiter);
  return s.length > EXCERPT_CHARS ? s.slice(0, EXCERPT_CHARS) : s;
}

function setProp(props: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(props, key, { value, enumerable: true, writable: true, configurable: true });
  else props[key] = value;
}

/** Parse a header line sample (the start of the file) into trimmed column names; [] when there is none. */
export async function parseHeaderSample(head: string, delimiter: ',' | '\t'): Promise<string[]> {
  const parser = parse({ delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to: 1 });
  const rows: string[][] = [];
  parser.on('data', (r: string[]) => rows.push(r));
  const done = new Promise<void>((resolve) => {
    parser.on('end', () => resolve());
    // A cut-off sample may end inside a quoted field: whatever was parsed is enough for a header.
    parser.on('error', () => resolve());
  });
  parser.end(head);
  await done;
  const first = rows.find((r) => r.some((c) => c.trim() !== ''));
  return first ? first.map((c) => c.trim()) : [];
}

interface PendingSkip {
  err: CsvError;
  /** Number of records the parser had produced before this error (position in the record stream). */
  pos: number;
}

/** Records of a table, in batches (one per input piece). */
export async function* readTableItems(pieces: AsyncIterable<Buffer | OverlongLine>, cfg: TableConfig): AsyncGenerator<IngestItem[]> {
  const { file, delimiter, skipThrough } = cfg;
  let produced = 0;
  let skips: PendingSkip[] = [];
  let fatal: Error | null = null;
  /** Lines before the current parser's first line (csv-parse counts lines from its own start). */
  let lineBase = 0;
  const newParser = () => {
    const p = parse({
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      // Blank lines come through as [''] so that line numbers stay exact; they are skipped below.
      skip_empty_lines: false,
      // Bounds memory when an unclosed quote would otherwise swallow the rest of the file into one field.
      max_record_size: MAX_LINE_BYTES,
    });
    produced = 0;
    skips = [];
    p.on('skip', (err: CsvError) => {
      skips.push({ err, pos: produced + p.readableLength });
    });
    p.on('error', (err: Error) => {
      fatal ??= err;
    });
    return p;
  };
  let parser = newParser();

  let header: string[] | null = null;
  let ncols = 0;
  let si = -1;
  let ii = -1;
  let nextLine = 1;
  let recordNo = 0;
  let out: IngestItem[] = [];

  const onSkip = (s: PendingSkip) => {
    const err = s.err;
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      throw new Error(`${file}: the record starting at line ${nextLine} is longer than ${MAX_LINE_BYTES} bytes (an unclosed quote?); reading stopped`);
    }
    const line = nextLine;
    const errLine = typeof err.lines === 'number' ? lineBase + err.lines : line;
    nextLine = Math.max(line, errLine) + 1;
    recordNo++;
    if (recordNo <= skipThrough) return;
    const why = err.code === 'CSV_QUOTE_NOT_CLOSED'
      ? `unclosed quote: the field opened at or after line ${line} never closes, so lines ${line}-${errLine} could not be read`
      : `unreadable row: ${err.message}`;
    out.push({ ok: false, bad: { recordNo, line, reason: why, excerpt: null } });
  };

  const onRecord = (rec: string[]) => {
    const start = nextLine;
    let nl = 0;
    for (let f = 0; f < rec.length; f++) if (rec[f].indexOf('\n') >= 0) nl += newlines(rec[f]);
    nextLine = start + nl + 1;
    if (rec.length === 1 && rec[0].trim() === '') return;
    if (header === null) {
      header = rec.map((c) => c.trim());
      ncols = header.length;
      si = header.indexOf(cfg.columns.smiles);
      ii = cfg.columns.id === null ? -1 : header.indexOf(cfg.columns.id);
      if (si < 0) throw new Error(`${file}: structure column '${cfg.columns.smiles}' not in the header (columns found: ${header.join(', ')})`);
      return;
    }
    const no = ++recordNo;
    if (no <= skipThrough) return;
    if (rec.length !== ncols) {
      out.push({ ok: false, bad: { recordNo: no, line: start, reason: `wrong number of fields: expected ${ncols} (as in the header), found ${rec.length}`, excerpt: excerpt(rec, delimiter) } });
      return;
    }
    const smiles = rec[si].trim();
    if (smiles.length === 0) {
      out.push({ ok: false, bad: { recordNo: no, line: start, reason: `empty SMILES in column '${header[si]}'`, excerpt: excerpt(rec, delimiter) } });
      return;
    }
    if (smiles.length > MAX_SMILES_LENGTH) {
      out.push({ ok: false, bad: { recordNo: no, line: start, reason: tooLargeReason(smiles.length), excerpt: excerpt(rec, delimiter) } });
      return;
    }
    const id = ii >= 0 ? rec[ii].trim() || null : null;
    const props: Record<string, string> = {};
    for (let f = 0; f < ncols; f++) if (f !== si && f !== ii) setProp(props, header[f], rec[f]);
    out.push({ ok: true, rec: { recordNo: no, line: start, format: 'smiles', text: smiles, id, props } });
  };

  const drain = () => {
    let r: string[] | null;
    while (true) {
      while (skips.length > 0 && skips[0].pos <= produced) onSkip(skips.shift()!);
      r = parser.read() as string[] | null;
      if (r === null) break;
      produced++;
      onRecord(r);
    }
    if (fatal) throw new Error(`${file}: ${(fatal as Error).message}`);
  };

  /** End the current parser and take every record and error still inside it. */
  const finishParser = async () => {
    parser.end();
    for await (const r of parser as AsyncIterable<string[]>) {
      while (skips.length > 0 && skips[0].pos <= produced) onSkip(skips.shift()!);
      produced++;
      onRecord(r);
    }
    while (skips.length > 0) onSkip(skips.shift()!);
    if (fatal) throw new Error(`${file}: ${(fatal as Error).message}`);
  };

  try {
    try {
      for await (const piece of pieces) {
        if (!Buffer.isBuffer(piece)) {
          // Everything before the long line is parsed to the end, the line is one bad record, and a new
          // parser reads on after it: dropping part of a line must not leave csv-parse inside a quote.
          await finishParser();
          parser.destroy();
          if (header === null) throw new Error(`${file}: line ${piece.line} is ${piece.bytes} bytes long, more than the limit of ${piece.limit} bytes, before any header; not a compound table?`);
          nextLine = piece.line + 1;
          lineBase = piece.line;
          const no = ++recordNo;
          if (no > skipThrough) {
            out.push({ ok: false, bad: { recordNo: no, line: piece.line, reason: `line ${piece.line} is ${piece.bytes} bytes long, more than the limit of ${piece.limit} bytes; not read`, excerpt: piece.excerpt } });
          }
          parser = newParser();
        } else {
          parser.write(piece);
          drain();
        }
        if (out.length > 0) {
          yield out;
          out = [];
        }
      }
    } catch (err) {
      if (!(err instanceof GzipDataError)) throw err;
      // Rows still inside the parser are incomplete: report the break instead of passing a cut-off row.
      drain();
      out.push({ ok: false, bad: { recordNo: recordNo + 1, line: nextLine, reason: err.message, excerpt: null } });
      yield out;
      return;
    }
    await finishParser();
    if (out.length > 0) yield out;
  } finally {
    parser.destroy();
  }
}
