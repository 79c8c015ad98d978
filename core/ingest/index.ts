/**
 * Streaming compound-library readers: SDF (V2000/V3000, all data fields), SMILES files, CSV and TSV tables,
 * each optionally gzip-compressed (detected by magic bytes). Memory stays flat whatever the file size.
 *
 * Usage:
 *   const reader = await openLibrary('/data/lib.sdf.gz', { signal, onBytes, startAfterRecord });
 *   for await (const item of reader.records) item.ok ? use(item.rec) : report(item.bad);
 *
 * Contract:
 * - `openLibrary` throws a clear Error naming the file when it cannot be read, its format cannot be told,
 *   or a table has no structure column (the message lists the columns found).
 * - Every record of the file is either yielded as `{ok: true, rec}` or reported as `{ok: false, bad}`
 *   with its record number, line and a reason; a bad record never hides the good ones after it.
 *   The reader reports only what it can see in the file's structure (missing `M  END`, broken counts line,
 *   wrong column count, empty or too-long SMILES, ...); chemistry (valence, kekulisation, ...) is judged by
 *   RDKit in the worker.
 * - Encoding: UTF-8, a leading BOM is dropped. A line that is not valid UTF-8 is decoded as Latin-1 rather
 *   than rejected (structure text is ASCII, so only titles/data fields are affected, and Latin-1/Windows-1252
 *   is the usual legacy encoding of those); `reader.stats.latin1Lines` counts such lines so the caller can
 *   warn.
 * - Limits: SMILES > MAX_SMILES_LENGTH characters and molblocks > MAX_MOLBLOCK_ATOMS atoms are reported as
 *   "too large" (they would exhaust RDKit's WASM heap, rdkit issue 9115); lines are never buffered beyond
 *   MAX_LINE_BYTES.
 * - A gzip stream that breaks off is reported as a final bad record; the lines before it are read normally.
 * - Cancellation: aborting `signal` interrupts the read, closes the file, and the iteration throws
 *   `signal.reason`. Breaking out of the loop also closes the file.
 * - Record strings may be V8 slices of a 1 MiB read chunk: fine for streaming, but a caller that keeps a
 *   sparse subset of records for a long time should copy what it keeps (excerpts of bad records are
 *   already copies).
 */
export type {
  RecordFormat, RawRecord, BadRecord, IngestItem, LibraryFormat, ReadOptions, LibraryColumns, LibraryReader, ReaderStats,
} from './types.js';
export { MAX_SMILES_LENGTH, MAX_MOLBLOCK_ATOMS, MAX_LINE_BYTES, MAX_SDF_RECORD_CHARS, EXCERPT_CHARS } from './types.js';
export { openLibrary } from './open.js';
export { detectFormat, detectColumns, looksLikeSmiles } from './detect.js';
