/**
 * Byte and line sources for the library readers: open a file, detect gzip by its magic bytes, stream
 * (decompressed) bytes with progress and cancellation, and cut them into lines without ever holding more
 * than one chunk plus one line in memory.
 *
 * Decoding policy (documented in index.ts): text is UTF-8; a UTF-8 BOM at the start is dropped; a line that
 * is not valid UTF-8 is decoded as Latin-1 (every byte maps to one character, so nothing is lost or
 * invented) and counted in `ReaderStats.latin1Lines`. Structure text (SMILES, molblock cores) is ASCII, so
 * the fallback only ever affects titles and data fields, where Latin-1/Windows-1252 is the usual legacy
 * encoding. UTF-16 (LE or BE, with a BOM or told by its zero bytes: structure text is ASCII, so every other
 * byte is 0) is decoded to UTF-8 before the parsers see it. Anything else that is not text (UTF-32, other
 * Unicode BOMs, NUL-filled binary, archives, PDFs, SQLite files) is refused when the file is opened, naming
 * what it looks like.
 *
 * Bookkeeping: the sha256 and byte count of the on-disk bytes are taken as they are read (one pass), and at
 * the end the open file's size and modification time are compared with those at the start, so a file that
 * was appended to, truncated or rewritten during the import is reported as changed (`SourceIntegrity`).
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import type { ReaderStats, SourceIntegrity, TextEncoding } from './types.js';
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
  encoding: TextEncoding;
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

/** Byte-order marks and file signatures of things that are not text a compound library can be read from. */
const REFUSED_SIGNATURES: { bytes: number[]; what: string }[] = [
  // UTF-32 first: its little-endian BOM starts like UTF-16LE's.
  { bytes: [0xff, 0xfe, 0x00, 0x00], what: 'UTF-32LE text (byte-order mark FF FE 00 00)' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], what: 'UTF-32BE text (byte-order mark 00 00 FE FF)' },
  { bytes: [0x2b, 0x2f, 0x76], what: 'UTF-7 text (byte-order mark "+/v")' },
  { bytes: [0xf7, 0x64, 0x4c], what: 'UTF-1 text' },
  { bytes: [0xdd, 0x73, 0x66, 0x73], what: 'UTF-EBCDIC text' },
  { bytes: [0x0e, 0xfe, 0xff], what: 'SCSU-compressed text' },
  { bytes: [0xfb, 0xee, 0x28], what: 'BOCU-1 text' },
  { bytes: [0x84, 0x31, 0x95, 0x33], what: 'GB18030 text' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an Excel .xlsx or an OpenDocument file?)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'an OLE2 document (an Excel .xls?)' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [...Buffer.from('SQLite format 3\0', 'latin1')], what: 'an SQLite database (a Strata project?)' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed data (only gzip is read)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data (only gzip is read)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data (only gzip is read)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
];

/**
 * The text encoding of a file from its first (decompressed) bytes: a BOM, or for UTF-16 without one the
 * pattern of zero bytes (chemistry files are ASCII, so UTF-16 puts a 0 in every other byte). Returns the
 * reason as a string when the content is something Strata does not read.
 */
export function detectEncoding(head: Buffer): TextEncoding | { refused: string } {
  for (const sig of REFUSED_SIGNATURES) {
    if (head.length >= sig.bytes.length && sig.bytes.every((b, i) => head[i] === b)) return { refused: sig.what };
  }
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf16be';
  const n = Math.min(head.length, 4096) & ~3;
  if (n < 4) return 'utf8';
  // Zero bytes by position modulo 4: UTF-16 has them at odd (LE) or even (BE) offsets, UTF-32 at 3 of 4.
  const zeros = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) if (head[i] === 0) zeros[i & 3]++;
  const q = n / 4;
  const total = zeros[0] + zeros[1] + zeros[2] + zeros[3];
  if (total === 0) return 'utf8';
  if (zeros[0] < 0.1 * q && zeros[1] > 0.9 * q && zeros[2] > 0.9 * q && zeros[3] > 0.9 * q) return { refused: 'UTF-32LE text (no byte-order mark)' };
  if (zeros[3] < 0.1 * q && zeros[0] > 0.9 * q && zeros[1] > 0.9 * q && zeros[2] > 0.9 * q) return { refused: 'UTF-32BE text (no byte-order mark)' };
  const even = zeros[0] + zeros[2];
  const odd = zeros[1] + zeros[3];
  if (odd > 0.6 * (n / 2) && even < 0.02 * (n / 2)) return 'utf16le';
  if (even > 0.6 * (n / 2) && odd < 0.02 * (n / 2)) return 'utf16be';
  // A stray NUL in a data field is the record's problem; a head full of them is not text at all.
  if (total >= 16 && total > 0.01 * n) return { refused: `binary data (${total} zero bytes in the first ${n})` };
  return 'utf8';
}

function refusedEncoding(file: string, what: string): Error {
  return new Error(`Cannot read library file ${file}: it is ${what}, not a text library; Strata reads UTF-8 (Latin-1 lines are accepted) and UTF-16 text: convert it, e.g. with iconv -t UTF-8, or export it as CSV/SDF/SMILES`);
}

/** Decode a head sample in its encoding (UTF-8 leniently, BOM dropped). */
function decodeHead(buf: Buffer, encoding: TextEncoding): string {
  if (encoding === 'utf8') return stripBomBuf(buf).toString('utf8');
  const even = buf.subarray(0, buf.length & ~1);
  const le = encoding === 'utf16le' ? even : Buffer.from(even).swap16();
  return new TextDecoder('utf-16le').decode(le);
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
      const encoding = detectEncoding(head);
      if (typeof encoding !== 'string') throw refusedEncoding(file, encoding.refused);
      const text = decodeHead(head, encoding);
      return { size, compressed: false, encoding, head: dropPartialLine(text, bytesRead >= size), headIsWhole: bytesRead >= size };
    }
    const { out, complete } = await gunzipHead(head, bytesRead >= size, file);
    const encoding = detectEncoding(out);
    if (typeof encoding !== 'string') throw refusedEncoding(file, `gzip-compressed ${encoding.refused}`);
    const text = decodeHead(out, encoding);
    return { size, compressed: true, encoding, head: dropPartialLine(text, complete), headIsWhole: complete };
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
  /** Filled in while reading: bytes and sha256 of what was read, and whether the file changed meanwhile. */
  integrity?: SourceIntegrity;
}

export function newIntegrity(): SourceIntegrity {
  return { bytes: 0, sha256: null, sizeAtOpen: null, changed: null };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** ISIZE from a gzip trailer when it is plausible (≥ the compressed size), else null. */
async function gzipTrailerSize(fh: fs.promises.FileHandle, size: number): Promise<number | null> {
  if (size < 18) return null;
  const b = Buffer.alloc(4);
  await fh.read(b, 0, 4, size - 4);
  const isize = b.readUInt32LE(0);
  return isize >= size ? isize : null;
}

/**
 * Stream the file's (decompressed) bytes. Progress counts on-disk bytes. On abort the pending read is
 * interrupted, the file is closed, and the generator throws `signal.reason`. The file is closed before the
 * generator settles, whichever way it ends (done, error, abort, or the consumer breaking out).
 * `opts.integrity` receives the byte count and sha256 of the on-disk bytes and, at the end, whether the file
 * changed while it was read.
 */
export async function* readChunks(file: string, opts: ChunkOptions): AsyncGenerator<Buffer> {
  const { signal, onBytes, size } = opts;
  const integrity = opts.integrity ?? newIntegrity();
  signal?.throwIfAborted();
  let fh: fs.promises.FileHandle;
  let st0: fs.Stats;
  try {
    // O_NONBLOCK: if the path was swapped for a FIFO since it was checked, opening must not hang.
    fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw describeFsError(file, err);
  }
  try {
    st0 = await fh.stat();
  } catch (err) {
    await fh.close();
    throw describeFsError(file, err);
  }
  if (!st0.isFile()) {
    await fh.close();
    throw new Error(`Cannot read library file ${file}: not a regular file`);
  }
  integrity.sizeAtOpen = st0.size;
  const hash = createHash('sha256');
  const rs = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false, start: 0 });
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
        // Every on-disk byte goes through the hash once, as it is read (a 'data' listener would race the iterator).
        hash.update(chunk);
        integrity.bytes += chunk.length;
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
      const isize = await gzipTrailerSize(fh, st0.size);
      let inflated = 0;
      rs.on('data', (c: string | Buffer) => {
        hash.update(c as Buffer);
        integrity.bytes += c.length;
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
      // Bytes after the gzip data (if any) are part of the file too: hash them before judging.
      if (!rs.readableEnded && !rs.destroyed) {
        rs.unpipe(g);
        const ended = once(rs, 'end');
        rs.resume();
        await ended;
      }
    }
    integrity.sha256 = hash.digest('hex');
    const st1 = await fh.stat();
    const why: string[] = [];
    if (st1.size !== st0.size) why.push(`its size went from ${st0.size} to ${st1.size} bytes`);
    else if (integrity.bytes !== st0.size) why.push(`${integrity.bytes} of its ${st0.size} bytes were read`);
    if (st1.mtimeMs !== st0.mtimeMs) why.push('it was modified');
    integrity.changed = why.length > 0 ? `${file} changed while it was being read (${why.join('; ')})` : null;
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
    await fh.close().catch(() => undefined);
  }
}

/**
 * UTF-16 bytes (LE or BE, BOM or not) → UTF-8 bytes, streaming: an odd byte or half a surrogate pair at a
 * chunk boundary waits for the next chunk (TextDecoder's stream mode). Unpaired surrogates become U+FFFD,
 * so a damaged record fails on its own. UTF-8 input passes through untouched.
 */
export async function* decodeChunks(chunks: AsyncIterable<Buffer>, encoding: TextEncoding): AsyncGenerator<Buffer> {
  if (encoding === 'utf8') {
    yield* chunks;
    return;
  }
  const dec = new TextDecoder('utf-16le');
  let carry: Buffer | null = null;
  for await (const chunk of chunks) {
    let b: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    if (b.length & 1) {
      carry = Buffer.from(b.subarray(b.length - 1));
      b = b.subarray(0, b.length - 1);
    }
    if (b.length === 0) continue;
    // swap16 works in place: copy first so the caller's buffer is left alone.
    const le = encoding === 'utf16le' ? b : Buffer.from(b).swap16();
    const text = dec.decode(le, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const tail = dec.decode(carry ?? undefined) + (carry ? '\ufffd' : '');
  if (tail.length > 0) yield Buffer.from(tail, 'utf8');
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

/** A line longer than the line cap, in the table stream: reported as one bad record by the table reader. */
export interface OverlongLine {
  overlong: true;
  /** 1-based line number. */
  line: number;
  /** Length in bytes. */
  bytes: number;
  /** The cap it went over. */
  limit: number;
  excerpt: string;
}

/**
 * Byte pieces that end on line boundaries and are valid UTF-8 (lines that were not are re-encoded from
 * Latin-1), for the CSV parser. A line longer than `maxLine` comes through as an `OverlongLine` marker
 * instead of its bytes (never buffered), so the table reader can report it and go on.
 */
export async function* readUtf8Pieces(chunks: AsyncIterable<Buffer>, stats: ReaderStats, maxLine = MAX_LINE_BYTES): AsyncGenerator<Buffer | OverlongLine> {
  const splitter = new Splitter(maxLine);
  const pieces: Piece[] = [];
  const emit = function* (): Generator<Buffer | OverlongLine> {
    for (const p of pieces) {
      if (p.kind === 'overlong') {
        stats.lines++;
        yield { overlong: true, line: stats.lines, bytes: p.length, limit: maxLine, excerpt: decodeExcerpt(p.head) };
        continue;
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
