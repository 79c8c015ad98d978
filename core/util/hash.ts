import { createHash } from 'node:crypto';
import fs from 'node:fs';

/** sha256 of a file, streamed; `onBytes` reports progress for large files. */
export async function sha256File(path: string, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let n = 0;
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    onBytes?.(n);
  }
  return hash.digest('hex');
}
