/** Line-by-line reading of a text file, plain or gzip (bgzip included: concatenated members), detected by content. */
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ApiError } from '../api/errors.js';

export function isGzip(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new ApiError('BAD_FILE', `${file}: cannot read: ${(err as Error).message}`, { file });
  }
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Lines with 1-based numbers; a broken gzip stream ends in an ApiError naming the file. */
export async function* readLines(file: string): AsyncGenerator<{ text: string; line: number }> {
  const raw = createReadStream(file);
  let input: Readable = raw;
  let failure: Error | null = null;
  if (isGzip(file)) {
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    input = raw.pipe(gunzip);
  }
  input.on('error', (e) => (failure = e));
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of rl) {
      line++;
      yield { text: line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line };
    }
  } catch (err) {
    failure = err as Error;
  } finally {
    rl.close();
    raw.destroy();
  }
  if (failure) throw new ApiError('BAD_FILE', `${file}: cannot read past line ${line}: ${(failure as Error).message}`, { file, line });
}

/** The first `n` lines (for format detection). */
export async function headLines(file: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for await (const l of readLines(file)) {
    out.push(l.text);
    if (out.length >= n) break;
  }
  return out;
}
