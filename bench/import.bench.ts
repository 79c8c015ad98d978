/**
 * npm run bench:import — import throughput, peak memory and where the time goes.
 *
 * 1. Native RDKit baseline (Debian's python3-rdkit, 2 processes): parse, the 43 `Properties`
 *    descriptors (= MinimalLib's get_descriptors()), Morgan r=2/2048, canonical SMILES, on the same file;
 *    then the same with only the model's 20 descriptors (what a descriptor subset costs natively).
 * 2. Strata end-to-end import of moses_test.csv.gz (176k) into a fresh project (all cores), once with the
 *    full set (`descriptors: 'all'`) and once with the model set (`descriptors: 'model'`, as
 *    `strata shard plan --descriptors model` runs its shards).
 * 3. Strata import of a 1M-row SMILES file made by concatenating the shared libraries (with repeats:
 *    the repeats are found as duplicates and linked, as the import does for any library).
 *
 * Per core: wall-clock molecules/s divided by the threads (processes) used, and molecules per CPU-second
 * (user + system time of every thread / process of the run), which other jobs on a shared machine do not
 * inflate. The ratios to native RDKit are taken from the same run. Figures also go to bench/out/import.json.
 *
 * Options: --skip-native, --skip-1m, --only-1m, --threads N, --limit N (first N records of moses_test only).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createEngine } from '../core/engine.js';
import { createClient } from '../core/api/client.js';
import type { ImportRequest, ImportSummary } from '../core/api/contract.js';

const DATA = path.resolve(import.meta.dirname, '../../shared/data/libraries');
const OUT = path.resolve(import.meta.dirname, 'out');
const args = process.argv.slice(2);
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : os.availableParallelism();
const limit = args.includes('--limit') ? Number(args[args.indexOf('--limit') + 1]) : 0;
const MODEL_FILE = path.resolve(import.meta.dirname, '../models/gdsc-twotower-v1/model.json');

interface NativeResult { rdkit: string; molecules: number; seconds: number; per_second: number; cpu_seconds: number; per_cpu_second: number | null; processes: number; descriptors: number }

/** The descriptors the shipped model reads (its manifest's descriptor blocks). */
function modelDescriptors(): string[] {
  const m = JSON.parse(fs.readFileSync(MODEL_FILE, 'utf8')) as { compoundFeatures: { blocks: { kind: string; names?: string[] }[] } };
  return m.compoundFeatures.blocks.flatMap((b) => (b.kind === 'descriptors' ? b.names ?? [] : []));
}

function native(file: string, names: string[] = []): NativeResult | null {
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'native_rdkit.py'), file, String(threads), names.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1)!) as NativeResult;
  } catch (err) {
    console.log(`native RDKit baseline unavailable (${(err as Error).message.split('\n')[0]}); install it with: apt-get install -y python3-rdkit`);
    return null;
  }
}

async function strataImport(file: string, label: string, descriptors: ImportRequest['descriptors'] = 'all') {
  fs.mkdirSync(OUT, { recursive: true });
  const project = path.join(OUT, `${label}.strata`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(project + suffix, { force: true });
  const engine = await createEngine({ projectFile: project, threads });
  const api = createClient(engine.dispatcher);
  try {
    const pool = await engine.pool();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const before = await pool.stats();
    const { jobId } = await api.call('library.import', { files: [file], descriptors });
    let lastPrint = 0;
    const off = api.on('job.progress', (p) => {
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        console.log(`  ${p.stage}: ${p.done}/${p.total ?? '?'} ${Math.round(p.rate)}/s`);
      }
    });
    const st = await api.call('job.wait', { jobId });
    off();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (st.status !== 'done') throw new Error(`import ${st.status}: ${st.error?.message}`);
    const s = st.result as ImportSummary;
    const stats = await pool.stats();
    const workerCpuMs = stats.workers.reduce((a, w) => a + w.cpuMs, 0) - before.workers.reduce((a, w) => a + w.cpuMs, 0);
    for (const k of Object.keys(stats.stages) as (keyof typeof stats.stages)[]) stats.stages[k] -= before.stages[k];
    return { s, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, workerCpuSeconds: workerCpuMs / 1000, stats, size: fs.statSync(project).size, descriptors };
  } finally {
    await engine.close();
  }
}

function build1M(): string {
  const file = path.join(OUT, 'one_million.smi');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(OUT, { recursive: true });
  const sources: [string, (l: string) => string | null][] = [
    ['moses_test.csv.gz', (l) => (l === 'SMILES' ? null : l)],
    ['chembl30_sample_a.csv.gz', (l) => (l.startsWith('SMILES') ? null : l.split(',')[0])],
    ['chembl20_chiral_10k.smi.gz', (l) => l.split(/\s+/)[0] || null],
  ];
  const pool: string[] = [];
  for (const [name, pick] of sources) {
    for (const l of zlib.gunzipSync(fs.readFileSync(path.join(DATA, name))).toString('utf8').split('\n')) {
      const s = pick(l.trim());
      if (s) pool.push(s);
    }
  }
  const fd = fs.openSync(file, 'w');
  let buf = '';
  for (let i = 0; i < 1_000_000; i++) {
    buf += `${pool[i % pool.length]}\tm${i + 1}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
  console.log(`built ${file}: 1,000,000 rows by cycling through moses_test (176,074) + chembl30_sample_a (45,299) + chembl20_chiral_10k (10,000) = ${pool.length} structures, so ${1_000_000 - pool.length} rows repeat earlier ones`);
  return file;
}

type StrataRun = Awaited<ReturnType<typeof strataImport>>;

/** Per-core figures of a run: wall molecules/s over the threads used, and molecules per CPU-second. */
function perCore(molecules: number, seconds: number, cpuSeconds: number, cores: number) {
  return { perSecond: molecules / seconds, perCoreWall: molecules / seconds / cores, perCpuSecond: cpuSeconds > 0 ? molecules / cpuSeconds : NaN };
}

function report(label: string, r: StrataRun, nat?: NativeResult | null) {
  const f = perCore(r.s.read, r.seconds, r.cpuSeconds, threads);
  console.log(`\n== ${label}, descriptors: ${r.descriptors}`);
  console.log(`  records ${r.s.read.toLocaleString()} = imported ${r.s.imported.toLocaleString()} + duplicates ${r.s.duplicates.toLocaleString()} + failed ${r.s.failed}`);
  console.log(`  wall ${r.seconds.toFixed(1)} s, ${Math.round(f.perSecond).toLocaleString()} molecules/s with ${threads} worker threads = ${Math.round(f.perCoreWall)}/s per core${nat ? `, ${(f.perSecond / nat.per_second).toFixed(2)}× native RDKit (${Math.round(nat.per_second)}/s)` : ''}`);
  console.log(`  CPU ${r.cpuSeconds.toFixed(0)} s (workers ${r.workerCpuSeconds.toFixed(0)} s, main thread and the rest ${(r.cpuSeconds - r.workerCpuSeconds).toFixed(0)} s) = ${Math.round(f.perCpuSecond)} molecules per CPU-second${nat?.per_cpu_second ? `, ${(f.perCpuSecond / nat.per_cpu_second).toFixed(2)}× native RDKit (${Math.round(nat.per_cpu_second)} per CPU-second)` : ''}`);
  console.log(`  peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; project file ${(r.size / 1e6).toFixed(0)} MB`);
  const st = r.stats;
  const total = Object.values(st.stages).reduce((a, b) => a + b, 0);
  if (total > 0) {
    console.log(`  worker time per stage (summed over threads, ${(total / 1000).toFixed(0)} s): ${Object.entries(st.stages).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`).join(', ')}`);
    console.log(`  worker CPU ${r.workerCpuSeconds.toFixed(0)} s over ${r.seconds.toFixed(0)} s wall (${((100 * r.workerCpuSeconds) / r.seconds / threads).toFixed(0)}% busy); main thread: reading, batching, SQLite`);
  }
  return { label, descriptors: r.descriptors, records: r.s.read, seconds: r.seconds, cpuSeconds: r.cpuSeconds, workerCpuSeconds: r.workerCpuSeconds, ...f, stages: st.stages,
    vsNativeWall: nat ? f.perSecond / nat.per_second : null, vsNativeCpu: nat?.per_cpu_second ? f.perCpuSecond / nat.per_cpu_second : null };
}

/** moses_test.csv.gz, or its first --limit records in a temporary copy. */
function mosesInput(): string {
  const full = path.join(DATA, 'moses_test.csv.gz');
  if (!limit) return full;
  const lines = zlib.gunzipSync(fs.readFileSync(full)).toString('utf8').split('\n').filter((l) => l.trim());
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `moses_first_${limit}.csv.gz`);
  fs.writeFileSync(file, zlib.gzipSync(`${lines.slice(0, limit + 1).join('\n')}\n`));
  return file;
}

const moses = mosesInput();
const load0 = os.loadavg();
const figures: Record<string, unknown> = { threads, loadAverageBefore: load0, input: path.basename(moses) };
let nativeRes: NativeResult | null = null;
let nativeModel: NativeResult | null = null;
const runs: ReturnType<typeof report>[] = [];
if (!args.includes('--skip-native') && !args.includes('--only-1m')) {
  console.log(`native RDKit, ${threads} processes, on ${path.basename(moses)} (load average ${load0.map((x) => x.toFixed(1)).join(' ')}) …`);
  nativeRes = native(moses);
  const names = modelDescriptors();
  if (nativeRes) {
    console.log(`  native RDKit ${nativeRes.rdkit}: ${nativeRes.molecules} molecules in ${nativeRes.seconds.toFixed(1)} s = ${Math.round(nativeRes.per_second)}/s, ${Math.round(nativeRes.per_second / threads)}/s per process, ${Math.round(nativeRes.per_cpu_second ?? NaN)} per CPU-second (${nativeRes.descriptors} descriptors + Morgan + canonical SMILES)`);
    nativeModel = native(moses, names);
    if (nativeModel) console.log(`  native RDKit, only the model's ${nativeModel.descriptors} descriptors: ${Math.round(nativeModel.per_second)}/s, ${Math.round(nativeModel.per_cpu_second ?? NaN)} per CPU-second (${((100 * (nativeModel.per_cpu_second ?? NaN)) / (nativeRes.per_cpu_second ?? NaN) - 100).toFixed(0)}% more per CPU-second than all 43; MinimalLib's get_descriptors() has no subset)`);
  }
}
figures.native = nativeRes;
figures.nativeModelDescriptors = nativeModel;
if (!args.includes('--only-1m')) {
  for (const set of ['all', 'model'] as const) {
    console.log(`Strata import of ${path.basename(moses)}, descriptors ${set} …`);
    runs.push(report(`${path.basename(moses)}`, await strataImport(moses, `moses-${set}`, set), nativeRes));
  }
}
if (!args.includes('--skip-1m')) {
  const f = build1M();
  console.log('Strata import of the 1M-row file …');
  runs.push(report('1M rows', await strataImport(f, 'one_million')));
}
figures.strata = runs;
figures.loadAverageAfter = os.loadavg();
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, 'import.json'), `${JSON.stringify(figures, null, 2)}\n`);
console.log(`\nload average before ${load0.map((x) => x.toFixed(1)).join(' ')}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`peak RSS of the whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
