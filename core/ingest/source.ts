/**
 * Byte and line sources for the library readers: open a file, detect gzip by its magic bytes, stream
 * (decompressed) bytes with progress and cancellation, and cut them into lines without ever holding more
 * than one chunk plus one line in memory.
 *
 * Decoding policy (documented in index.ts): text is UTF-8; a UTF-8 BOM at the start is dropped; a line that
 * is not valid UTF-8 is decoded as Latin-1 (every byte maps to one character, so nothing is lost or
 * invented) and counted in `ReaderStats.latin1Lines`. Structure text (SMILES, molblock cores) is ASCII, so
 * the fallback only ever affects titles and data fields, where Latin-1/Windows-1252 is the usual legacy
 * encoding.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import type { ReaderStats } from './types.js';
import { MAX_LINE_BYTES, EXCERPT_CHARS } from './types.js';

/** On-disk read size: large enough that per-chunk overhead vanishes, small enough to keep memory flat. */
const READ_CHUNK = 1 << 20;
const GUNZIP_CHUNK = 1 << 17;
/** How much of the file the format/column sniffing reads, and at most how much it decompresses from that. */
const HEAD_RAW_BYTES = 1 << 16;
const HEAD_BYTES = 1 << 20;

export function isGzipMagic(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/** Thrown (internally) when the gzip layer fails: the lines read so far are good, the rest is unreadable. */
export class GzipDataError extends Error {}

export interface FileProbe {
  size: number;
  compressed: boolean;
  /** Start of the content (BOM dropped; the first 64 KiB of a plain file, up to 1 MiB decompressed from a gzip one), decoded leniently, whole lines only; for sniffing. */
  head: string;
  /** True when `head` holds the whole (decompressed) file. */
  headIsWhole: boolean;
}

function describeFsError(file: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file'
    : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
    : e.code === 'EISDIR' ? 'is a directory'
    : e.message;
  return new Error(`Cannot read library file ${file}: ${why}`);
}

/** Stat and sniff a file: size, gzip (by magic bytes), and the start of its text. Throws a clear Error naming the file. */
export async function probeFile(file: string): Promise<FileProbe> {
  let fh: fs.promises.FileHandle;
  try {
    const st = await fs.promises.stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw new Error('not a regular file');
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    throw describeFsError(file, err);
  }
  try {
    const size = (await fh.stat()).size;
    const raw = Buffer.alloc(Math.min(HEAD_RAW_BYTES, size));
    const { bytesRead } = await fh.read(raw, 0, raw.length, 0);
    const head = raw.subarray(0, bytesRead);
    if (!isGzipMagic(head)) {
      const text = stripBomBuf(head).toString('utf8');
      return { size, compressed: false, head: dropPartialLine(text, bytesRead >= size), headIsWhole: bytesRead >= size };
    }
    const { out, complete } = await gunzipHead(head, bytesRead >= size, file);
    const text = stripBomBuf(out).toString('utf8');
    return { size, compressed: true, head: dropPartialLine(text, complete), headIsWhole: complete };
  } finally {
    await fh.close();
  }
}

/** Keep only whole lines of a head sample, so sniffers never see a cut-off token (unless the sample is the whole file). */
function dropPartialLine(text: string, whole: boolean): string {
  if (whole) return text;
  const nl = text.lastIndexOf('\n');
  return nl >= 0 ? text.slice(0, nl + 1) : text;
}

function stripBomBuf(b: Buffer): Buffer {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

/** Decompress the start of a gzip file, at most HEAD_BYTES of output (a small input may expand enormously). */
function gunzipHead(raw: Buffer, rawIsWhole: boolean, file: string): Promise<{ out: Buffer; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const gz = zlib.createGunzip();
    const parts: Buffer[] = [];
    let n = 0;
    let done = false;
    const finish = (complete: boolean) => {
      if (done) return;
      done = true;
      resolve({ out: Buffer.concat(parts), complete });
    };
    gz.on('data', (c: Buffer) => {
      if (done) return;
      parts.push(c);
      n += c.length;
      if (n >= HEAD_BYTES) {
        finish(false);
        gz.destroy();
      }
    });
    gz.on('end', () => finish(rawIsWhole));
    gz.on('error', (err) => {
      if (done) return;
      // A cut-off sample of a larger file ends with "unexpected end of file": expected, keep what came out.
      if (!rawIsWhole && n > 0) finish(false);
      else if (rawIsWhole && n > 0) finish(true);
      else {
        done = true;
        reject(new Error(`Cannot read library file ${file}: gzip data is corrupt (${err.message})`));
      }
    });
    gz.end(raw);
  });
}

export interface ChunkOptions {
  compressed: boolean;
  size: number;
  signal?: AbortSignal;
  onBytes?: (bytesRead: number, totalBytes: number) => void;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Stream the file's (decompressed) bytes. Progress counts on-disk bytes. On abort the pending read is
 * interrupted, the file is closed, and the generator throws `signal.reason`. The file is closed before the
 * generator settles, whichever way it ends (done, error, abort, or the consumer breaking out).
 */
/** ISIZE from a gzip trailer when it is plausible (≥ the compressed size), else null. */
function gzipTrailerSize(file: string, size: number): number | null {
  if (size < 18) return null;
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, size - 4);
    const isize = b.readUInt32LE(0);
    return isize >= size ? isize : null;
  } finally {
    fs.closeSync(fd);
  }
}

export async function* readChunks(file: string, opts: ChunkOptions): AsyncGenerator<Buffer> {
  const { signal, onBytes, size } = opts;
  signal?.throwIfAborted();
  const rs = fs.createReadStream(file, { highWaterMark: READ_CHUNK });
  let gz: zlib.Gunzip | null = null;
  let bytes = 0;
  const onAbort = () => {
    const reason = abortReason(signal!);
    rs.destroy(reason as Error);
    gz?.destroy(reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (!opts.compressed) {
      for await (const chunk of rs as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        onBytes?.(bytes, size);
        if (signal?.aborted) throw abortReason(signal);
        yield chunk;
      }
    } else {
      const g = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK });
      gz = g;
      // Progress in decompressed bytes against the gzip trailer's ISIZE (the uncompressed size mod
      // 2^32): on-disk bytes are consumed far ahead of the records (the whole of a small file at once).
      // When ISIZE cannot be right (a file over 4 GiB, several members), fall back to on-disk bytes.
      const isize = gzipTrailerSize(file, size);
      let inflated = 0;
      rs.on('data', (c: string | Buffer) => {
        bytes += c.length;
        if (isize === null) onBytes?.(bytes, size);
      });
      rs.on('error', (err) => g.destroy(err));
      rs.pipe(g);
      try {
        for await (const chunk of g as AsyncIterable<Buffer>) {
          if (signal?.aborted) throw abortReason(signal);
          if (isize !== null) {
            inflated += chunk.length;
            onBytes?.(Math.min(inflated, isize), isize);
          }
          yield chunk;
        }
      } catch (err) {
        if (signal?.aborted) throw abortReason(signal);
        const e = err as NodeJS.ErrnoException;
        // zlib errors carry a Z_* code; file-system errors (EIO, ...) are not gzip trouble.
        if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
          throw new GzipDataError(`gzip data is corrupt or truncated (${e.message})`);
        }
        throw err;
      }
    }
  } catch (err) {
    if (signal?.aborted) throw abortReason(signal);
    if (err instanceof GzipDataError) throw err;
    throw describeFsError(file, err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    gz?.destroy();
    if (!rs.closed) {
      const closed = once(rs, 'close').catch(() => undefined);
      rs.destroy();
      await closed;
    }
  }
}

/** One decoded piece of the line stream. */
export interface TextBatch {
  /**
   * Whole lines, each ending in '\n' except possibly the file's last line (a '\r' before the '\n' is kept:
   * parsers strip it). Line numbers are counted by the parser (it scans every line anyway).
   */
  text: string;
  /** 0-based line indices (within this batch) of lines longer than MAX_LINE_BYTES: the line holds only an excerpt; value = its length in bytes. */
  overlong: Map<number, number> | null;
  /** Set on the last batch when the data ended with an error (corrupt gzip): reading cannot go on past these lines. */
  error?: string;
}

/** A piece of complete lines as bytes, or one line that was too long to keep. */
type Piece = { kind: 'bytes'; buf: Buffer } | { kind: 'overlong'; length: number; head: Buffer };

/**
 * Cuts a byte stream at '\n' boundaries, so every emitted piece holds whole lines (and so whole UTF-8
 * characters). A line that grows past `maxLine` is not buffered further: only its first bytes are kept for
 * the excerpt, the rest is counted and dropped. The cap is checked on lines that span read chunks; a line
 * inside one chunk is bounded by the chunk size (1 MiB), far below the cap.
 */
class Splitter {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private discarding = false;
  private discardHead: Buffer | null = null;
  private discardLen = 0;
  private atStart = true;
  private bomProbe: Buffer | null = null;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, out: Piece[]): void {
    if (this.atStart) {
      // The BOM check needs the first 3 bytes, which a tiny first chunk may not hold.
      const b = this.bomProbe ? Buffer.concat([this.bomProbe, chunk]) : chunk;
      if (b.length < 3) {
        this.bomProbe = b;
        return;
      }
      this.atStart = false;
      this.bomProbe = null;
      chunk = stripBomBuf(b);
    }
    let pos = 0;
    const first = chunk.indexOf(10);
    if (first < 0) {
      this.addPending(chunk);
      return;
    }
    if (this.discarding || this.pendingLen > 0) {
      this.addPending(chunk.subarray(0, first));
      this.flushPendingLine(out, true);
      pos = first + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= pos) {
      out.push({ kind: 'bytes', buf: chunk.subarray(pos, last + 1) });
      pos = last + 1;
    }
    if (pos < chunk.length) this.addPending(chunk.subarray(pos));
  }

  end(out: Piece[]): void {
    if (this.atStart && this.bomProbe) {
      this.atStart = false;
      const b = stripBomBuf(this.bomProbe);
      this.bomProbe = null;
      if (b.length > 0) this.addPending(b);
    }
    if (this.discarding || this.pendingLen > 0) this.flushPendingLine(out, false);
  }

  /** Drop any partial line (used when the stream ended in error: a cut-off line must not pass as a record). */
  dropPending(): boolean {
    const had = this.discarding || this.pendingLen > 0;
    this.pending = [];
    this.pendingLen = 0;
    this.discarding = false;
    this.discardHead = null;
    this.discardLen = 0;
    return had;
  }

  private addPending(b: Buffer): void {
    if (b.length === 0) return;
    if (this.discarding) {
      this.discardLen += b.length;
      return;
    }
    if (this.pendingLen + b.length > this.maxLine) {
      const all = Buffer.concat([...this.pending, b]);
      this.discardHead = Buffer.from(all.subarray(0, EXCERPT_CHARS * 4));
      this.discardLen = all.length;
      this.pending = [];
      this.pendingLen = 0;
      this.discarding = true;
      return;
    }
    this.pending.push(b);
    this.pendingLen += b.length;
  }

  private flushPendingLine(out: Piece[], withNewline: boolean): void {
    if (this.discarding) {
      out.push({ kind: 'overlong', length: this.discardLen, head: this.discardHead ?? Buffer.alloc(0) });
      this.discarding = false;
      this.discardHead = null;
      this.discardLen = 0;
      return;
    }
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingLen);
    this.pending = [];
    this.pendingLen = 0;
    // Keep the invariant "a bytes piece ends with '\n' unless it is the file's last line".
    out.push({ kind: 'bytes', buf: withNewline ? Buffer.concat([buf, NEWLINE]) : buf });
  }
}

const NEWLINE = Buffer.from('\n');

function noteLatin1(stats: ReaderStats, lineNo: number): void {
  stats.latin1Lines++;
  if (stats.firstLatin1Line === null) stats.firstLatin1Line = lineNo;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Decode whole lines. Fast path: one validity check and one decode for the piece. Otherwise line by line,
 * Latin-1 for the lines that are not UTF-8 (`firstLineNo` numbers them for the stats).
 */
function decodeText(buf: Buffer, firstLineNo: number, stats: ReaderStats): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  const parts: string[] = [];
  let start = 0;
  let n = 0;
  while (start < buf.length) {
    let end = buf.indexOf(10, start);
    const last = end < 0;
    if (last) end = buf.length;
    const line = buf.subarray(start, end);
    if (isUtf8(line)) parts.push(line.toString('utf8'));
    else {
      parts.push(line.toString('latin1'));
      noteLatin1(stats, firstLineNo + n);
    }
    n++;
    start = end + 1;
  }
  const text = parts.join('\n');
  return buf[buf.length - 1] === 10 ? `${text}\n` : text;
}

/** Copy a string so it does not keep a large parent string alive (V8 slices share their parent's memory). */
export function detach(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function decodeExcerpt(head: Buffer): string {
  const s = isUtf8(head) ? head.toString('utf8') : head.toString('latin1');
  return s.slice(0, EXCERPT_CHARS).replace(/[\r\n]/g, ' ');
}

/**
 * The text of a file in batches of whole lines (one per read chunk), with over-long lines cut to an
 * excerpt and marked, and a final batch carrying `error` if the gzip data broke off (its partial last line
 * is dropped so that a cut-off line never passes as a record). `stats.lines` must be kept up to date by
 * the consumer (it numbers Latin-1 lines).
 */
export async function* readTextBatches(chunks: AsyncIterable<Buffer>, stats: ReaderStats, maxLine = MAX_LINE_BYTES): AsyncGenerator<TextBatch> {
  const splitter = new Splitter(maxLine);
  const pieces: Piece[] = [];
  const toBatch = (): TextBatch | null => {
    if (pieces.length === 0) return null;
    let text = '';
    let overlong: Map<number, number> | null = null;
    for (const p of pieces) {
      if (p.kind === 'bytes') {
        // Line numbers of earlier pieces in this batch are only needed on the (rare) Latin-1 path.
        text += isUtf8(p.buf) ? p.buf.toString('utf8') : decodeText(p.buf, stats.lines + 1 + countNewlines(text), stats);
      } else {
        overlong ??= new Map();
        overlong.set(countNewlines(text), p.length);
        text += `${decodeExcerpt(p.head)}\n`;
      }
    }
    pieces.length = 0;
    return { text, overlong };
  };
  try {
    for await (const chunk of chunks) {
      splitter.push(chunk, pieces);
      const b = toBatch();
      if (b) yield b;
    }
  } catch (err) {
    if (!(err instanceof GzipDataError)) throw err;
    const b = toBatch() ?? { text: '', overlong: null };
    const cut = splitter.dropPending();
    b.error = cut ? `${err.message}; the data breaks off in the middle of a line` : err.message;
    yield b;
    return;
  }
  splitter.end(pieces);
  const b = toBatch();
  if (b) yield b;
}

/**
 * Byte pieces that end on line boundaries and are valid UTF-8 (lines that were not are re-encoded from
 * Latin-1), for the CSV parser. An over-long line throws: with quoting, a table cannot be resynchronised
 * safely after dropping part of it.
 */
export async function* readUtf8Pieces(chunks: AsyncIterable<Buffer>, stats: ReaderStats, file: string, maxLine = MAX_LINE_BYTES): AsyncGenerator<Buffer> {
  const splitter = new Splitter(maxLine);
  const pieces: Piece[] = [];
  const emit = function* (): Generator<Buffer> {
    for (const p of pieces) {
      if (p.kind === 'overlong') {
        throw new Error(`${file}: line ${stats.lines + 1} is ${p.length} bytes long, more than the limit of ${maxLine} bytes; not a compound table?`);
      }
      const buf = p.buf;
      let nl = 0;
      for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) nl++;
      const lineCount = buf.length > 0 && buf[buf.length - 1] !== 10 ? nl + 1 : nl;
      if (isUtf8(buf)) yield buf;
      else yield Buffer.from(decodeText(buf, stats.lines + 1, stats), 'utf8');
      stats.lines += lineCount;
    }
    pieces.length = 0;
  };
  for await (const chunk of chunks) {
    splitter.push(chunk, pieces);
    yield* emit();
  }
  splitter.end(pieces);
  yield* emit();
}
