/**
 * node --import tsx bench/chem.bench.ts [--threads 2] [--limit N] [--batch 256] [--skip-inthread] [--native]
 *
 * Throughput of the chemistry pool alone (no file reading beyond an up-front gunzip, no SQLite) on
 * MOSES test SMILES (176,074 records), and where the time goes inside the workers:
 *  1. pool: batches of --batch records, 2 × threads in flight (as the importer does); mol/s and the
 *     per-stage time measured inside the workers (parse, standardise, descriptors, QED, fingerprint,
 *     canonical SMILES, delete, other);
 *  2. one core, first 20k records: a "plain WASM" loop doing only parse + get_descriptors + JSON.parse +
 *     Morgan FP + canonical SMILES + delete, vs the Strata engine in-thread (the cost of everything it
 *     adds: standardisation test, QED, packing), vs the engine in a 1-thread pool (whether loading the
 *     worker through tsx, and messaging, cost anything per record); thread CPU time is reported next to
 *     wall time because it is not inflated by other processes;
 *  3. --native: the native RDKit baseline of bench/native_rdkit.py (same basic work, N processes).
 * Timings are wall-clock on a shared machine: run it on an otherwise idle box.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ChemEngine, threadCpuMs } from '../core/chem/engine.js';
import { ChemPool } from '../core/chem/pool.js';
import { Kit } from '../core/chem/rdkit.js';
import type { ChemBatchOutput, StageTimes } from '../core/chem/types.js';

const FILE = path.resolve(import.meta.dirname, '../../shared/data/libraries/moses_test.csv.gz');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const threads = opt('--threads', 2);
const batchSize = opt('--batch', 256);

function readSmiles(): string[] {
  const lines = zlib.gunzipSync(fs.readFileSync(FILE)).toString('utf8').split('\n');
  const out: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s) out.push(s);
  }
  return out;
}

function stageReport(stages: StageTimes, records: number): string {
  const total = Object.values(stages).reduce((a, b) => a + b, 0);
  return (Object.entries(stages) as [keyof StageTimes, number][])
    .map(([k, ms]) => `${k} ${((ms * 1000) / records).toFixed(0)} µs (${((100 * ms) / total).toFixed(0)}%)`)
    .join(', ') + ` — total ${((total * 1000) / records).toFixed(0)} µs/mol per worker`;
}

async function benchPool(smiles: string[]) {
  const pool = await ChemPool.create({ threads });
  try {
    // warm-up: V8 tiers WASM up lazily; the first few thousand records run slower
    const warm = smiles.slice(0, 2000 * threads);
    await Promise.all(Array.from({ length: threads }, (_, t) => pool.process({ texts: warm.slice(t * 2000, (t + 1) * 2000), molblock: new Uint8Array(2000) })));
    const before = await pool.stats();
    const t0 = performance.now();
    const inFlight: Promise<ChemBatchOutput>[] = [];
    let ok = 0, failed = 0;
    const take = (o: ChemBatchOutput) => {
      for (let k = 0; k < o.n; k++) {
        if (o.ok[k]) ok++;
        else failed++;
      }
    };
    for (let i = 0; i < smiles.length; i += batchSize) {
      const texts = smiles.slice(i, i + batchSize);
      inFlight.push(pool.process({ texts, molblock: new Uint8Array(texts.length) }));
      if (inFlight.length >= threads * 2) take(await inFlight.shift()!);
    }
    for (const p of inFlight) take(await p);
    const seconds = (performance.now() - t0) / 1000;
    const after = await pool.stats();
    const stages = { ...after.stages };
    for (const k of Object.keys(stages) as (keyof StageTimes)[]) stages[k] -= before.stages[k];
    const records = after.records - before.records;
    console.log(`pool: ${threads} workers, batch ${batchSize}: ${smiles.length} records in ${seconds.toFixed(1)} s = ${Math.round(smiles.length / seconds)} mol/s (ok ${ok}, failed ${failed})`);
    console.log(`  inside the workers: ${stageReport(stages, records)}`);
    const cpuMs = after.workers.reduce((s, w) => s + w.cpuMs, 0) - before.workers.reduce((s, w) => s + w.cpuMs, 0);
    if (cpuMs > 0) {
      console.log(`  worker thread CPU: ${((cpuMs * 1000) / records).toFixed(0)} µs/mol → ${Math.round((threads * records) / (cpuMs / 1000))} mol/s if each worker had a core to itself`);
    }
    console.log(`  worker busy ${((Object.values(stages).reduce((a, b) => a + b, 0) / 1000 / threads / seconds) * 100).toFixed(0)}% of wall time; live RDKit objects after: ${await pool.liveObjects()}; heap per worker: ${after.workers.map((w) => `${(w.heapBytes / 2 ** 20).toFixed(0)} MB`).join(', ')}; QED alerts confirmed by RDKit: ${after.workers.reduce((s, w) => s + w.alertConfirmations, 0)}`);
    return { seconds, perSecond: smiles.length / seconds, stages, records };
  } finally {
    await pool.close();
  }
}

async function benchOneCore(smiles: string[]) {
  const n = Math.min(20_000, smiles.length);
  const sample = smiles.slice(0, n);
  const engine = await ChemEngine.create();
  const kit = await Kit.create();
  const single = await ChemPool.create({ threads: 1 });
  // [wall µs/mol, thread CPU µs/mol]
  const plain = (): number[] => {
    const R = kit.R;
    const c = threadCpuMs();
    const t = performance.now();
    for (const s of sample) {
      const m = R.get_mol(s);
      if (!m) continue;
      JSON.parse(m.get_descriptors());
      m.get_morgan_fp_as_uint8array();
      m.get_smiles();
      m.delete();
    }
    return [((performance.now() - t) * 1000) / n, ((threadCpuMs() - c) * 1000) / n];
  };
  const full = async (): Promise<number[]> => {
    const c = threadCpuMs();
    const t = performance.now();
    for (let i = 0; i < n; i += batchSize) {
      const texts = sample.slice(i, i + batchSize);
      await engine.processBatch({ texts, molblock: new Uint8Array(texts.length) });
    }
    return [((performance.now() - t) * 1000) / n, ((threadCpuMs() - c) * 1000) / n];
  };
  const worker = async (): Promise<number[]> => {
    const c = (await single.stats()).workers[0].cpuMs;
    const t = performance.now();
    for (let i = 0; i < n; i += batchSize) {
      const texts = sample.slice(i, i + batchSize);
      await single.process({ texts, molblock: new Uint8Array(texts.length) });
    }
    return [((performance.now() - t) * 1000) / n, (((await single.stats()).workers[0].cpuMs - c) * 1000) / n];
  };
  try {
    plain();
    await full();
    await worker(); // warm-up all three
    const p: number[][] = [], f: number[][] = [], w: number[][] = [];
    for (let rep = 0; rep < 2; rep++) {
      p.push(plain());
      f.push(await full());
      w.push(await worker());
    }
    const best = (xs: number[][], i: number) => Math.min(...xs.map((x) => x[i])).toFixed(0);
    console.log(`one core, ${n} records, best of 2 (wall / thread CPU µs per molecule):`);
    console.log(`  plain WASM basics in-thread (parse, get_descriptors + JSON.parse, Morgan, SMILES, delete): ${best(p, 0)} / ${best(p, 1)}`);
    console.log(`  Strata engine in-thread (adds standardisation test, QED, packing):                      ${best(f, 0)} / ${best(f, 1)}`);
    console.log(`  Strata engine in a pool worker loaded through tsx (+ messaging):                      ${best(w, 0)} / ${best(w, 1)}`);
    console.log(`  engine stages in-thread: ${stageReport(engine.stats.stages, engine.stats.records)}`);
  } finally {
    await single.close();
  }
}

function native(smiles: string[]): void {
  // the same records as the pool run: a temporary copy when --limit cut the file
  let file = FILE;
  if (smiles.length < all.length) {
    file = path.join(os.tmpdir(), `strata-chem-bench-${process.pid}.csv.gz`);
    fs.writeFileSync(file, zlib.gzipSync(`SMILES\n${smiles.join('\n')}\n`));
  }
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'native_rdkit.py'), file, String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { rdkit: string; per_second: number };
    console.log(`native RDKit ${r.rdkit}, ${threads} processes, same records (parse, 43 descriptors, Morgan, SMILES; no QED, no standardisation): ${Math.round(r.per_second)} mol/s`);
  } catch (err) {
    console.log(`native baseline unavailable: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    if (file !== FILE) fs.rmSync(file, { force: true });
  }
}

const all = readSmiles();
const limit = opt('--limit', all.length);
const smiles = all.slice(0, limit);
console.log(`${path.basename(FILE)}: ${smiles.length} SMILES`);
await benchPool(smiles);
if (!args.includes('--skip-inthread')) await benchOneCore(smiles);
if (args.includes('--native')) native(smiles);
