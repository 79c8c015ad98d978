/**
 * Uploads for the Import view of a shared server: the browser sends the file's bytes
 * (`POST /api/upload?name=library.sdf`, body = the file), the host streams them to a new folder
 * under the upload directory and answers with the server path, which `library.import` then reads.
 * The body is never held in memory, its size is capped (declared and actual, chunked bodies
 * included), and a refused or broken upload leaves no file behind.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Names an upload may have: a compound library or a measurements table (the importer also detects gzip by
 * content), or a lab's genotype panel for panel.predict (VCF, MAF, .seg copy-number segments).
 */
const UPLOAD_NAME = /\.(sdf|sd|mol|smi|smiles|csv|tsv|txt|vcf|maf|seg)(\.gz)?$/i;

export class UploadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** A safe file name from the browser's: base name only, no leading dot, plain characters. */
export function uploadName(given: string | null): string {
  const base = path.basename(String(given ?? '').replace(/\\/g, '/')).normalize('NFC');
  const clean = base.replace(/[^\w.+-]+/g, '_').replace(/^[._]+/, '').slice(-200);
  if (!clean || !UPLOAD_NAME.test(clean)) {
    throw new UploadError(400, `upload '${String(given ?? '').slice(0, 100)}': the name must end in .sdf, .sd, .mol, .smi, .smiles, .csv, .tsv, .txt, .vcf, .maf or .seg (optionally .gz)`);
  }
  return clean;
}

export interface Uploaded {
  path: string;
  name: string;
  size: number;
}

/** Streams the request body to `<dir>/<random>/<name>`; throws UploadError 413 past `maxBytes`. */
export async function receiveUpload(req: IncomingMessage, dir: string, rawName: string | null, maxBytes: number): Promise<Uploaded> {
  const name = uploadName(rawName);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > maxBytes) throw new UploadError(413, `upload of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  const folder = path.join(dir, `${new Date().toISOString().slice(0, 10)}-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(folder, { recursive: true });
  const file = path.join(folder, name);
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) done(new UploadError(413, `upload exceeds the limit of ${maxBytes} bytes`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(file, { flags: 'wx' }));
  } catch (err) {
    await fs.rm(folder, { recursive: true, force: true });
    if (err instanceof UploadError) throw err;
    throw new UploadError(400, `upload '${name}' was interrupted: ${(err as Error).message}`);
  }
  return { path: file, name, size };
}
