/**
 * Drug-grouped folds for the mechanism evaluation and the expensive two-tower out-of-fold predictions they need,
 * cached on disk so that re-running the (cheap) transfer part takes minutes instead of an hour.
 *
 * Two splits over drug groups:
 * - `unseen-drug`: drug groups (name + structure, core/train/data.ts) dealt into folds, as `evaluate` does;
 * - `cluster`: drug groups joined by single linkage at Tanimoto ≥ 0.7 (Morgan r2/2048), clusters dealt into folds,
 *   so close analogues never straddle training and test.
 *
 * Nested predictions: for outer fold f the inner folds are the other outer folds g. The two-tower prediction of an
 * inner fold g inside outer training set "not f" comes from a model trained without f and g: one model per
 * unordered pair {f, g} serves both (f, g) and (g, f), so k(k−1)/2 models instead of k(k−1).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tanimotoClusters } from '../chem/similarity.js';
import { assignFolds, ensembleJobs, outOfFold, trainMembers, trainSetOf, type OutOfFold, type PoolOptions, type Progress } from './cv.js';
import type { Prepared } from './prepare.js';
import { predictEnsemblePairs, type TrainConfig } from './twotower.js';

export type DrugSplit = 'unseen-drug' | 'cluster';

/** Fold per drug group for a drug split (deterministic for the seed). */
export function drugSplitFolds(prep: Prepared, split: DrugSplit, k: number, seed: number): Int32Array {
  const nD = prep.data.drugs.length;
  if (split === 'unseen-drug') return assignFolds(nD, k, seed);
  const cl = tanimotoClusters(prep.raw.map((r) => r.fingerprint));
  const nC = cl.reduce((a, b) => Math.max(a, b + 1), 0);
  const f = assignFolds(nC, k, seed + 7919);
  return Int32Array.from(cl, (c) => f[c]);
}

/** Pair folds from drug folds. */
export function pairFoldsOf(prep: Prepared, drugFold: Int32Array): Int32Array {
  return Int32Array.from(prep.data.pairs.drug, (d) => drugFold[d]);
}

export interface NestedOof {
  outer: OutOfFold;
  /**
   * inner[f][p]: for a pair p of fold g ≠ f, the prediction of a model trained without folds f and g (NaN for pairs
   * of fold f). Row-major [k × pairs].
   */
  inner: Float32Array;
  k: number;
}

function cacheKey(prep: Prepared, parts: unknown): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(prep.data.files.map((f) => f.sha256)));
  h.update(JSON.stringify(parts));
  return h.digest('hex').slice(0, 16);
}

function readF32(path: string, n: number): Float32Array | null {
  if (!existsSync(path)) return null;
  const b = readFileSync(path);
  if (b.byteLength !== n * 4) return null;
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function writeF32(path: string, a: Float32Array): void {
  writeFileSync(path, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

export interface NestedOptions extends Omit<PoolOptions, 'onDone'> {
  /** Directory for cached predictions (never inside the repository); null: no cache. */
  cacheDir: string | null;
  /** Ensemble members of the inner (pair) models (default 1: they only choose a handful of transfer parameters). */
  innerMembers?: number;
  progress?: (p: Progress) => void;
}

/** Outer and inner two-tower out-of-fold predictions for a drug split, from the cache when present. */
export async function nestedOutOfFold(prep: Prepared, split: DrugSplit, drugFold: Int32Array, k: number, cfg: TrainConfig, K: number, seed: number, opts: NestedOptions): Promise<NestedOof> {
  const n = prep.data.pairs.y.length;
  const folds = pairFoldsOf(prep, drugFold);
  const Ki = opts.innerMembers ?? 1;
  const key = cacheKey(prep, { split, k, seed, K, Ki, cfg, folds: Array.from(drugFold) });
  const dir = opts.cacheDir;
  if (dir) mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir!, `${split}-${key}-${name}.f32`);

  let outer: OutOfFold | null = null;
  if (dir) {
    const pred = readF32(path('outer-pred'), n);
    const sd = readF32(path('outer-sd'), n);
    if (pred && sd) outer = { pred, sd, folds };
  }
  if (!outer) {
    outer = await outOfFold(prep, folds, k, cfg, K, seed, opts.progress, `${split} outer folds`, { threads: opts.threads, signal: opts.signal });
    if (dir) {
      writeF32(path('outer-pred'), outer.pred);
      writeF32(path('outer-sd'), outer.sd);
    }
  }

  let inner = dir ? readF32(path('inner'), k * n) : null;
  if (!inner) {
    inner = new Float32Array(k * n).fill(NaN);
    const pairsOfFolds: [number, number][] = [];
    for (let f = 0; f < k; f++) for (let g = f + 1; g < k; g++) pairsOfFolds.push([f, g]);
    const jobs = pairsOfFolds.flatMap(([f, g], i) => {
      const tr: number[] = [];
      for (let p = 0; p < n; p++) if (folds[p] !== f && folds[p] !== g) tr.push(p);
      return ensembleJobs(Int32Array.from(tr), cfg, Ki, seed + 1000 + i);
    });
    const models = await trainMembers(prep, jobs, {
      threads: opts.threads,
      signal: opts.signal,
      onDone: (d, t) => opts.progress?.({ stage: `${split} inner folds`, done: d, total: t, message: `${pairsOfFolds.length} fold pairs × ${Ki} members` }),
    });
    pairsOfFolds.forEach(([f, g], i) => {
      const te: number[] = [];
      for (let p = 0; p < n; p++) if (folds[p] === f || folds[p] === g) te.push(p);
      const test = trainSetOf(prep, te);
      const r = predictEnsemblePairs(models.slice(i * Ki, (i + 1) * Ki), prep.compounds, prep.genotypes, test.drug, test.cell);
      te.forEach((p, j) => {
        // Pair p of fold g, seen from outer fold f (and vice versa).
        const outerFold = folds[p] === f ? g : f;
        inner![outerFold * n + p] = r.mean[j];
      });
    });
    if (dir) writeF32(path('inner'), inner);
  }
  return { outer, inner, k };
}
