/**
 * The worker thread (piscina, one thread) that runs a large screen's ONNX predictions per chunk (see
 * predictor.ts) while the screening thread loads, featurises, aggregates and scores the domain of
 * the neighbouring chunks. Loaded like the chem pool's worker
 * (workers/chem.worker.ts): piscina require()s it, which tsx transpiles in worker threads too.
 *
 * It loads the model itself (the directory and checksum of the screening thread's model, one
 * onnxruntime thread) and answers each task with the buffers it was given, transferred. The last
 * task releases the session (see workerPredictor).
 */
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadModel, releaseModels } from '../predict/registry.js';
import { runChunk } from './predictor.js';
import type { ChunkTask, PredictWorkerData } from './predictor.js';

async function init() {
  const data = workerData as PredictWorkerData;
  const model = await loadModel(data.modelDir, { threads: 1 });
  if (model.sha256 !== data.sha256) throw new Error(`the model in ${data.modelDir} changed (sha256 ${model.sha256}; the screen uses ${data.sha256})`);
  return async function run(task: ChunkTask | { op: 'release' }): Promise<unknown> {
    // Before the thread ends: its session goes while the thread is alive.
    if ('op' in task) return releaseModels();
    const r = await runChunk(model, data.genotypes, data.nSamples, data.batchSize, task);
    return move({ [transferableSymbol]: [r.x.buffer, r.out.buffer], [valueSymbol]: r });
  };
}

// A failed start (model missing or changed) answers every task with its message.
export default init().catch((err: unknown) => {
  const message = `prediction worker could not start: ${err instanceof Error ? err.message : String(err)}`;
  return function failed(task: { op?: string }): undefined {
    if (task.op === 'release') return undefined;
    throw new Error(message);
  };
});
