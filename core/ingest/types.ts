/**
 * Types and limits shared by the streaming library readers (SDF, SMILES, CSV/TSV, each optionally gzipped).
 *
 * A reader turns one file into a stream of `IngestItem`s: a good record (`RawRecord`) carries the structure
 * text for the chemistry worker; a bad one (`BadRecord`) says what the reader could see was wrong with it.
 * The reader never judges chemistry (valence, aromaticity, ...): RDKit in the worker does.
 */

export type RecordFormat = 'smiles' | 'molblock';

export interface RawRecord {
  /** 1-based record index in the file (tables: data rows, header not counted; SDF: `$$$$`-separated blocks). */
  recordNo: number;
  /** 1-based line number where the record starts in the (decompressed) file. */
  line: number;
  format: RecordFormat;
  /** SMILES string, or the molblock (header lines through `M  END`, lines joined by '\n') for SDF. */
  text: string;
  /** External id: SDF title line (trimmed, null if blank) or the id column value (trimmed, null if empty). */
  id: string | null;
  /** SDF data fields (all of them; multi-line values joined by '\n'), or the other table columns. */
  props: Record<string, string>;
}

export interface BadRecord {
  recordNo: number;
  line: number;
  reason: string;
  /** First characters of the offending record (at most EXCERPT_CHARS), or null when nothing could be read. */
  excerpt: string | null;
}

export type IngestItem = { ok: true; rec: RawRecord } | { ok: false; bad: BadRecord };

export type LibraryFormat = 'sdf' | 'smi' | 'csv' | 'tsv';

export interface ReadOptions {
  /** Force a format; otherwise detected from the name (.sdf/.sd/.mol, .smi/.smiles, .csv, .tsv/.txt, each optionally .gz) and content. */
  format?: LibraryFormat;
  /** Table column holding the structure (exact name first, then case-insensitive). Default: detected. */
  smilesColumn?: string;
  /** Table column holding the external id (exact name first, then case-insensitive). Default: detected. */
  idColumn?: string;
  /** Table column (or SDF data field) holding the display name (exact name first, then case-insensitive). Default: detected (NAME_NAMES in detect.ts), never the id column. */
  nameColumn?: string;
  /** Stops reading promptly and closes the file; the iteration then throws `signal.reason` (an AbortError by default). */
  signal?: AbortSignal;
  /**
   * Progress for ETA: bytes consumed and the total. Plain files: on-disk bytes of the file size. Gzip:
   * decompressed bytes of the trailer's uncompressed size (on-disk bytes when that cannot be trusted).
   */
  onBytes?: (bytesRead: number, totalBytes: number) => void;
  /** Resume: records with recordNo <= this are skipped cheaply (not parsed, not yielded); numbering is unchanged. */
  startAfterRecord?: number;
}

export interface LibraryColumns {
  /** Name of the structure column. */
  smiles: string;
  /** Name of the id column, or null when there is none. */
  id: string | null;
  /** Name of the display-name column (never the id or structure column), or null when there is none. */
  name: string | null;
  /** All column names in file order. */
  all: string[];
}

/** Counters a caller may show after (or during) reading; filled in as records stream by. */
export interface ReaderStats {
  /** Lines read so far (decompressed file), including headers, comments and blank lines. */
  lines: number;
  /** Lines that were not valid UTF-8 and were decoded as Latin-1 instead (see README of core/ingest in index.ts). */
  latin1Lines: number;
  /** 1-based number of the first such line, or null. */
  firstLatin1Line: number | null;
}

/**
 * What was actually read of the file, for the import's bookkeeping: its sha256 and size are those of these
 * bytes, not of the file as it was before or after, and a file that changed while it was read says so.
 */
export interface SourceIntegrity {
  /** On-disk bytes read so far (compressed bytes for a gzip file). */
  bytes: number;
  /** sha256 (hex) of the on-disk bytes read; set only once the file has been read to its end. */
  sha256: string | null;
  /** Size of the file when reading started (fstat of the open file). */
  sizeAtOpen: number | null;
  /** Set when reading reached the end and the file had changed meanwhile (size or modification time moved, or not its size in bytes was read): why. */
  changed: string | null;
}

/** How the file's text is encoded (detected from a BOM or the pattern of zero bytes; decoded to UTF-8 for the parsers). */
export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be';

export interface LibraryReader {
  format: LibraryFormat;
  /** True when the file is gzip-compressed (detected from its magic bytes, not its name). */
  compressed: boolean;
  /** Tables (csv/tsv) always; SMILES files when they have a header line; undefined for SDF. */
  columns?: LibraryColumns;
  /** Single-use: iterate once. Breaking out of the loop closes the file. */
  records: AsyncIterable<IngestItem>;
  stats: ReaderStats;
  /** Text encoding of the file (UTF-16 is decoded; other encodings are refused when the file is opened). */
  encoding: TextEncoding;
  /** Size and sha256 of the bytes actually read, and whether the file changed while it was read. */
  source: SourceIntegrity;
}

/** SMILES longer than this are reported, not passed on: very long inputs exhaust RDKit's WASM heap (rdkit issue 9115). */
export const MAX_SMILES_LENGTH = 5000;
/** Molblocks whose counts line declares more atoms than this are reported, not passed on (same reason). */
export const MAX_MOLBLOCK_ATOMS = 2000;
/** A single line longer than this (bytes) is not buffered: its record is reported as bad and reading goes on (all formats). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** An SDF record (molblock plus data fields) longer than this (characters) is reported and skipped without buffering the rest. */
export const MAX_SDF_RECORD_CHARS = 32 * 1024 * 1024;
/** Length of `BadRecord.excerpt`. */
export const EXCERPT_CHARS = 200;
