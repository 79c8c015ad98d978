/**
 * A screen's model work per chunk of compounds — ONNX predictions against every panel sample and
 * the applicability domain — in the screening thread (small screens), or in a worker thread so that
 * it overlaps with the screening thread's own work on the neighbouring chunks (large screens:
 * onnxruntime runs synchronously in the thread that calls it).
 *
 * The caller hands over the chunk's buffers — compound features, the place for the predictions,
 * the fingerprints — and gets the first two back with the predictions written, plus the domain
 * scores. With the worker they are transferred both ways, not copied, so a caller keeps two sets in
 * flight and reuses them.
 */
import { Piscina } from 'piscina';
import { ApiError } from '../api/errors.js';
import { maxTanimoto, tanimotoIndex } from '../chem/similarity.js';
import type { TanimotoIndex } from '../chem/similarity.js';
import { predictMatrix, trainDrugs } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';

const domainIndexes = new WeakMap<object, TanimotoIndex>();

/** The model's training-drug fingerprints indexed by bit (built once per loaded side file). */
function trainingIndex(model: LoadedModel): TanimotoIndex {
  const file = trainDrugs(model);
  let idx = domainIndexes.get(file);
  if (!idx) {
    idx = tanimotoIndex(file.drugs.map((d) => new Uint8Array(Buffer.from(d.fp, 'hex'))));
    domainIndexes.set(file, idx);
  }
  return idx;
}

/**
 * Highest Tanimoto of each compound to any training drug (maxTanimoto on the drugs indexed by bit:
 * a compound's ~50 set bits meet the drugs sharing each, instead of every drug's every bit).
 */
export function domainScores(model: LoadedModel, fps: Uint8Array, n: number): Float32Array {
  return maxTanimoto(trainingIndex(model), fps, n);
}

export interface ChunkTask {
  /** Compound features; the first n × compound features values are used. */
  x: Float32Array;
  n: number;
  /** Receives n × nSamples predictions. */
  out: Float32Array;
  /** n fingerprints back to back (FP_BYTES each), for the domain scores. */
  fps: Uint8Array;
}

export interface ChunkResult {
  /** The task's buffers, to use again. */
  x: Float32Array;
  out: Float32Array;
  /** Highest Tanimoto to a training drug per compound. */
  domain: Float32Array;
  /** Milliseconds spent on the predictions and on the domain scores. */
  ms: { onnx: number; domain: number };
}

/** The model work of one chunk, wherever it runs. */
export async function runChunk(model: LoadedModel, genotypes: Float32Array, nSamples: number, batchSize: number, task: ChunkTask, signal?: AbortSignal): Promise<ChunkResult> {
  const F = model.manifest.compoundFeatures.length;
  const t0 = performance.now();
  await predictMatrix(model, task.x.subarray(0, task.n * F), task.n, genotypes, nSamples, { signal, bounds: false, out: task.out, batchSize });
  const t1 = performance.now();
  const domain = domainScores(model, task.fps, task.n);
  return { x: task.x, out: task.out, domain, ms: { onnx: t1 - t0, domain: performance.now() - t1 } };
}

export interface Predictor {
  run(task: ChunkTask): Promise<ChunkResult>;
  close(): Promise<void>;
}

export interface PredictorOptions {
  /** Genotype input [nSamples × genotype features]. */
  genotypes: Float32Array;
  nSamples: number;
  /** Compounds per ONNX run. */
  batchSize: number;
  signal: AbortSignal;
}

/** Model work in the calling thread. */
export function inlinePredictor(model: LoadedModel, opts: PredictorOptions): Predictor {
  return {
    run: (task) => runChunk(model, opts.genotypes, opts.nSamples, opts.batchSize, task, opts.signal),
    async close() {},
  };
}

export interface PredictWorkerData {
  modelDir: string;
  sha256: string;
  genotypes: Float32Array;
  nSamples: number;
  batchSize: number;
}

function workerFile(): string {
  // Running from TypeScript sources (tsx) or from a JS build: the worker has the same extension as this file.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./predict.worker${ext}`, import.meta.url).href;
}

/**
 * Model work in one worker thread (piscina) with its own session of the same model, on one
 * onnxruntime thread: the screening thread keeps the other core busy, and a second onnxruntime
 * thread would only compete with it (and spin).
 *
 * The thread is never terminated while it works: ending a worker thread inside an onnxruntime run
 * aborts the whole process. A cancelled screen lets the chunk under way finish (one ONNX run) and
 * discards it; close() waits for the tasks under way, releases the worker's session, then ends the
 * thread.
 */
export function workerPredictor(model: LoadedModel, opts: PredictorOptions): Predictor {
  const workerData: PredictWorkerData = { modelDir: model.dir, sha256: model.sha256, genotypes: opts.genotypes, nSamples: opts.nSamples, batchSize: opts.batchSize };
  const pool = new Piscina({ filename: workerFile(), minThreads: 1, maxThreads: 1, idleTimeout: Infinity, concurrentTasksPerWorker: 1, workerData });
  const underway = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    const settled = p.then(() => undefined, () => undefined);
    underway.add(settled);
    void settled.then(() => underway.delete(settled));
    return p;
  };
  return {
    async run(task) {
      if (opts.signal.aborted) throw new ApiError('CANCELLED', 'screen cancelled');
      let r: ChunkResult;
      try {
        r = (await track(pool.run(task, { transferList: [task.x.buffer as ArrayBuffer, task.out.buffer as ArrayBuffer, task.fps.buffer as ArrayBuffer] }))) as ChunkResult;
      } catch (err) {
        throw new ApiError('INTERNAL', (err as Error).message);
      }
      if (opts.signal.aborted) throw new ApiError('CANCELLED', 'screen cancelled');
      return r;
    },
    async close() {
      await Promise.all(underway);
      try {
        await pool.run({ op: 'release' });
      } finally {
        await pool.destroy();
      }
    },
  };
}
