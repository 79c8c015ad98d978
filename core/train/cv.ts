/** Folds, ensembles and out-of-fold predictions shared by `train` (calibration) and `evaluate`. */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Prepared } from './prepare.js';
import { makeRng, predictEnsemblePairs, trainTwoTower, type TrainConfig, type TrainSet, type TwoTower } from './twotower.js';

export type SplitKind = 'random' | 'unseen-drug' | 'unseen-cell-line';

/** Deterministic fold (0..k-1) per unit: shuffled with the seed, then dealt round-robin. */
export function assignFolds(nUnits: number, k: number, seed: number): Int32Array {
  const rng = makeRng(seed * 104729 + 3);
  const order = Array.from({ length: nUnits }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(nUnits);
  order.forEach((u, i) => (fold[u] = i % k));
  return fold;
}

/** Fold of every pair for a split kind: by pair, by drug group, or by cell line. */
export function pairFolds(prep: Prepared, kind: SplitKind, k: number, seed: number): Int32Array {
  const { drug, cell, y } = prep.data.pairs;
  const out = new Int32Array(y.length);
  if (kind === 'random') return assignFolds(y.length, k, seed);
  const units = kind === 'unseen-drug' ? prep.data.drugs.length : prep.data.cellLines.cosmicIds.length;
  const f = assignFolds(units, k, seed);
  const key = kind === 'unseen-drug' ? drug : cell;
  for (let p = 0; p < y.length; p++) out[p] = f[key[p]];
  return out;
}

export function trainSetOf(prep: Prepared, pairIdx: ArrayLike<number>): TrainSet {
  const { drug, cell, y } = prep.data.pairs;
  const n = pairIdx.length;
  const ts: TrainSet = { compounds: prep.compounds, genotypes: prep.genotypes, drug: new Int32Array(n), cell: new Int32Array(n), y: new Float32Array(n) };
  for (let i = 0; i < n; i++) {
    const p = pairIdx[i];
    ts.drug[i] = drug[p];
    ts.cell[i] = cell[p];
    ts.y[i] = y[p];
  }
  return ts;
}

export interface Progress {
  stage: string;
  done: number;
  total: number | null;
  message?: string;
}

export interface MemberJob {
  /** Indices of the training pairs (into prep.data.pairs). */
  pairIdx: Int32Array;
  cfg: TrainConfig;
}

export interface PoolOptions {
  /** Worker threads (default: available cores, at most 2 busy per job list); 1 trains in this thread. */
  threads?: number;
  signal?: AbortSignal;
  onDone?: (done: number, total: number) => void;
}

function cancelled(): Error {
  return Object.assign(new Error('training cancelled'), { name: 'AbortError' });
}

/**
 * Starts the training worker. Under tsx (TypeScript sources, no build) a worker does not inherit the loader, and
 * `--import tsx` in a worker's execArgv does not apply to its entry module, so a two-line bootstrap registers tsx
 * in the worker and then imports the TypeScript entry.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./train.worker.js', import.meta.url), { workerData });
  const entry = new URL('./train.worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * Trains members on worker threads (one member per message). Results come back in job order, so they do not
 * depend on the number of threads: every member is fully determined by its seed and pairs.
 */
export async function trainMembers(prep: Prepared, jobs: MemberJob[], opts: PoolOptions = {}): Promise<TwoTower[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), jobs.length));
  const results: TwoTower[] = new Array(jobs.length);
  let done = 0;
  if (threads === 1) {
    for (let i = 0; i < jobs.length; i++) {
      if (opts.signal?.aborted) throw cancelled();
      results[i] = trainTwoTower(trainSetOf(prep, jobs[i].pairIdx), jobs[i].cfg, undefined, opts.signal);
      opts.onDone?.(++done, jobs.length);
    }
    return results;
  }
  const { drug, cell, y } = prep.data.pairs;
  const workerData = { compounds: prep.compounds, genotypes: prep.genotypes, drug, cell, y };
  const workers = Array.from({ length: threads }, () => startWorker(workerData));
  let next = 0;
  try {
    await new Promise<void>((resolveAll, rejectAll) => {
      let failed = false;
      const fail = (err: Error) => {
        if (!failed) {
          failed = true;
          rejectAll(err);
        }
      };
      const onAbort = () => fail(cancelled());
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const feed = (w: Worker) => {
        if (failed) return;
        if (next >= jobs.length) {
          if (done === jobs.length) {
            opts.signal?.removeEventListener('abort', onAbort);
            resolveAll();
          }
          return;
        }
        const id = next++;
        w.postMessage({ id, pairIdx: jobs[id].pairIdx, cfg: jobs[id].cfg });
      };
      for (const w of workers) {
        w.on('message', (msg: { id: number; model?: TwoTower; error?: string }) => {
          if (msg.error !== undefined || !msg.model) return fail(new Error(`training member ${msg.id} failed in a worker: ${msg.error ?? 'no model'}`));
          results[msg.id] = msg.model;
          opts.onDone?.(++done, jobs.length);
          if (done === jobs.length) {
            opts.signal?.removeEventListener('abort', onAbort);
            resolveAll();
          } else feed(w);
        });
        w.on('error', (err) => fail(err));
        w.on('exit', (code) => {
          if (code !== 0 && done < jobs.length) fail(new Error(`training worker exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

/** K member jobs on the same pairs with seeds seed·100+1 … seed·100+K. */
export function ensembleJobs(pairIdx: Int32Array, cfg: TrainConfig, K: number, seed: number): MemberJob[] {
  return Array.from({ length: K }, (_, m) => ({ pairIdx, cfg: { ...cfg, seed: seed * 100 + m + 1 } }));
}

export interface OutOfFold {
  /** Ensemble-mean prediction for every pair, from the model of the fold that held the pair out. */
  pred: Float32Array;
  /** Ensemble standard deviation (across members) per pair. */
  sd: Float32Array;
  folds: Int32Array;
}

/** Cross-validated predictions: one ensemble per fold (fold f uses seed + f), predicting the pairs it did not see. */
export async function outOfFold(
  prep: Prepared,
  folds: Int32Array,
  k: number,
  cfg: TrainConfig,
  K: number,
  seed: number,
  progress?: (p: Progress) => void,
  stage = 'cross-validation',
  pool: Omit<PoolOptions, 'onDone'> = {},
): Promise<OutOfFold> {
  const n = prep.data.pairs.y.length;
  const pred = new Float32Array(n);
  const sd = new Float32Array(n);
  const tests: Int32Array[] = [];
  const jobs: MemberJob[] = [];
  for (let f = 0; f < k; f++) {
    const tr: number[] = [];
    const te: number[] = [];
    for (let p = 0; p < n; p++) (folds[p] === f ? te : tr).push(p);
    tests.push(Int32Array.from(te));
    jobs.push(...ensembleJobs(Int32Array.from(tr), cfg, K, seed + f));
  }
  const models = await trainMembers(prep, jobs, { ...pool, onDone: (d, t) => progress?.({ stage, done: d, total: t, message: `${k} folds × ${K} members` }) });
  for (let f = 0; f < k; f++) {
    const te = tests[f];
    if (!te.length) continue;
    const test = trainSetOf(prep, te);
    const r = predictEnsemblePairs(models.slice(f * K, (f + 1) * K), prep.compounds, prep.genotypes, test.drug, test.cell);
    te.forEach((p, i) => {
      pred[p] = r.mean[i];
      let v = 0;
      for (const mp of r.members) v += (mp[i] - r.mean[i]) ** 2;
      sd[p] = Math.sqrt(v / Math.max(1, r.members.length - 1));
    });
  }
  return { pred, sd, folds };
}
