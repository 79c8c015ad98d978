/**
 * openLibrary: one entry point for every supported library file. Sniffs the file (gzip by magic bytes,
 * format by name and content, table columns), then hands out a single-use stream of records.
 */
import path from 'node:path';
import type { IngestItem, LibraryColumns, LibraryFormat, LibraryReader, ReadOptions, ReaderStats } from './types.js';
import { detectColumns, detectFormat, isSmilesHeaderLine } from './detect.js';
import { decodeChunks, newIntegrity, probeFile, readChunks, readTextBatches, readUtf8Pieces } from './source.js';
import { SdfParser } from './sdf.js';
import { SmilesParser, smilesHeaderColumns } from './smiles.js';
import { parseHeaderSample, readTableItems } from './table.js';

const FORMATS: readonly LibraryFormat[] = ['sdf', 'smi', 'csv', 'tsv'];

function firstContentLine(head: string): string | null {
  for (const raw of head.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return line;
  }
  return null;
}

/**
 * Open a compound library for streaming. Throws a clear Error naming the file when it cannot be read,
 * its format cannot be told, or a table has no structure column (listing the columns found).
 */
export async function openLibrary(file: string, opts: ReadOptions = {}): Promise<LibraryReader> {
  if (opts.format !== undefined && !FORMATS.includes(opts.format)) {
    throw new Error(`${file}: unknown format '${String(opts.format)}' (expected one of ${FORMATS.join(', ')})`);
  }
  opts.signal?.throwIfAborted();
  const probe = await probeFile(file);
  const format = opts.format ?? detectFormat(path.basename(file), probe.head);
  if (format === null) {
    throw new Error(`${file}: cannot tell the file format from its name or content; expected SDF (.sdf/.sd/.mol), SMILES (.smi), CSV or TSV, optionally gzipped; pass the format explicitly`);
  }
  const skipThrough = Math.max(0, Math.floor(opts.startAfterRecord ?? 0));
  const stats: ReaderStats = { lines: 0, latin1Lines: 0, firstLatin1Line: null };

  let columns: LibraryColumns | undefined;
  if (format === 'csv' || format === 'tsv') {
    const delimiter = format === 'csv' ? ',' : '\t';
    const header = await parseHeaderSample(probe.head, delimiter);
    if (header.length === 0) throw new Error(`${file}: no header line found (the file is empty?); a ${format.toUpperCase()} library needs a header naming its columns`);
    columns = detectColumns(header, file, { smilesColumn: opts.smilesColumn, idColumn: opts.idColumn, nameColumn: opts.nameColumn });
  } else if (format === 'smi') {
    const first = firstContentLine(probe.head);
    if (first !== null && isSmilesHeaderLine(first)) columns = smilesHeaderColumns(first);
  }

  const source = newIntegrity();
  const chunkOpts = { compressed: probe.compressed, size: probe.size, signal: opts.signal, onBytes: opts.onBytes, integrity: source };
  let used = false;

  async function* records(): AsyncGenerator<IngestItem> {
    if (used) throw new Error(`${file}: the records of a LibraryReader can be iterated only once`);
    used = true;
    const signal = opts.signal;
    const chunks = decodeChunks(readChunks(file, chunkOpts), probe.encoding);
    if (format === 'csv' || format === 'tsv') {
      const pieces = readUtf8Pieces(chunks, stats);
      for await (const batch of readTableItems(pieces, { file, delimiter: format === 'csv' ? ',' : '\t', columns: columns!, skipThrough })) {
        for (let i = 0; i < batch.length; i++) {
          if (signal?.aborted) signal.throwIfAborted();
          yield batch[i];
        }
      }
      return;
    }
    const parser = format === 'sdf' ? new SdfParser(skipThrough) : new SmilesParser(skipThrough);
    const out: IngestItem[] = [];
    let error: string | undefined;
    for await (const batch of readTextBatches(chunks, stats)) {
      parser.pushBatch(batch, out);
      stats.lines = parser.lineNo;
      error = batch.error;
      for (let i = 0; i < out.length; i++) {
        if (signal?.aborted) signal.throwIfAborted();
        yield out[i];
      }
      out.length = 0;
    }
    parser.end(out, error);
    for (let i = 0; i < out.length; i++) yield out[i];
  }

  return { format, compressed: probe.compressed, columns, records: { [Symbol.asyncIterator]: records }, stats, encoding: probe.encoding, source };
}
