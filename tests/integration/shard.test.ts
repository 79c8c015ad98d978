/**
 * The shard pipeline on real libraries: plan (plain CSV byte ranges, SDF, a gzip input re-chunked),
 * run every task, merge, and compare with one machine's import + screen of the same inputs —
 * top-K per subgroup identical in ids, order and values (1e-9). Also: byte-identical reruns, done
 * markers skip, a changed input fails its shard with 65 and only it, a bad record is reported with
 * its line in the original file, and SIGTERM removes the running shard's temp output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createClient } from '../../core/api/client.js';
import type { RankedRow } from '../../core/api/contract.js';
import { createEngine } from '../../core/engine.js';
import type { ScreenOutput } from '../../core/screen/screen.js';
import { planShards, readManifest } from '../../core/shard/manifest.js';
import type { Manifest } from '../../core/shard/manifest.js';
import { mergeShards } from '../../core/shard/merge.js';
import { duck } from '../../core/shard/parquet.js';
import { readDone, runTask, shardDir } from '../../core/shard/run.js';
import { shardStatus } from '../../core/shard/status.js';
import { assertSameRows } from './shard-helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(ROOT, '../shared/data/libraries');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-shard-'));
const SUBGROUPS = ['BRAF_mut AND tissue=skin', 'KRAS_mut AND NOT TP53_mut', 'tissue=lung'];
const K = 40;

async function oneMachine(files: string[], project: string): Promise<Map<string, RankedRow[]>> {
  const engine = await createEngine({ projectFile: project, threads: 2 });
  try {
    const api = createClient(engine.dispatcher);
    const imp = await api.call('job.wait', await api.call('library.import', { files }));
    assert.equal(imp.status, 'done', JSON.stringify(imp.error));
    const scr = await api.call('job.wait', await engine.startScreen({ subgroups: SUBGROUPS }));
    assert.equal(scr.status, 'done', JSON.stringify(scr.error));
    const out = scr.result as ScreenOutput;
    return new Map([...out.rankings].map(([label, r]) => [label, r.rows(K)]));
  } finally {
    await engine.close();
  }
}

describe('shard plan / run / merge', () => {
  const work = path.join(tmp, 'work');
  let inputs: string[];
  let m: Manifest;
  let expected: Map<string, RankedRow[]>;
  let badLine: number;

  before(async () => {
    // Copies (the test changes bytes of one later) of real libraries: the approved drugs with one
    // broken record appended, an SDF, and the first 600 records of a gzip SMILES file.
    const csv = path.join(tmp, 'drugs.csv');
    const text = fs.readFileSync(path.join(DATA, 'approved_drugs_chembl.csv'), 'utf8');
    fs.writeFileSync(csv, `${text.replace(/\n?$/, '\n')}1999,CHEMBL_BROKEN,Small molecule,BROKEN,C1CC(\n`);
    badLine = fs.readFileSync(csv, 'utf8').trimEnd().split('\n').length;
    const sdf = path.join(tmp, 'solubility.sdf');
    fs.copyFileSync(path.join(DATA, 'solubility.test.sdf'), sdf);
    const gz = path.join(tmp, 'chiral.smi.gz');
    const smi = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'chembl20_chiral_10k.smi.gz'))).toString('utf8').split('\n').slice(0, 600).join('\n');
    fs.writeFileSync(gz, zlib.gzipSync(`${smi}\n`));
    inputs = [csv, sdf, gz];
    const plan = await planShards({ inputs, work, shardSize: 700, subgroups: SUBGROUPS, top: K, tasks: 3 });
    assert.ok(plan.created);
    m = plan.manifest;
    expected = await oneMachine(inputs, path.join(tmp, 'one.strata'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the plan covers every input record, in slices aligned to records', async () => {
    // 2,628 + 1 CSV rows in 4 slices, 257 SDF records in 1, 600 SMILES in 1 chunk.
    assert.deepEqual(m.shards.map((s) => [s.input, s.records]), [[0, 700], [0, 700], [0, 700], [0, 529], [1, 257], [2, 600]]);
    const csv = fs.readFileSync(inputs[0]);
    const header = csv.subarray(0, m.shards[0].headerBytes).toString();
    assert.equal(header.trim(), 'first_approval,molecule_chembl_id,molecule_type,pref_name,smiles');
    // Plain slices tile the file after the header; every slice ends on a line end.
    const plain = m.shards.filter((s) => s.input === 0);
    assert.equal(plain[0].start, m.shards[0].headerBytes);
    for (let i = 1; i < plain.length; i++) assert.equal(plain[i].start, plain[i - 1].end);
    assert.equal(plain.at(-1)!.end, csv.length);
    for (const s of plain) assert.equal(csv[s.end - 1], 0x0a);
    assert.ok(fs.existsSync(path.join(work, m.shards[5].file)), 'the gzip input is re-chunked into the work directory');
    assert.equal(m.shards[1].firstLine, 702);
    // Planning again with the same parameters changes nothing; other parameters are refused.
    await Promise.all([
      planShards({ inputs, work, shardSize: 700, subgroups: SUBGROUPS, top: K, tasks: 3 }).then((r) => assert.equal(r.created, false)),
      assert.rejects(planShards({ inputs, work, shardSize: 500, subgroups: SUBGROUPS, top: K }), /other parameters/),
    ]);
  });

  test('every task runs; the merged top-K per subgroup is one machine\'s', async () => {
    for (let t = 0; t < m.tasks; t++) {
      const r = await runTask({ work, index: t, threads: 2 });
      assert.equal(r.exitCode, 0, JSON.stringify(r.results));
      assert.deepEqual(r.results.map((x) => x.shard), m.shards.filter((s) => s.index % 3 === t).map((s) => s.index));
    }
    const st = shardStatus(work);
    assert.equal(st.done.length, m.shards.length);
    const merged = await mergeShards({ work, out: path.join(tmp, 'ranked.parquet') });
    for (const g of m.params.subgroups) {
      const rows = merged.rows.filter((r) => r.subgroup === g.label);
      assertSameRows(rows, expected.get(g.label)!, g.label);
    }
    // Duplicates across shards exist in this library and are merged onto their first occurrence.
    const dup = Object.values(m.shards).reduce((a, s) => a + (readDone(work, m, s.index)?.counts.duplicates ?? 0), 0);
    assert.ok(dup > 0);
    assert.ok(fs.existsSync(path.join(tmp, 'ranked.parquet.provenance.json')));
  });

  test('merge writes the same CSV as `screen --out` would, with a provenance sidecar', async () => {
    const out = path.join(tmp, 'ranked.csv');
    const r = await mergeShards({ work, out, top: 5 });
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1 + 5 * SUBGROUPS.length);
    assert.match(lines[0], /^rank,subgroup,compound_id,name,smiles/);
    assert.equal(r.rows[0].compoundId, expected.get(m.params.subgroups[0].label)![0].compoundId);
    const prov = JSON.parse(fs.readFileSync(`${out}.provenance.json`, 'utf8'));
    assert.equal(prov.sharded.paramsHash, m.paramsHash);
    assert.deepEqual(prov.inputs.map((i: { name: string }) => i.name), ['drugs.csv', 'solubility.sdf', 'chiral.smi.gz']);
  });

  test('--descriptors model: the merged top-K is still one machine\'s; shard files keep only the model\'s descriptors', async () => {
    const workModel = path.join(tmp, 'work-model');
    const plan = await planShards({ inputs, work: workModel, shardSize: 700, subgroups: SUBGROUPS, top: K, tasks: 2, descriptors: 'model' });
    assert.notEqual(plan.manifest.paramsHash, m.paramsHash, 'the descriptor set is part of the parameter hash');
    for (let t = 0; t < 2; t++) assert.equal((await runTask({ work: workModel, index: t, threads: 2 })).exitCode, 0);
    const merged = await mergeShards({ work: workModel, out: path.join(tmp, 'ranked-model.parquet') });
    for (const g of plan.manifest.params.subgroups) assertSameRows(merged.rows.filter((r) => r.subgroup === g.label), expected.get(g.label)!, `${g.label} (model set)`);
    const con = await duck();
    try {
      const file = path.join(shardDir(workModel, 0), 'compounds.parquet').replaceAll("'", "''");
      const cols = (await con.runAndReadAll(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet('${file}'))`)).getRows().map((r) => String(r[0]));
      const model = plan.manifest.params.model.descriptors;
      assert.equal(model.length, 20);
      assert.deepEqual(cols.filter((c) => !['shard', 'compoundId', 'name', 'smiles', 'identity', 'sliceRecord', 'sliceLine', 'morgan'].includes(c)), model);
    } finally {
      con.closeSync();
    }
  });

  test('a bad record is reported with its line in the original file; the shard still completes', () => {
    const last = m.shards.filter((s) => s.input === 0).at(-1)!;
    const report = fs.readFileSync(path.join(shardDir(work, last.index), 'report.csv'), 'utf8').trim().split('\n');
    assert.equal(report.length, 2, report.join('\n'));
    const [file, shard, , line] = report[1].split(',');
    assert.equal(file, 'drugs.csv');
    assert.equal(Number(shard), last.index);
    assert.equal(Number(line), badLine);
  });

  test('a rerun is skipped by its marker; a redone shard is byte-identical', async () => {
    const again = await runTask({ work, index: 1 });
    assert.ok(again.results.every((r) => r.status === 'skipped'));
    const dir = shardDir(work, 1);
    const before = fs.readFileSync(path.join(dir, 'done.json'));
    const files = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    fs.rmSync(dir, { recursive: true });
    const redo = await runTask({ work, index: 1, threads: 2 });
    assert.equal(redo.exitCode, 0);
    assert.ok(fs.readFileSync(path.join(dir, 'done.json')).equals(before));
    for (const [f, bytes] of Object.entries(files)) assert.ok(fs.readFileSync(path.join(dir, f)).equals(bytes), `${f} differs on rerun`);
  });

  test('a changed input fails only its shard with 65; status finds it; after repair the rerun completes', async () => {
    const s = m.shards[2];
    fs.rmSync(shardDir(work, s.index), { recursive: true });
    const fd = fs.openSync(inputs[0], 'r+');
    const orig = Buffer.alloc(1);
    fs.readSync(fd, orig, 0, 1, s.start + 10);
    fs.writeSync(fd, Buffer.from(orig[0] === 0x43 ? 'N' : 'C'), 0, 1, s.start + 10);
    try {
      const r = await runTask({ work, index: s.index % m.tasks });
      assert.equal(r.exitCode, 65);
      const failed = r.results.find((x) => x.shard === s.index)!;
      assert.equal(failed.status, 'failed');
      assert.match(failed.message!, /changed since it was planned/);
      const st = shardStatus(work);
      assert.deepEqual(st.failed.map((f) => [f.shard, f.exitCode]), [[s.index, 65]]);
      assert.deepEqual(st.tasksToRun, [s.index % m.tasks]);
      await assert.rejects(mergeShards({ work }), /not done/);
    } finally {
      fs.writeSync(fd, orig, 0, 1, s.start + 10);
      fs.closeSync(fd);
    }
    const r = await runTask({ work, index: s.index % m.tasks, threads: 2 });
    assert.equal(r.exitCode, 0);
    assert.equal(shardStatus(work).failed.length, 0);
    assert.deepEqual(readManifest(work).paramsHash, m.paramsHash);
  });

  test('a work directory that cannot be written fails the shard with 75 (retryable), recorded for status', async () => {
    const w = path.join(tmp, 'work-unwritable');
    await planShards({ inputs: [inputs[1]], work: w, shardSize: 700, subgroups: SUBGROUPS, top: K });
    fs.writeFileSync(path.join(w, 'tmp'), 'a file where the temp directory goes');
    const r = await runTask({ work: w, index: 0 });
    assert.equal(r.exitCode, 75);
    assert.match(r.results[0].message!, /EEXIST|ENOTDIR/);
    assert.deepEqual(shardStatus(w).failed.map((f) => [f.shard, f.exitCode]), [[0, 75]]);
  });

  test('SIGTERM removes the running shard\'s temp output and exits 143', async () => {
    const s = m.shards[0];
    fs.rmSync(shardDir(work, s.index), { recursive: true });
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/strata.mjs'), 'shard', 'run', '--work', work, '--index', String(s.index), '--threads', '1'], { stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the shard's temp project to exist (the import is under way), then stop the task.
    const tmpRoot = path.join(work, 'tmp');
    for (;;) {
      const live = fs.existsSync(tmpRoot) ? fs.readdirSync(tmpRoot).filter((d) => fs.existsSync(path.join(tmpRoot, d, 'shard.strata'))) : [];
      if (live.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    assert.equal(await exit, 143);
    assert.deepEqual(fs.readdirSync(tmpRoot), []);
    assert.equal(fs.existsSync(shardDir(work, s.index)), false);
    assert.deepEqual(shardStatus(work).missing, [s.index]);
  });
});
