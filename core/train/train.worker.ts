/**
 * Worker thread that trains ensemble members. It receives the featurised data once (workerData) and then one
 * message per member: {id, pairIdx, cfg} → {id, model} or {id, error}. Every failure is answered, so the pool
 * never waits forever.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { trainTwoTower, type SparseRows, type TrainConfig, type TrainSet } from './twotower.js';

interface Init {
  compounds: SparseRows;
  genotypes: SparseRows;
  drug: Int32Array;
  cell: Int32Array;
  y: Float32Array;
}

interface Job {
  id: number;
  pairIdx: Int32Array;
  cfg: TrainConfig;
}

const init = workerData as Init;

parentPort!.on('message', (job: Job) => {
  try {
    const n = job.pairIdx.length;
    const set: TrainSet = { compounds: init.compounds, genotypes: init.genotypes, drug: new Int32Array(n), cell: new Int32Array(n), y: new Float32Array(n) };
    for (let i = 0; i < n; i++) {
      const p = job.pairIdx[i];
      set.drug[i] = init.drug[p];
      set.cell[i] = init.cell[p];
      set.y[i] = init.y[p];
    }
    const model = trainTwoTower(set, job.cfg);
    parentPort!.postMessage({ id: job.id, model });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  }
});
