/**
 * A screen's ONNX predictions per chunk of compounds (every compound × every panel sample): in the
 * screening thread (small screens), or in a worker thread so that they overlap with the screening
 * thread's own work on the neighbouring chunks (large screens: onnxruntime runs synchronously in the
 * thread that calls it).
 *
 * The caller hands over the chunk's two buffers — compound features and the place for the
 * predictions — and gets them back with the predictions written. With the worker they are
 * transferred both ways, not copied, so a caller keeps two pairs in flight and reuses them.
 */
import { Piscina } from 'piscina';
import { ApiError } from '../api/errors.js';
import { predictMatrix } from '../predict/infer.js';
import type { LoadedModel } from '../predict/registry.js';

export interface ChunkTask {
  /** Compound features; the first n × compound features values are used. */
  x: Float32Array;
  n: number;
  /** Receives n × nSamples predictions. */
  out: Float32Array;
}

export interface ChunkResult {
  /** The task's buffers, to use again (predictions in `out`). */
  x: Float32Array;
  out: Float32Array;
  /** Milliseconds the predictions took. */
  ms: number;
}

/** The predictions of one chunk, wherever they run. */
export async function runChunk(model: LoadedModel, genotypes: Float32Array, nSamples: number, batchSize: number, task: ChunkTask, signal?: AbortSignal): Promise<ChunkResult> {
  const F = model.manifest.compoundFeatures.length;
  const t0 = performance.now();
  await predictMatrix(model, task.x.subarray(0, task.n * F), task.n, genotypes, nSamples, { signal, bounds: false, out: task.out, batchSize });
  return { x: task.x, out: task.out, ms: performance.now() - t0 };
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

/** Predictions in the calling thread. */
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
 * Predictions in one worker thread (piscina) with its own session of the same model, on one
 * onnxruntime thread: the screening thread keeps the other core busy. Measured on 2 cores (176k
 * compounds): as fast as two onnxruntime threads, with less CPU; scoring the domain here as well
 * was slower than leaving it to the screening thread.
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
        r = (await track(pool.run(task, { transferList: [task.x.buffer as ArrayBuffer, task.out.buffer as ArrayBuffer] }))) as ChunkResult;
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
