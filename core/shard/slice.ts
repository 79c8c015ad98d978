/**
 * Cutting a library file into shards at record boundaries, in one streaming pass.
 *
 * Plain files are never copied: a shard is a byte range of the original (plus the file's header
 * bytes, which a shard needs to read its columns), so `shard run` can seek straight to its slice.
 * Gzip cannot be seeked, so `prep` decompresses once and writes one small gzip file per shard
 * (header included); the shard's slice is then that whole file.
 *
 * What counts as a record here must match the readers in core/ingest, or shard sizes drift (the
 * results would still be right — each shard imports whatever its bytes hold — only the sizes):
 * - SMILES/CSV/TSV: one non-blank line per record (SMILES files also skip `#` comment lines); CSV
 *   and TSV lines with an open double quote continue onto the next line (RFC 4180 quoted newlines);
 * - SDF: a record ends with its `$$$$` line.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { openLibrary } from '../ingest/index.js';
import type { LibraryFormat } from '../ingest/index.js';

export interface SliceSpec {
  /** Index into the manifest's inputs. */
  input: number;
  /** The file the shard reads: the input itself (plain) or its prepared chunk (gzip inputs). */
  file: string;
  /** Byte range [start, end) of `file` holding the shard's records. */
  start: number;
  end: number;
  /** Bytes [0, headerBytes) of `file` are the header a slice is read with (0: none, or a chunk that carries it). */
  headerBytes: number;
  /** Lines in front of the slice's records when it is read (the header's). */
  headerLines: number;
  /** sha256 of bytes [start, end) of `file` (a chunk: of the whole file). */
  sha256: string;
  /** Records in the slice, as counted here (see the header comment). */
  records: number;
  /** 1-based line of the original (decompressed) input where the slice's first record starts. */
  firstLine: number;
  /** Records of the same input before this slice. */
  recordsBefore: number;
}

export interface InputInfo {
  path: string;
  name: string;
  size: number;
  sha256: string;
  format: LibraryFormat;
  compressed: boolean;
}

const READ_BYTES = 1 << 20;

interface Cut {
  start: number;
  end: number;
  records: number;
  firstLine: number;
  recordsBefore: number;
  hash: crypto.Hash;
}

/**
 * Scans decompressed bytes line by line, finds the header and the record boundaries, and emits a cut
 * every `shardSize` records. Byte offsets are of the stream it is fed.
 */
class RecordScanner {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private offset = 0; // stream offset of the first pending byte
  private line = 0;
  private inQuote = false;
  private headerDone: boolean;
  headerBytes = 0;
  headerLines = 0;
  private current: Cut | null = null;
  private recordsSeen = 0;
  readonly cuts: Cut[] = [];
  /** The header's raw bytes (for chunk files). */
  header: Buffer = Buffer.alloc(0);

  constructor(
    private format: LibraryFormat,
    private hasHeader: boolean,
    private shardSize: number,
    private onBytes?: (bytes: Buffer, cut: Cut) => void,
    private onCutEnd?: (cut: Cut) => void,
  ) {
    this.headerDone = !hasHeader;
  }

  push(buf: Buffer): void {
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, from);
      if (nl < 0) break;
      this.pending.push(buf.subarray(from, nl + 1));
      this.pendingBytes += nl + 1 - from;
      this.endLine();
      from = nl + 1;
    }
    if (from < buf.length) {
      this.pending.push(buf.subarray(from));
      this.pendingBytes += buf.length - from;
    }
  }

  finish(): void {
    if (this.pendingBytes > 0) this.endLine();
    if (this.current) this.closeCut();
  }

  private endLine(): void {
    const bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    const start = this.offset;
    this.offset += bytes.length;
    this.pendingBytes = 0;
    this.line++;
    const text = bytes.toString('latin1');
    const trimmed = text.trim();
    if (!this.headerDone) {
      // The header is the first line that is neither blank nor (SMILES files) a comment; every byte up
      // to its end is copied in front of each slice.
      this.header = Buffer.concat([this.header, bytes]);
      if (trimmed !== '' && !(this.format === 'smi' && trimmed.startsWith('#'))) {
        this.headerDone = true;
        this.headerBytes = this.offset;
        this.headerLines = this.line;
      }
      return;
    }
    if (!this.current) {
      this.current = { start, end: start, records: 0, firstLine: this.line, recordsBefore: this.recordsSeen, hash: crypto.createHash('sha256') };
    }
    const cut = this.current;
    cut.end = this.offset;
    cut.hash.update(bytes);
    this.onBytes?.(bytes, cut);
    let recordEnds: boolean;
    if (this.format === 'sdf') {
      recordEnds = trimmed === '$$$$';
    } else {
      if (this.format === 'csv' || this.format === 'tsv') {
        let quotes = 0;
        for (let i = bytes.indexOf(0x22); i >= 0; i = bytes.indexOf(0x22, i + 1)) quotes++;
        if (quotes % 2 === 1) this.inQuote = !this.inQuote;
      }
      const content = trimmed !== '' && !(this.format === 'smi' && trimmed.startsWith('#'));
      recordEnds = content && !this.inQuote;
    }
    if (recordEnds) {
      cut.records++;
      this.recordsSeen++;
      if (cut.records >= this.shardSize) this.closeCut();
    }
  }

  private closeCut(): void {
    const cut = this.current!;
    this.current = null;
    if (cut.end > cut.start) {
      this.cuts.push(cut);
      this.onCutEnd?.(cut);
    }
  }
}

/** Format, gzip and header presence of an input, as the import would read it. */
export async function describeInput(file: string, opts: { format?: LibraryFormat; smilesColumn?: string; idColumn?: string }): Promise<{ format: LibraryFormat; compressed: boolean; hasHeader: boolean }> {
  // openLibrary checks what an import would check (format, structure column), so a plan fails here
  // rather than in every shard.
  const reader = await openLibrary(file, opts);
  const hasHeader = reader.format === 'csv' || reader.format === 'tsv' || (reader.format === 'smi' && reader.columns !== undefined);
  return { format: reader.format, compressed: reader.compressed, hasHeader };
}

/** Byte-range slices of a plain (uncompressed) input, `shardSize` records each. */
export async function planPlainSlices(inputIndex: number, file: string, format: LibraryFormat, hasHeader: boolean, shardSize: number): Promise<SliceSpec[]> {
  const scanner = new RecordScanner(format, hasHeader, shardSize);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_BYTES })) scanner.push(chunk as Buffer);
  scanner.finish();
  return scanner.cuts.map((c) => ({
    input: inputIndex, file, start: c.start, end: c.end, headerBytes: scanner.headerBytes, headerLines: scanner.headerLines, sha256: c.hash.digest('hex'),
    records: c.records, firstLine: c.firstLine, recordsBefore: c.recordsBefore,
  }));
}

/**
 * `shard prep`: decompress a gzip input once and write one gzip chunk per shard into `outDir`
 * (`<name>.<index>.<ext>.gz`, header included). Each chunk is written to a temp name and renamed, so
 * an interrupted prep leaves no half chunk under a final name.
 */
export async function prepGzipSlices(inputIndex: number, file: string, format: LibraryFormat, hasHeader: boolean, shardSize: number, outDir: string): Promise<SliceSpec[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.basename(file).replace(/\.gz$/i, '');
  const ext = path.extname(base) || `.${format}`;
  const stem = base.slice(0, base.length - path.extname(base).length) || base;
  let current: Buffer[] = [];
  const specs: SliceSpec[] = [];
  const scanner = new RecordScanner(format, hasHeader, shardSize, (bytes) => current.push(bytes), (cut) => {
    const k = specs.length;
    const name = `${stem}.${String(inputIndex).padStart(2, '0')}-${String(k).padStart(5, '0')}${ext}.gz`;
    const target = path.join(outDir, name);
    // Level and input fixed: the chunk's bytes (and sha256) are the same on every prep of the same input.
    const gz = zlib.gzipSync(Buffer.concat([scanner.header, ...current]), { level: 6 });
    const tmp = `${target}.partial`;
    fs.writeFileSync(tmp, gz);
    fs.renameSync(tmp, target);
    current = [];
    specs.push({ input: inputIndex, file: target, start: 0, end: gz.length, headerBytes: 0, headerLines: scanner.headerLines, sha256: crypto.createHash('sha256').update(gz).digest('hex'),
      records: cut.records, firstLine: cut.firstLine, recordsBefore: cut.recordsBefore });
  });
  const stream = fs.createReadStream(file, { highWaterMark: READ_BYTES }).pipe(zlib.createGunzip());
  for await (const chunk of stream) scanner.push(chunk as Buffer);
  scanner.finish();
  return specs;
}

/**
 * Writes the file a shard imports: the header bytes and the slice's bytes of a plain input (checked
 * against the plan's sha256), or a link/copy of a prepared chunk. Throws SliceChangedError when the
 * bytes are not those planned.
 */
export async function materialiseSlice(spec: SliceSpec, target: string): Promise<void> {
  const fd = await fs.promises.open(spec.file, 'r');
  try {
    const hash = crypto.createHash('sha256');
    const out = await fs.promises.open(target, 'w');
    try {
      if (spec.headerBytes > 0) {
        const header = Buffer.alloc(spec.headerBytes);
        await fd.read(header, 0, header.length, 0);
        await out.write(header);
      }
      const buf = Buffer.alloc(Math.min(READ_BYTES, Math.max(1, spec.end - spec.start)));
      for (let pos = spec.start; pos < spec.end;) {
        const n = Math.min(buf.length, spec.end - pos);
        const { bytesRead } = await fd.read(buf, 0, n, pos);
        if (bytesRead === 0) throw new SliceChangedError(`${spec.file}: ends at byte ${pos}, but the plan's slice runs to byte ${spec.end} (the file changed since it was planned)`);
        hash.update(buf.subarray(0, bytesRead));
        await out.write(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } finally {
      await out.close();
    }
    const sha = hash.digest('hex');
    if (sha !== spec.sha256) throw new SliceChangedError(`${spec.file}: bytes ${spec.start}–${spec.end} have sha256 ${sha.slice(0, 12)}…, the plan recorded ${spec.sha256.slice(0, 12)}… (the input changed since it was planned)`);
  } finally {
    await fd.close();
  }
}

/** The input's bytes are not those the plan recorded: bad input, not worth retrying. */
export class SliceChangedError extends Error {}
