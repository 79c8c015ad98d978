/**
 * npm run bench:import — import throughput, peak memory and where the time goes.
 *
 * 1. Native RDKit baseline (Debian's python3-rdkit, 2 processes): parse, the 43 `Properties`
 *    descriptors (= MinimalLib's get_descriptors()), Morgan r=2/2048, canonical SMILES, on the same file.
 * 2. Strata end-to-end import of moses_test.csv.gz (176k) into a fresh project (all cores).
 * 3. Strata import of a 1M-row SMILES file made by concatenating the shared libraries (with repeats:
 *    the repeats are found as duplicates and linked, as the import does for any library).
 *
 * Options: --skip-native, --skip-1m, --only-1m, --threads N.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createEngine } from '../core/engine.js';
import { createClient } from '../core/api/client.js';
import type { ImportSummary } from '../core/api/contract.js';

const DATA = path.resolve(import.meta.dirname, '../../shared/data/libraries');
const OUT = path.resolve(import.meta.dirname, 'out');
const args = process.argv.slice(2);
const threads = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : os.availableParallelism();

interface NativeResult { rdkit: string; molecules: number; seconds: number; per_second: number; processes: number; descriptors: number }

function native(file: string): NativeResult | null {
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'native_rdkit.py'), file, String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').at(-1)!) as NativeResult;
  } catch (err) {
    console.log(`native RDKit baseline unavailable (${(err as Error).message.split('\n')[0]}); install it with: apt-get install -y python3-rdkit`);
    return null;
  }
}

async function strataImport(file: string, label: string) {
  fs.mkdirSync(OUT, { recursive: true });
  const project = path.join(OUT, `${label}.strata`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(project + suffix, { force: true });
  const engine = await createEngine({ projectFile: project, threads });
  const api = createClient(engine.dispatcher);
  try {
    const pool = await engine.pool();
    const t0 = performance.now();
    const { jobId } = await api.call('library.import', { files: [file] });
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
    if (st.status !== 'done') throw new Error(`import ${st.status}: ${st.error?.message}`);
    const s = st.result as ImportSummary;
    const stats = 'stats' in pool && typeof pool.stats === 'function' ? await (pool.stats as () => Promise<unknown>)() : null;
    return { s, seconds, stats, size: fs.statSync(project).size };
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

function report(label: string, r: Awaited<ReturnType<typeof strataImport>>, nativeRate?: number) {
  const rate = r.s.read / r.seconds;
  console.log(`\n== ${label}`);
  console.log(`  records ${r.s.read.toLocaleString()} = imported ${r.s.imported.toLocaleString()} + duplicates ${r.s.duplicates.toLocaleString()} + failed ${r.s.failed}`);
  console.log(`  wall ${r.seconds.toFixed(1)} s, ${Math.round(rate).toLocaleString()} molecules/s with ${threads} worker threads${nativeRate ? `, ${(rate / nativeRate).toFixed(2)}× native RDKit (${Math.round(nativeRate)}/s)` : ''}`);
  console.log(`  peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; project file ${(r.size / 1e6).toFixed(0)} MB`);
  const st = r.stats as { stages?: Record<string, number>; workers?: { cpuMs: number }[] } | null;
  if (st?.stages) {
    const total = Object.values(st.stages).reduce((a, b) => a + b, 0);
    console.log(`  worker time per stage (summed over threads, ${(total / 1000).toFixed(0)} s): ${Object.entries(st.stages).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / total).toFixed(1)}%`).join(', ')}`);
    if (st.workers) console.log(`  worker CPU: ${st.workers.map((w) => `${(w.cpuMs / 1000).toFixed(0)} s`).join(' + ')} over ${r.seconds.toFixed(0)} s wall (${((100 * st.workers.reduce((a, w) => a + w.cpuMs, 0)) / 1000 / r.seconds / st.workers.length).toFixed(0)}% busy); main thread: reading, batching, SQLite`);
  }
}

const moses = path.join(DATA, 'moses_test.csv.gz');
let nativeRes: NativeResult | null = null;
if (!args.includes('--skip-native') && !args.includes('--only-1m')) {
  console.log(`native RDKit, ${threads} processes, on ${path.basename(moses)} …`);
  nativeRes = native(moses);
  if (nativeRes) console.log(`  native RDKit ${nativeRes.rdkit}: ${nativeRes.molecules} molecules in ${nativeRes.seconds.toFixed(1)} s = ${Math.round(nativeRes.per_second)}/s (${nativeRes.descriptors} descriptors + Morgan + canonical SMILES)`);
}
if (!args.includes('--only-1m')) {
  console.log(`Strata import of ${path.basename(moses)} …`);
  report('moses_test.csv.gz (176k)', await strataImport(moses, 'moses'), nativeRes?.per_second);
}
if (!args.includes('--skip-1m')) {
  const f = build1M();
  console.log('Strata import of the 1M-row file …');
  report('1M rows', await strataImport(f, 'one_million'));
}
console.log(`\npeak RSS of the whole run: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
