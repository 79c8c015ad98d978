/**
 * The shard pipeline on a real Slurm (single node on 127.0.0.1, started by .ci/slurm-up.sh): plan a
 * shared library into 8 shards, submit the emitted script with `sbatch --wait`, with one shard's
 * input bytes changed on purpose so its task fails (65); `status` finds exactly it; resubmit only
 * it; the merge equals one machine's import + screen. Skipped, saying why, where no Slurm answers.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '../../core/api/client.js';
import type { RankedRow } from '../../core/api/contract.js';
import { createEngine } from '../../core/engine.js';
import type { ScreenOutput } from '../../core/screen/screen.js';
import { emitSubmit } from '../../core/shard/emit.js';
import { planShards } from '../../core/shard/manifest.js';
import { mergeShards } from '../../core/shard/merge.js';
import { shardStatus } from '../../core/shard/status.js';
import { assertSameRows } from './shard-helpers.js';

const DATA = path.resolve(import.meta.dirname, '../../../shared/data/libraries');
const SUBGROUPS = ['BRAF_mut AND tissue=skin', 'KRAS_mut'];
const K = 25;

function slurmReachable(): string | null {
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  if (sinfo.error) return `no Slurm client here (${sinfo.error.message}); .ci/slurm-up.sh starts a single-node Slurm`;
  if (sinfo.status !== 0) return `Slurm does not answer (sinfo: ${sinfo.stderr.trim()}); set SLURM_CONF or run .ci/slurm-up.sh`;
  if (!/idle|mixed|alloc/.test(sinfo.stdout)) return `no usable Slurm node (sinfo: ${sinfo.stdout.trim()})`;
  return null;
}

const skip = slurmReachable();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-slurm-'));

describe('shards on Slurm', { skip: skip ?? false }, () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('sbatch --wait, one task failed on purpose, status, resubmit only it, merge = one machine', async () => {
    const csv = path.join(tmp, 'drugs.csv');
    fs.copyFileSync(path.join(DATA, 'approved_drugs_chembl.csv'), csv);
    const work = path.join(tmp, 'work');
    const { manifest: m } = await planShards({ inputs: [csv], work, shardSize: 330, subgroups: SUBGROUPS, top: K });
    assert.equal(m.shards.length, 8);
    const { file } = emitSubmit({ work, engine: 'slurm', maxParallel: 2, cpus: 1, memoryMb: 1500 });

    // Change one byte inside shard 3's slice: its task must fail with 65, the others not.
    const s = m.shards[3];
    const fd = fs.openSync(csv, 'r+');
    const orig = Buffer.alloc(1);
    fs.readSync(fd, orig, 0, 1, s.start + 5);
    fs.writeSync(fd, Buffer.from(orig[0] === 0x43 ? 'N' : 'C'), 0, 1, s.start + 5);
    const first = spawnSync('sbatch', ['--wait', '--quiet', file], { encoding: 'utf8' });
    fs.writeSync(fd, orig, 0, 1, s.start + 5);
    fs.closeSync(fd);
    assert.notEqual(first.status, 0, 'sbatch --wait reports the failed array task');
    const st = shardStatus(work);
    assert.deepEqual(st.failed.map((f) => [f.shard, f.exitCode]), [[3, 65]]);
    assert.equal(st.done.length, 7);
    assert.deepEqual(st.tasksToRun, [3]);

    const again = spawnSync('sbatch', ['--wait', '--quiet', '--array=3', file], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.equal(shardStatus(work).done.length, 8);

    const merged = await mergeShards({ work });
    const engine = await createEngine({ projectFile: path.join(tmp, 'one.strata'), threads: 2 });
    let expected: Map<string, RankedRow[]>;
    try {
      const api = createClient(engine.dispatcher);
      assert.equal((await api.call('job.wait', await api.call('library.import', { files: [csv] }))).status, 'done');
      const scr = await api.call('job.wait', await engine.startScreen({ subgroups: SUBGROUPS }));
      expected = new Map([...(scr.result as ScreenOutput).rankings].map(([label, r]) => [label, r.rows(K)]));
    } finally {
      await engine.close();
    }
    for (const g of m.params.subgroups) assertSameRows(merged.rows.filter((r) => r.subgroup === g.label), expected.get(g.label)!, g.label);
  });
});

if (skip) test(`Slurm shard test skipped: ${skip}`, { skip }, () => undefined);
