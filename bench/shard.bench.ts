/**
 * npm run bench:shard — issue 12's figures for a sharded screen on this machine standing in for a
 * cluster: per-core throughput, plan/prep/merge times, shard overhead and output sizes for 8 and 32
 * shards, `--descriptors model` vs `all`, and the merged answer checked byte for byte against one
 * machine's `strata import` + `strata screen --out` (on a subset: one machine on 1M rows is ~16 min).
 *
 * Input: `bench/analogs.ts` (the same builder as `bench:ui -- --million`): the 231,373 real structures
 * of the shared libraries (moses_test, chembl30_sample_a, chembl20_chiral_10k) in file order, then
 * one-group analogues of them (methyl, fluoro, hydroxy, amino, chloro, ethyl, methoxy written in
 * front of the first atom), until --rows rows. Deterministic: same shared files, same bytes. Analogues
 * RDKit refuses (the first atom has no free valence: 12.2 % of the 1M rows) are counted as bad records,
 * as an import counts any; they cost a parse only, so the rate per imported molecule is printed too.
 *
 * Each shard is run as its own `strata shard run --index I --threads 1` process, --parallel (default:
 * os.availableParallelism()) at a time, as a cluster runs one task per core. A gzip copy of the
 * input is written too, to time `prep` (re-chunking), which plain files do not need.
 *
 * Options: --rows N (default 1,000,000), --shards 8,32, --parallel P, --check-rows N (default
 * 20,000: rows of the one-machine comparison; ≥ --rows compares every merge with one machine
 * directly), --model-shards N (shards of the first plan rerun with --descriptors model; default P),
 * --top K (default 100), --keep (keep the work directories).
 * Smoke run: `npm run bench:shard -- --rows 20000`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { planShards } from '../core/shard/manifest.js';
import type { DescriptorSet, Manifest } from '../core/shard/manifest.js';
import { mergeShards } from '../core/shard/merge.js';
import { readDone, SHARD_FILES, shardDir, shardName } from '../core/shard/run.js';
import { describeInput, prepGzipSlices } from '../core/shard/slice.js';
import { buildAnalogLibrary } from './analogs.js';
import { compareFiles, describeComparison } from './shard-check.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHARED = path.resolve(ROOT, '../shared/data');
const OUT = path.join(import.meta.dirname, 'out', 'shard');
const STRATA = path.join(ROOT, 'bin/strata.mjs');
const SUBGROUPS = ['BRAF_mut AND tissue=skin', 'KRAS_mut AND NOT TP53_mut', 'tissue=lung', 'TP53_mut', 'msi=MSI-H'];

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const num = (name: string, dflt: number) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number ≥ 1 (got ${opt(name, '')})`);
  return v;
};
const ROWS = num('--rows', 1_000_000);
const SHARDS = opt('--shards', '8,32').split(',').map(Number);
const PARALLEL = num('--parallel', os.availableParallelism());
const CHECK_ROWS = num('--check-rows', 20_000);
const MODEL_SHARDS = num('--model-shards', PARALLEL);
const TOP = num('--top', 100);
const KEEP = args.includes('--keep');
if (SHARDS.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`--shards must be whole numbers, e.g. 8,32 (got ${opt('--shards', '')})`);

const s1 = (x: number) => x.toFixed(1);
const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;
const int = (x: number) => Math.round(x).toLocaleString('en');
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const figures: Record<string, unknown> = { rows: ROWS, parallel: PARALLEL, cores: os.availableParallelism(), subgroups: SUBGROUPS, top: TOP };

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

function lineCount(file: string): number {
  let n = 0;
  const buf = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let got; (got = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) for (let i = 0; i < got; i++) if (buf[i] === 0x0a) n++;
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

/** An output path with no file (nor sidecar) of an earlier run: the merge never replaces a file. */
function fresh(file: string): string {
  for (const f of [file, `${file}.provenance.json`]) fs.rmSync(f, { force: true });
  return file;
}

/** The first `rows` lines of `file` (the one-machine subset). */
function headLines(file: string, rows: number, out: string): void {
  const text = fs.readFileSync(file, 'utf8');
  let end = 0;
  for (let i = 0; i < rows && end < text.length; i++) end = text.indexOf('\n', end) + 1 || text.length;
  fs.writeFileSync(out, text.slice(0, end));
}

/** A child process; resolves with its exit code, stdout and wall time (stderr is kept for the error). */
function run(cmd: string[], label: string): Promise<{ code: number; stdout: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const r = { code: code ?? 1, stdout, seconds: (performance.now() - t0) / 1000 };
      if (r.code !== 0) reject(new Error(`${label}: exit ${r.code}\n${stderr}`));
      else resolve(r);
    });
  });
}

/** Shards `indices` of the plan in `work`, each its own one-thread process, `parallel` at a time. */
async function runShards(work: string, indices: number[], parallel: number): Promise<{ wall: number; process: Map<number, number> }> {
  const t0 = performance.now();
  const wallOf = new Map<number, number>();
  const queue = [...indices];
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
      try {
        const r = await run([STRATA, 'shard', 'run', '--work', work, '--index', String(i), '--threads', '1', '--json'], `shard ${i}`);
        const res = JSON.parse(r.stdout) as { results: { status: string; message?: string }[] };
        if (res.results.some((x) => x.status !== 'done')) throw new Error(`shard ${i}: ${JSON.stringify(res.results)}`);
        wallOf.set(i, r.seconds);
      } catch (err) {
        queue.length = 0; // start no further shard; the running ones finish
        throw err;
      }
    }
  }));
  const failed = lanes.find((l) => l.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return { wall: (performance.now() - t0) / 1000, process: wallOf };
}

interface ShardLog { seconds: number; slice: number; import: number; screen: number; write: number; commit: number }
const shardLog = (work: string, i: number) => JSON.parse(fs.readFileSync(path.join(work, 'logs', `${shardName(i)}.json`), 'utf8')) as ShardLog;

async function plan(input: string, work: string, shards: number, records: number, descriptors: DescriptorSet): Promise<[Manifest, number]> {
  fs.rmSync(work, { recursive: true, force: true });
  const [r, seconds] = await timed(() => planShards({ inputs: [input], work, shardSize: Math.ceil(records / shards), subgroups: SUBGROUPS, top: TOP, descriptors }));
  return [r.manifest, seconds];
}

// ---- input
fs.mkdirSync(OUT, { recursive: true });
const input = path.join(OUT, `input_${ROWS}.smi`);
const [, tBuild] = await timed(async () => buildAnalogLibrary(SHARED, input, ROWS));
const rows = lineCount(input);
figures.input = { file: input, rows, bytes: fs.statSync(input).size };
console.log(`input ${path.relative(ROOT, input)}: ${int(rows)} SMILES rows, ${mb(fs.statSync(input).size)} (built or reused in ${s1(tBuild)} s): the 231,373 structures of moses_test + chembl30_sample_a + chembl20_chiral_10k, then one-group analogues of them${rows < ROWS ? ` — only ${int(rows)} rows can be built` : ''}`);
const gz = `${input}.gz`;
if (!fs.existsSync(gz)) await pipeline(fs.createReadStream(input), zlib.createGzip(), fs.createWriteStream(`${gz}.tmp`)).then(() => fs.renameSync(`${gz}.tmp`, gz));
console.log(`parallelism ${PARALLEL} (one-thread shard processes at a time; os.availableParallelism() = ${os.availableParallelism()}), ${SUBGROUPS.length} subgroups, K = ${TOP}\n`);

// ---- 8 and 32 shards: plan, prep, run, merge
const merged = new Map<number, string>();
const runs: Record<string, unknown>[] = [];
let firstAll: { work: string; m: Manifest } | null = null;
for (const n of SHARDS) {
  const work = path.join(OUT, `work-${n}`);
  const [m, tPlan] = await plan(input, work, n, rows, 'all');
  const prepDir = path.join(OUT, `prep-${n}`);
  fs.rmSync(prepDir, { recursive: true, force: true });
  const d = await describeInput(gz, {});
  const [chunks, tPrep] = await timed(() => prepGzipSlices(0, gz, d.format, d.hasHeader, m.params.shardSize, prepDir));
  const chunkBytes = sum(chunks.map((c) => fs.statSync(c.file).size));
  fs.rmSync(prepDir, { recursive: true, force: true });

  console.log(`== ${m.shards.length} shards of ≤ ${int(m.params.shardSize)} records`);
  const r = await runShards(work, m.shards.map((s) => s.index), PARALLEL);
  const logs = m.shards.map((s) => shardLog(work, s.index));
  const counts = m.shards.map((s) => readDone(work, m, s.index)!.counts);
  const read = sum(counts.map((c) => c.read));
  const out = fresh(path.join(OUT, `merged-${n}.csv`));
  const [mr, tMerge] = await timed(() => mergeShards({ work, out }));
  merged.set(n, out);
  const sizes: Record<string, number> = {};
  for (const f of SHARD_FILES) sizes[f] = sum(m.shards.map((s) => fs.statSync(path.join(shardDir(work, s.index), f)).size));
  const procWall = m.shards.map((s) => r.process.get(s.index)!);
  const overhead = m.shards.map((s, k) => procWall[k] - logs[k].import - logs[k].screen);
  const perCore = read / r.wall / PARALLEL;
  const fig = {
    shards: m.shards.length, shardSize: m.params.shardSize, planSeconds: tPlan, prepSeconds: tPrep, prepChunksBytes: chunkBytes, runWallSeconds: r.wall,
    moleculesPerSecond: read / r.wall, moleculesPerSecondPerCore: perCore,
    moleculesPerCoreSecondInsideShards: read / sum(procWall),
    shardProcessSeconds: { median: median(procWall), min: Math.min(...procWall), max: Math.max(...procWall) },
    shardStageSecondsSum: { slice: sum(logs.map((l) => l.slice)), import: sum(logs.map((l) => l.import)), screen: sum(logs.map((l) => l.screen)), write: sum(logs.map((l) => l.write)), commit: sum(logs.map((l) => l.commit)) },
    overheadSecondsPerShard: median(overhead), mergeSeconds: tMerge, mergeQuerySeconds: mr.seconds.query, mergeWriteSeconds: mr.seconds.write, mergedRows: mr.rows.length,
    counts: { read, imported: sum(counts.map((c) => c.imported)), duplicates: sum(counts.map((c) => c.duplicates)), failed: sum(counts.map((c) => c.failed)) },
    outputBytes: sizes,
  };
  runs.push(fig);
  console.log(`  records ${int(read)} = imported ${int(fig.counts.imported)} + duplicates within shards ${int(fig.counts.duplicates)} + failed ${int(fig.counts.failed)}`);
  console.log(`  plan ${s1(tPlan)} s (byte ranges of the plain file; includes loading the model to resolve the rules); prep of the gzip copy ${s1(tPrep)} s (${chunks.length} chunks, ${mb(chunkBytes)})`);
  console.log(`  run ${s1(r.wall)} s wall with ${PARALLEL} at a time: ${int(read / r.wall)} records/s = ${int(perCore)} per core (inside the shard processes: ${int(fig.moleculesPerCoreSecondInsideShards)} per core-second); ${int(fig.counts.imported / r.wall)} imported molecules/s = ${int(fig.counts.imported / r.wall / PARALLEL)} per core`);
  console.log(`  per shard process: median ${s1(median(procWall))} s (${s1(Math.min(...procWall))}–${s1(Math.max(...procWall))}); summed stages: import ${s1(fig.shardStageSecondsSum.import)} s, screen ${s1(fig.shardStageSecondsSum.screen)} s, slice ${s1(fig.shardStageSecondsSum.slice)} s, write ${s1(fig.shardStageSecondsSum.write)} s, commit ${s1(fig.shardStageSecondsSum.commit)} s`);
  console.log(`  overhead per shard (process wall − import − screen: Node + tsx start, engine and model load, slice, Parquet write): median ${s1(fig.overheadSecondsPerShard)} s`);
  console.log(`  merge ${s1(tMerge)} s (top-K query ${mr.seconds.query.toFixed(2)} s, CSV write ${mr.seconds.write.toFixed(2)} s), ${int(mr.rows.length)} rows`);
  console.log(`  shard outputs: ${SHARD_FILES.map((f) => `${f} ${mb(sizes[f])}`).join(', ')}; ${(sum(Object.values(sizes)) / read).toFixed(0)} bytes per record\n`);
  if (!firstAll) firstAll = { work, m };
}
figures.runs = runs;

// ---- --descriptors model vs all, on the same slices of the first plan
if (firstAll) {
  const { m: mAll, work: wAll } = firstAll;
  const work = path.join(OUT, `work-${mAll.shards.length}-model`);
  const [m] = await plan(input, work, mAll.shards.length, rows, 'model');
  const ix = m.shards.slice(0, MODEL_SHARDS).map((s) => s.index);
  console.log(`== --descriptors model vs all: shards ${ix.join(', ')} of the ${m.shards.length}-shard plan (${m.params.descriptorSet.names.length} descriptors kept instead of ${mAll.params.descriptorSet.names.length}), ${PARALLEL} at a time as before`);
  await runShards(work, ix, PARALLEL);
  const per = (w: string, mm: Manifest) => ix.map((i) => ({ ...shardLog(w, i), compounds: fs.statSync(path.join(shardDir(w, i), 'compounds.parquet')).size, records: mm.shards[i].records }));
  const a = per(wAll, mAll), b = per(work, m);
  const line = (label: string, x: typeof a) => `  ${label}: per shard ${s1(median(x.map((y) => y.seconds)))} s (import ${s1(median(x.map((y) => y.import)))} s, screen ${s1(median(x.map((y) => y.screen)))} s, write ${s1(median(x.map((y) => y.write)))} s), compounds.parquet ${mb(median(x.map((y) => y.compounds)))}`;
  console.log(line('all  ', a));
  console.log(line('model', b));
  console.log(`  the import computes every descriptor either way (the set only chooses the columns written), so time differs by the write and by noise: ${s1(sum(b.map((y) => y.seconds)) / sum(a.map((y) => y.seconds)) * 100)} % of 'all'\n`);
  figures.descriptors = { shards: ix, all: a, model: b };
  if (!KEEP) fs.rmSync(work, { recursive: true, force: true });
}

// ---- the merged answer against one machine
const checks: Record<string, boolean> = {};
const subsetRows = Math.min(CHECK_ROWS, rows);
const subset = subsetRows < rows ? path.join(OUT, `subset_${subsetRows}.smi`) : input;
if (subset !== input) headLines(input, subsetRows, subset);
const project = path.join(OUT, 'one-machine.strata');
for (const suffix of ['', '-wal', '-shm']) fs.rmSync(project + suffix, { force: true });
const oneCsv = path.join(OUT, 'one-machine.csv');
console.log(`== check: one machine (strata import + strata screen --top ${TOP} --out, ${PARALLEL} threads) on ${subset === input ? 'the whole input' : `its first ${int(subsetRows)} rows`}`);
const imp = await run([STRATA, 'import', subset, '--project', project, '--threads', String(PARALLEL), '--quiet', '--json'], 'one-machine import');
const scr = await run([STRATA, 'screen', '--project', project, ...SUBGROUPS.flatMap((g) => ['--subgroup', g]), '--top', String(TOP), '--out', oneCsv, '--force', '--quiet', '--json'], 'one-machine screen');
console.log(`  one machine: import ${s1(imp.seconds)} s (${int(subsetRows / imp.seconds)} molecules/s on ${PARALLEL} cores), screen + write ${s1(scr.seconds)} s`);
figures.oneMachine = { rows: subsetRows, importSeconds: imp.seconds, screenSeconds: scr.seconds };
const sharded = new Map<string, string>();
if (subset === input) {
  for (const [n, f] of merged) sharded.set(`${n}-shard merge`, f);
} else {
  const n = SHARDS[0];
  const work = path.join(OUT, `work-check-${n}`);
  const [m] = await plan(subset, work, n, subsetRows, 'all');
  await runShards(work, m.shards.map((s) => s.index), PARALLEL);
  const out = fresh(path.join(OUT, `merged-check-${n}.csv`));
  await mergeShards({ work, out });
  sharded.set(`${m.shards.length}-shard merge of the subset`, out);
  if (!KEEP) fs.rmSync(work, { recursive: true, force: true });
}
for (const [label, f] of sharded) {
  const c = compareFiles(f, oneCsv);
  checks[`${label} = one machine`] = c.identical;
  console.log(`  ${describeComparison(`${label} vs one machine`, c)}`);
}
// The full-size merges against each other: the shard count must not change the answer.
const full = [...merged.entries()];
for (let i = 1; i < full.length; i++) {
  const c = compareFiles(full[i][1], full[0][1]);
  checks[`${full[i][0]}-shard merge = ${full[0][0]}-shard merge`] = c.identical;
  console.log(`  ${describeComparison(`${full[i][0]}-shard vs ${full[0][0]}-shard merge of all ${int(rows)} rows`, c)}`);
}
figures.checks = checks;
if (!KEEP) for (const n of SHARDS) fs.rmSync(path.join(OUT, `work-${n}`), { recursive: true, force: true });
fs.writeFileSync(path.join(OUT, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
console.log(`\nfigures: ${path.relative(ROOT, path.join(OUT, 'figures.json'))}; peak RSS of this process ${int(process.resourceUsage().maxRSS / 1024)} MB`);
if (Object.values(checks).some((ok) => !ok)) process.exitCode = 1;
