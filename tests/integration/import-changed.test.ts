/**
 * A library file that another process truncates while it is being imported (issue 10: it used to be recorded
 * as completely imported with the full file's sha256, and importing it again then did nothing). Through the
 * typed API, with real worker threads and a real second process (`truncate`) changing the file on disk.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../../core/engine.js';
import { createClient } from '../../core/api/client.js';
import type { ImportSummary } from '../../core/api/contract.js';

const tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-changed-'));
after(() => fs.rmSync(tmpdir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('a file truncated during import is recorded as changed (failed, with the reason), with the sha256 and size of what was read; importing it again reads it', async () => {
  // Rows padded to ~8 KiB: a 1 MiB read holds ~128 rows, so the file is still being read when the first
  // batch is committed, and the chemistry stays small.
  const rows = ['smiles,id,pad'];
  const smiles = ['CCO', 'c1ccccc1O', 'CC(=O)Nc1ccc(O)cc1', 'CCN(CC)CC', 'OC(=O)c1ccccc1'];
  for (let i = 0; i < 1500; i++) rows.push(`${smiles[i % 5]}${'C'.repeat(i % 7)},m${i},${'x'.repeat(8000)}`);
  const original = Buffer.from(`${rows.join('\n')}\n`);
  const file = path.join(tmpdir, 'shrinking.csv');
  fs.writeFileSync(file, original);
  const cutAt = 4 << 20;

  const engine = await createEngine({ projectFile: path.join(tmpdir, 'p.strata'), threads: 2 });
  const api = createClient(engine.dispatcher);
  try {
    const { jobId } = await api.call('library.import', { files: [file] });
    let cut = false;
    const off = api.on('job.progress', (p) => {
      if (!cut && p.jobId === jobId && p.stage.startsWith('import ') && p.done > 0) {
        cut = true;
        execFileSync('truncate', ['-s', String(cutAt), file]);
      }
    });
    const state = await api.call('job.wait', { jobId });
    off();
    assert.ok(cut, 'the file was truncated during the import');
    // The import did not do what was asked: it ends failed with the file's reason, and keeps its summary.
    assert.equal(state.status, 'failed', JSON.stringify(state.error));
    assert.match(state.error?.message ?? '', /shrinking\.csv changed while it was being read/);
    const s = state.result as ImportSummary;
    const f = s.files[0];
    assert.match(f.error ?? '', new RegExp(`^changed during import, not complete: .*shrinking\\.csv changed while it was being read \\(its size went from ${original.length} to ${cutAt} bytes`));
    assert.equal(f.read, f.imported + f.duplicates + f.failed);
    assert.ok(f.read > 0 && f.read < 1500, `read ${f.read}`);

    const info = await api.call('project.info', {});
    assert.equal(info.sources.length, 1);
    const src = info.sources[0];
    assert.equal(src.status, 'failed');
    // The size and sha256 are those of the bytes actually read (a prefix of the original), not the file's at the start.
    assert.ok(src.size >= cutAt && src.size < original.length, `size ${src.size}`);
    assert.equal(src.sha256, sha(original.subarray(0, src.size)));
    assert.notEqual(src.sha256, sha(original));
    assert.equal(src.read, f.read);

    // Importing the file as it is now reads it (it used to say "already imported, nothing to do").
    const truncated = fs.readFileSync(file);
    const again = await api.call('library.import', { files: [file] });
    const st2 = await api.call('job.wait', { jobId: again.jobId });
    const s2 = st2.result as ImportSummary;
    assert.equal(s2.files[0].skippedAsAlreadyImported, false);
    assert.equal(s2.files[0].error, null);
    const info2 = await api.call('project.info', {});
    const done = info2.sources.filter((x) => x.status === 'complete');
    assert.equal(done.length, 1);
    assert.equal(done[0].sha256, sha(truncated));
    assert.equal(done[0].size, truncated.length);
    // Every row of the truncated file (its cut-off last line included) is accounted for by the complete source.
    const dataRows = truncated.toString('latin1').split('\n').length - 1 - (truncated[truncated.length - 1] === 10 ? 1 : 0);
    assert.equal(done[0].read, dataRows);
    assert.equal(done[0].read, done[0].imported + done[0].duplicates + done[0].failed);
  } finally {
    await engine.close();
  }
});
