/**
 * RDKit worker (piscina). The default export is a promise of the task handler, so piscina reports the
 * worker ready only after the WASM module is instantiated (from the module the pool compiled once).
 *
 * Loading under tsx: piscina first require()s the file, which tsx's CommonJS hook transpiles; that works
 * in worker threads on Node 20, where module.register() hooks (tsx's ESM path) do not reach workers.
 * Transpilation happens once, at load; the code that runs per record is plain JS either way.
 *
 * Every task answers: errors inside a record fail that record (engine.ts); anything else rejects the
 * task with a message naming the operation. Batch results go back with their typed arrays transferred.
 */
import { threadId, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { ChemEngine } from '../core/chem/engine.js';
import { claimSlot, writeStats } from '../core/chem/protocol.js';
import type { WorkerInit, WorkerTask } from '../core/chem/protocol.js';

/** Wraps a result so piscina transfers the given buffers instead of copying them. */
function transfer<T extends object>(value: T, buffers: ArrayBufferLike[]): unknown {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value });
}

async function init() {
  const data = workerData as WorkerInit;
  const engine = await ChemEngine.create({ compiled: data.compiled, faultInjection: data.faultInjection }, threadId);
  const slot = claimSlot(data.owners, threadId);
  writeStats(data.stats, slot, engine.refreshStats());

  return async function handle(task: WorkerTask): Promise<unknown> {
    try {
      switch (task.op) {
        case 'process': {
          const out = await engine.processBatch(task);
          return transfer(out, [out.ok.buffer, out.descriptors.buffer, out.flags.buffer, out.fingerprints.buffer, out.screenFps.buffer, out.heavyAtoms.buffer]);
        }
        case 'depict':
          return engine.depict(task.smiles, task);
        case 'substructure': {
          const r = engine.substructure(task.smarts, task.smiles, { atoms: task.atoms });
          return transfer(r, [r.hits.buffer]);
        }
        case 'alerts':
          return engine.alertsOf(task.smiles);
        case 'screenfp': {
          const fps = engine.screenFingerprints(task.smiles);
          return transfer(fps, [fps.buffer]);
        }
        case 'molblocks':
          return engine.molblocks(task.smiles);
        case 'identifiers':
          return engine.identifiers(task.smiles);
        case 'masked': {
          const r = engine.atomMaskedFingerprints(task.smiles);
          return transfer(r, [r.fps.buffer]);
        }
        case 'version':
          return engine.version();
        default:
          throw new Error(`unknown chem worker operation '${(task as { op: string }).op}'`);
      }
    } finally {
      writeStats(data.stats, slot, engine.refreshStats());
    }
  };
}

// A failed start (no WASM, unreadable pattern file, unexpected RDKit build) must reach the pool with
// its own message: answer every task with it instead of letting piscina fall back to other loaders.
export default init().catch((err: unknown) => {
  const message = `chemistry worker could not start: ${err instanceof Error ? err.message : String(err)}`;
  return function failed(): never {
    throw new Error(message);
  };
});
