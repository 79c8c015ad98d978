/**
 * `shard run`: one array task processes its shard(s). Each shard goes through the existing engine —
 * import (standardise, describe) then screen — on a scratch project of its own, and its results are
 * written as Parquet into a temp directory that is renamed into place; `done.json` is written last
 * and is the commit. A shard whose marker carries the manifest's paramsHash is skipped.
 *
 * Layout of the work directory:
 *   manifest.json                      the plan (immutable)
 *   inputs/                            gzip inputs re-chunked by plan/prep
 *   shards/shard-00003/                compounds.parquet, results.parquet, top.parquet, report.csv, done.json
 *   status/shard-00003.failed.json     the last failure of a shard not done (exit code, reason)
 *   logs/shard-00003.json              timings of the last successful run (not an output: not compared)
 *   tmp/                               temp directories of running shards (removed on exit and SIGTERM)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImportSummary, JobState, RankedRow } from '../api/contract.js';
import { ApiCallError, createClient } from '../api/client.js';
import { createEngine } from '../engine.js';
import { allImportIssues, uniqueCompoundRows } from '../store/shard.js';
import type { Store } from '../store/store.js';
import type { ScreenOutput } from '../screen/screen.js';
import { csvField } from '../export/export.js';
import { EXIT, ShardError } from './errors.js';
import { canonicalJson, readManifest, shardsOfTask, sliceFile, writeAtomic } from './manifest.js';
import type { Manifest, ShardSpec } from './manifest.js';
import { rowColumns, writeParquet } from './parquet.js';
import type { ColumnSpec } from './parquet.js';
import { materialiseSlice, SliceChangedError } from './slice.js';

/** Environment variables that carry the array index, per engine (the first one set wins). */
export const INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX', 'SGE_TASK_ID', 'PBS_ARRAY_INDEX', 'LSB_JOBINDEX'] as const;

/** SGE and LSF number array tasks from 1; the others from 0. */
const ONE_BASED = new Set<string>(['SGE_TASK_ID', 'LSB_JOBINDEX']);

export const SHARD_FILES = ['compounds.parquet', 'results.parquet', 'top.parquet', 'report.csv'] as const;

export function shardName(index: number): string {
  return `shard-${String(index).padStart(5, '0')}`;
}

export function shardDir(work: string, index: number): string {
  return path.join(path.resolve(work), 'shards', shardName(index));
}

export function failedMarker(work: string, index: number): string {
  return path.join(path.resolve(work), 'status', `${shardName(index)}.failed.json`);
}

export interface DoneMarker {
  runId: string;
  paramsHash: string;
  shard: number;
  /** sha256 of each output file. */
  files: Record<string, string>;
  /** Import counters of the slice; `compounds` = imported + duplicates (project rows, which fix the global ids). */
  counts: { read: number; imported: number; duplicates: number; failed: number; compounds: number; screened: number };
  /** Columns of top.parquet and results.parquet, with their types (what the merge decodes). */
  rowColumns: ColumnSpec[];
}

/** The done marker of a shard when it is valid for this manifest, else null. */
export function readDone(work: string, m: Manifest, index: number): DoneMarker | null {
  const file = path.join(shardDir(work, index), 'done.json');
  try {
    const d = JSON.parse(fs.readFileSync(file, 'utf8')) as DoneMarker;
    if (d.paramsHash !== m.paramsHash || d.shard !== index) return null;
    for (const f of Object.keys(d.files)) if (!fs.existsSync(path.join(shardDir(work, index), f))) return null;
    return d;
  } catch {
    return null;
  }
}

/** Which task this process is: `--index`, else the engine's variable. */
export function taskIndex(explicit: number | undefined, env: NodeJS.ProcessEnv = process.env): { index: number; from: string } {
  if (explicit !== undefined) return { index: explicit, from: '--index' };
  for (const v of INDEX_VARIABLES) {
    const raw = env[v];
    if (raw === undefined || raw === '' || raw === 'undefined') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new ShardError(`${v}=${raw} is not an array index`, EXIT.USAGE);
    return { index: ONE_BASED.has(v) ? n - 1 : n, from: v };
  }
  throw new ShardError(`no task index: pass --index I or run as an array task (${INDEX_VARIABLES.join(', ')})`, EXIT.USAGE);
}

export interface RunRequest {
  work: string;
  index?: number;
  tasks?: number;
  /** A resubmit: the engine's index i runs task only[i]. */
  only?: number[];
  threads?: number;
  modelsDir?: string;
  log?: (msg: string) => void;
}

export interface ShardRunResult {
  shard: number;
  status: 'done' | 'skipped' | 'failed';
  exitCode: number;
  message?: string;
  seconds?: number;
}

/** Temp directories of this process, removed on SIGTERM before exiting. */
const liveTemps = new Set<string>();
let sigtermInstalled = false;

function installSigterm(): void {
  if (sigtermInstalled) return;
  sigtermInstalled = true;
  process.on('SIGTERM', () => {
    // Pre-emption or a time limit: no half output may stay behind. The finished shards' outputs are
    // committed (renamed, marked) already; the running one's temp directory goes.
    for (const t of liveTemps) fs.rmSync(t, { recursive: true, force: true });
    process.exit(EXIT.SIGTERM);
  });
}

/** Run the shards of one task; the exit code is the worst of them (retryable wins over bad input). */
export async function runTask(req: RunRequest): Promise<{ results: ShardRunResult[]; exitCode: number }> {
  const m = readManifest(req.work);
  const t = taskIndex(req.index);
  const tasks = req.tasks ?? m.tasks;
  if (!Number.isInteger(tasks) || tasks < 1) throw new ShardError(`--tasks must be a whole number ≥ 1 (got ${tasks})`, EXIT.USAGE);
  if (req.only && t.index >= req.only.length) throw new ShardError(`index ${t.index} (from ${t.from}) is outside the ${req.only.length} tasks of --only`, EXIT.USAGE);
  const index = req.only ? req.only[t.index] : t.index;
  const from = req.only ? `${t.from} through --only` : t.from;
  if (!Number.isInteger(index) || index < 0 || index >= tasks) throw new ShardError(`task ${index} (from ${from}) is outside 0..${tasks - 1}: the run has ${tasks} tasks`, EXIT.USAGE);
  installSigterm();
  const results: ShardRunResult[] = [];
  for (const s of shardsOfTask(m, index, tasks)) results.push(await runShard(m, s, req));
  const codes = results.map((r) => r.exitCode);
  const exitCode = codes.includes(EXIT.RETRYABLE) ? EXIT.RETRYABLE : codes.find((c) => c !== 0) ?? 0;
  return { results, exitCode };
}

function threadsFor(req: RunRequest): number {
  if (req.threads) return req.threads;
  // The engine's allocation, where it says one (Slurm); else every core the process may use.
  const slurm = Number(process.env.SLURM_CPUS_PER_TASK);
  return Number.isInteger(slurm) && slurm > 0 ? slurm : os.availableParallelism();
}

export async function runShard(m: Manifest, s: ShardSpec, req: RunRequest): Promise<ShardRunResult> {
  const work = path.resolve(req.work);
  if (readDone(work, m, s.index)) return { shard: s.index, status: 'skipped', exitCode: 0 };
  const t0 = performance.now();
  const tmpRoot = path.join(work, 'tmp');
  let tmp: string | null = null;
  try {
    // Inside the try: a work directory that cannot be written (full, read-only, a file in the way) is a
    // failure of this shard with its exit code (75, retryable), not a crash of the task.
    fs.mkdirSync(tmpRoot, { recursive: true });
    tmp = fs.mkdtempSync(path.join(tmpRoot, `${shardName(s.index)}.${os.hostname()}.${process.pid}.`));
    liveTemps.add(tmp);
    const timings = await processShard(m, s, work, tmp, req);
    fs.rmSync(failedMarker(work, s.index), { force: true });
    const seconds = (performance.now() - t0) / 1000;
    fs.mkdirSync(path.join(work, 'logs'), { recursive: true });
    writeAtomic(path.join(work, 'logs', `${shardName(s.index)}.json`), `${JSON.stringify({ shard: s.index, host: os.hostname(), seconds, ...timings }, null, 2)}\n`);
    return { shard: s.index, status: 'done', exitCode: 0, seconds };
  } catch (err) {
    const exitCode = exitCodeOf(err);
    const message = (err as Error).message;
    try {
      fs.mkdirSync(path.dirname(failedMarker(work, s.index)), { recursive: true });
      writeAtomic(failedMarker(work, s.index), `${JSON.stringify({ shard: s.index, paramsHash: m.paramsHash, exitCode, message, host: os.hostname(), at: new Date().toISOString() }, null, 2)}\n`);
    } catch {
      // The work directory cannot take the marker either: the exit code still tells the engine.
    }
    return { shard: s.index, status: 'failed', exitCode, message };
  } finally {
    if (tmp) {
      fs.rmSync(tmp, { recursive: true, force: true });
      liveTemps.delete(tmp);
    }
  }
}

/** Bad input is not retried; anything else (I/O, memory, a worker) is. */
function exitCodeOf(err: unknown): number {
  if (err instanceof ShardError) return err.exitCode;
  if (err instanceof SliceChangedError) return EXIT.BAD_INPUT;
  if (err instanceof ApiCallError && ['BAD_FILE', 'INVALID_INPUT', 'BAD_RULE', 'NOT_FOUND', 'BAD_MODEL'].includes(err.code)) return EXIT.BAD_INPUT;
  const code = (err as { code?: string }).code;
  if (code === 'ENOENT' && /\binputs?\b|slice|chunk/.test((err as Error).message)) return EXIT.BAD_INPUT;
  return EXIT.RETRYABLE;
}

async function waitJob(api: ReturnType<typeof createClient>, jobId: string): Promise<JobState> {
  const state = await api.call('job.wait', { jobId });
  if (state.status !== 'done') {
    const e = state.error;
    throw new ShardError(`${state.kind} ${state.status}: ${e?.message ?? 'no reason given'}`, ['BAD_FILE', 'INVALID_INPUT', 'BAD_RULE'].includes(e?.code ?? '') ? EXIT.BAD_INPUT : EXIT.RETRYABLE);
  }
  return state;
}

const EXTENSIONS: Record<string, string> = { csv: '.csv', tsv: '.tsv', smi: '.smi', sdf: '.sdf' };

async function processShard(m: Manifest, s: ShardSpec, work: string, tmp: string, req: RunRequest): Promise<Record<string, number>> {
  const input = m.inputs[s.input];
  const timings: Record<string, number> = {};
  let tick = performance.now();
  const lap = (k: string) => {
    const now = performance.now();
    timings[k] = (now - tick) / 1000;
    tick = now;
  };
  const src = sliceFile(work, s);
  if (!fs.existsSync(src)) throw new ShardError(`shard ${s.index}: its input ${src} is missing (moved or not visible on ${os.hostname()}?)`, EXIT.BAD_INPUT);
  const slice = path.join(tmp, `slice${EXTENSIONS[input.format]}${input.compressed ? '.gz' : ''}`);
  await materialiseSlice({ ...s, file: src }, slice);
  lap('slice');

  const engine = await createEngine({ projectFile: path.join(tmp, 'shard.strata'), threads: threadsFor(req), modelsDir: req.modelsDir });
  try {
    const api = createClient(engine.dispatcher);
    const p = m.params;
    const imp = await waitJob(api, (await api.call('library.import', {
      files: [slice], format: input.format, smilesColumn: p.read.smilesColumn ?? undefined, idColumn: p.read.idColumn ?? undefined,
      descriptors: p.descriptorSet.mode,
    })).jobId);
    const summary = imp.result as ImportSummary;
    const fileError = summary.files.find((f) => f.error)?.error;
    if (fileError) throw new ShardError(`shard ${s.index} (${input.name}, lines from ${s.firstLine}): ${fileError}`, EXIT.BAD_INPUT);
    lap('import');

    const compounds = summary.imported + summary.duplicates;
    let rankings: ScreenOutput['rankings'] = new Map();
    if (summary.imported > 0) {
      const scr = await waitJob(api, (await engine.startScreen({ subgroups: p.subgroups.map((g) => g.rule), modelId: p.model.id, weights: p.weights, responseThresholdUm: p.responseThresholdUm })).jobId);
      rankings = (scr.result as ScreenOutput).rankings;
      if (scr && (scr.result as ScreenOutput).result.modelSha256 !== p.model.sha256) {
        throw new ShardError(`shard ${s.index}: model ${p.model.id} has sha256 ${(scr.result as ScreenOutput).result.modelSha256.slice(0, 12)}… here, the plan used ${p.model.sha256.slice(0, 12)}…`, EXIT.BAD_INPUT);
      }
    }
    const rdkit = await (await engine.pool()).rdkitVersion();
    if (rdkit !== p.rdkitVersion) throw new ShardError(`shard ${s.index}: RDKit ${rdkit} on ${os.hostname()}, the plan used ${p.rdkitVersion}`, EXIT.BAD_INPUT);
    lap('screen');

    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    const identity = compoundTable(engine.store, p.descriptorSet.names);
    // Every compound's rows (results) and the shard's own top-K (what the merge reads), per subgroup
    // in the plan's order.
    const all: (RankedRow & { shard: number; identity: string })[] = [];
    const top: (RankedRow & { shard: number; identity: string })[] = [];
    for (const g of p.subgroups) {
      const r = rankings.get(g.label);
      if (!r) continue;
      const rows = r.rows();
      for (const row of rows) {
        const x = { ...row, shard: s.index, identity: identity.identity.get(row.compoundId)! };
        all.push(x);
        if (row.rank <= p.top) top.push(x);
      }
    }
    // A shard with nothing screened (every record failed) still writes its files, with the key columns.
    const cols: ColumnSpec[] = all.length ? rowColumns(all) : [{ name: 'compoundId', type: 'DOUBLE' }, { name: 'subgroup', type: 'VARCHAR' }, { name: 'desirability', type: 'DOUBLE' }, { name: 'shard', type: 'DOUBLE' }, { name: 'identity', type: 'VARCHAR' }];
    await writeParquet(path.join(out, 'results.parquet'), cols, all.map((r) => cols.map((c) => field(r, c.name))));
    await writeParquet(path.join(out, 'top.parquet'), cols, top.map((r) => cols.map((c) => field(r, c.name))));
    await writeParquet(path.join(out, 'compounds.parquet'), identity.columns, identity.rows.map((r) => [s.index, ...r]));
    fs.writeFileSync(path.join(out, 'report.csv'), reportCsv(engine.store, s, input.name));
    lap('write');

    // Commit: the whole directory appears at once; a stale one (a run killed after its rename but
    // before its marker) is replaced. done.json last.
    const final = shardDir(work, s.index);
    fs.mkdirSync(path.dirname(final), { recursive: true });
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(out, final);
    const files: Record<string, string> = {};
    for (const f of SHARD_FILES) files[f] = await sha256(path.join(final, f));
    const done: DoneMarker = {
      runId: m.runId, paramsHash: m.paramsHash, shard: s.index, files,
      counts: { read: summary.read, imported: summary.imported, duplicates: summary.duplicates, failed: summary.failed, compounds, screened: identity.rows.length },
      rowColumns: cols,
    };
    writeAtomic(path.join(final, 'done.json'), `${canonicalJson(done)}\n`);
    lap('commit');
    return timings;
  } finally {
    await engine.close();
  }
}

function field(r: object, k: string): unknown {
  return (r as Record<string, unknown>)[k];
}

async function sha256(file: string): Promise<string> {
  const { sha256File } = await import('../util/hash.js');
  return sha256File(file);
}

/** The screened compounds (no duplicates) with the descriptor set of the plan and the Morgan fingerprint. */
function compoundTable(store: Store, names: string[]): { columns: ColumnSpec[]; rows: unknown[][]; identity: Map<number, string> } {
  const { descriptors: desc, rows } = uniqueCompoundRows(store, names);
  const identity = new Map<number, string>();
  for (const r of rows) identity.set(r[0] as number, r[3] as string);
  const columns: ColumnSpec[] = [
    { name: 'shard', type: 'DOUBLE' }, { name: 'compoundId', type: 'DOUBLE' }, { name: 'name', type: 'VARCHAR' }, { name: 'smiles', type: 'VARCHAR' },
    { name: 'identity', type: 'VARCHAR' }, { name: 'sliceRecord', type: 'DOUBLE' }, { name: 'sliceLine', type: 'DOUBLE' },
    ...desc.map((d) => ({ name: d, type: 'DOUBLE' as const })), { name: 'morgan', type: 'BLOB' },
  ];
  return { columns, rows: rows.map((r) => r.map((v) => (v instanceof Buffer ? new Uint8Array(v) : v))), identity };
}

/** The slice's import report with the input's own line numbers (a slice's line L is line firstLine + L − 1 − header lines). */
function reportCsv(store: Store, s: ShardSpec, inputName: string): string {
  const issues = allImportIssues(store);
  const headerLines = s.headerLines;
  const lines = ['file,shard,slice_record,line,reason,excerpt'];
  for (const [rec, line, reason, excerpt] of issues) {
    const global = line == null ? null : s.firstLine + line - 1 - headerLines;
    lines.push([inputName, s.index, rec, global, reason, excerpt].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
