/**
 * ChemPool: a fixed set of RDKit worker threads (piscina), one WASM module each.
 *
 * - The RDKit WASM binary is compiled once here and handed to every worker, which only instantiates it
 *   (async piscina init: a worker takes tasks only once its module is ready).
 * - One message per batch; result typed arrays are transferred, not copied.
 * - Cancellation: an AbortSignal removes a queued task, or terminates the worker running it (piscina
 *   then starts a replacement worker).
 * - A worker whose WASM module fails replaces the module itself and goes on (engine.ts); the failed
 *   record is reported, later records and batches are processed normally.
 * - Statistics (live RDKit objects, heap size, per-stage time) are read from shared memory.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { compileRdkitWasm } from './rdkit.js';
import { newStatsBuffers, readStats, releaseSlot } from './protocol.js';
import type { WorkerInit, WorkerTask } from './protocol.js';
import type { ChemBatchInput, ChemBatchOutput, StageTimes, WorkerStats } from './types.js';

export interface ChemPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  /** Test hook, see EngineOptions.faultInjection in engine.ts. Never set in production. */
  faultInjection?: boolean;
}

export interface ChemPoolStats {
  threads: number;
  workers: WorkerStats[];
  records: number;
  failed: number;
  recycles: number;
  liveObjects: number;
  /** Milliseconds summed over workers. */
  stages: StageTimes;
}

function workerFile(): string {
  // Running from TypeScript sources (tsx) or from a JS build: the worker has the same extension as this file.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../../workers/chem.worker${ext}`, import.meta.url).href;
}

export class ChemPool {
  private closed = false;

  private constructor(
    private piscina: Piscina,
    readonly threads: number,
    private buffers: { owners: SharedArrayBuffer; stats: SharedArrayBuffer },
  ) {}

  static async create(opts: ChemPoolOptions = {}): Promise<ChemPool> {
    const threads = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
    const compiled = await compileRdkitWasm();
    const buffers = newStatsBuffers();
    const workerData: WorkerInit = { compiled, ...buffers, faultInjection: opts.faultInjection === true };
    const piscina = new Piscina({
      filename: workerFile(),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      workerData,
    });
    piscina.on('workerDestroy', (w: { id: number }) => releaseSlot(buffers.owners, buffers.stats, w.id));
    const pool = new ChemPool(piscina, threads, buffers);
    try {
      // Fails fast (with the worker's own message) if a worker cannot load RDKit.
      await Promise.all(Array.from({ length: threads }, () => pool.run<string>({ op: 'version' })));
    } catch (err) {
      await piscina.destroy();
      throw new Error(`chemistry workers failed to start: ${(err as Error).message}`, { cause: err });
    }
    return pool;
  }

  private run<T>(task: WorkerTask, signal?: AbortSignal): Promise<T> {
    if (this.closed) return Promise.reject(new Error('chemistry pool is closed'));
    return this.piscina.run(task, { signal }) as Promise<T>;
  }

  /** Standardise, describe and fingerprint a batch of records (one message, typed arrays transferred back). */
  process(batch: ChemBatchInput, signal?: AbortSignal): Promise<ChemBatchOutput> {
    return this.run<ChemBatchOutput>({ op: 'process', texts: batch.texts, molblock: batch.molblock, set: batch.set }, signal);
  }

  /** SVG of a molecule, optionally highlighting a SMARTS match or given atoms. Rejects for unparsable input or SMARTS. */
  depict(smiles: string, opts: { width?: number; height?: number; highlightSmarts?: string; highlightAtoms?: number[] } = {}): Promise<string> {
    return this.run<string>({ op: 'depict', smiles, ...opts });
  }

  /**
   * First match of a SMARTS in each SMILES (hit flags, matched atom indices in that SMILES' atom order).
   * Meant for the canonical SMILES the project stores: those are screened as RDKit "trusted" SMILES
   * (no re-sanitisation), so a SMILES in a different aromatic/Kekulé form than RDKit's own may be missed.
   * Rejects with a clear Error for an invalid SMARTS.
   */
  substructure(querySmarts: string, smiles: string[], signal?: AbortSignal, opts: { atoms?: boolean } = {}): Promise<{ hits: Uint8Array; atoms: (number[] | null)[] }> {
    return this.run({ op: 'substructure', smarts: querySmarts, smiles, atoms: opts.atoms }, signal);
  }

  /** Structural-alert ids (core/chem/alerts.ts) of stored parent SMILES; null where they cannot be computed. */
  alerts(smiles: string[], signal?: AbortSignal): Promise<(string[] | null)[]> {
    return this.run<(string[] | null)[]>({ op: 'alerts', smiles }, signal);
  }

  /** Substructure-screen fingerprints (core/chem/screen-fp.ts) of stored SMILES, SCREEN_FP_BYTES each; all zero where the JS reader cannot read one. */
  screenFingerprints(smiles: string[], signal?: AbortSignal): Promise<Uint8Array> {
    return this.run<Uint8Array>({ op: 'screenfp', smiles }, signal);
  }

  /** V2000 molblocks with 2D coordinates, for SDF export (an empty molblock where RDKit cannot parse the SMILES). */
  molblocks(smiles: string[], signal?: AbortSignal): Promise<string[]> {
    return this.run<string[]>({ op: 'molblocks', smiles }, signal);
  }

  /** Molecular formula, standard InChI and InChIKey of one structure (rejects for a SMILES RDKit cannot parse). */
  identifiers(smiles: string, signal?: AbortSignal): Promise<{ formula: string; inchi: string | null; inchiKey: string | null }> {
    return this.run({ op: 'identifiers', smiles }, signal);
  }

  /**
   * Morgan fingerprints (FP_BYTES each, back to back) of the molecule with each atom in turn replaced by a
   * dummy atom, in the atom order of `smiles` — for atom-contribution maps. Rejects for unparsable SMILES.
   */
  atomMaskedFingerprints(smiles: string): Promise<{ nAtoms: number; fps: Uint8Array }> {
    return this.run({ op: 'masked', smiles });
  }

  rdkitVersion(): Promise<string> {
    return this.run<string>({ op: 'version' });
  }

  /** Transient RDKit objects not yet deleted, summed over workers (0 between tasks unless something leaks). */
  async liveObjects(): Promise<number> {
    return readStats(this.buffers.owners, this.buffers.stats).reduce((s, w) => s + w.liveObjects, 0);
  }

  /** Per-worker and total statistics, including time per stage inside the workers. */
  async stats(): Promise<ChemPoolStats> {
    const workers = readStats(this.buffers.owners, this.buffers.stats);
    const stages: StageTimes = { parse: 0, standardise: 0, descriptors: 0, qed: 0, fingerprint: 0, screenfp: 0, smiles: 0, free: 0, other: 0 };
    for (const w of workers) for (const k of Object.keys(stages) as (keyof StageTimes)[]) stages[k] += w.stages[k];
    return {
      threads: this.threads,
      workers,
      records: workers.reduce((s, w) => s + w.records, 0),
      failed: workers.reduce((s, w) => s + w.failed, 0),
      recycles: workers.reduce((s, w) => s + w.recycles, 0),
      liveObjects: workers.reduce((s, w) => s + w.liveObjects, 0),
      stages,
    };
  }

  /** Waits for queued tasks, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.close();
    await this.piscina.destroy();
  }
}
