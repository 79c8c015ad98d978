/**
 * Messages between ChemPool (main thread) and workers/chem.worker.ts, and the shared-memory layout of
 * per-worker statistics (so liveObjects()/stats() need no round trip, and reach every worker — a task
 * cannot be addressed to a particular piscina worker).
 */
import type { ChemBatchInput, StageTimes, WorkerStats } from './types.js';

export interface WorkerInit {
  /** RDKit WASM compiled once by the pool; each worker only instantiates it. */
  compiled: WebAssembly.Module;
  /** Int32Array(MAX_SLOTS): threadId of the worker owning each stats slot, 0 = free. */
  owners: SharedArrayBuffer;
  /** Float64Array(MAX_SLOTS * STAT_FIELDS.length). */
  stats: SharedArrayBuffer;
  faultInjection: boolean;
}

export type WorkerTask =
  | ({ op: 'process' } & ChemBatchInput)
  | { op: 'depict'; smiles: string; width?: number; height?: number; highlightSmarts?: string; highlightAtoms?: number[] }
  | { op: 'substructure'; smarts: string; smiles: string[]; atoms?: boolean }
  | { op: 'screenfp'; smiles: string[] }
  | { op: 'alerts'; smiles: string[] }
  | { op: 'molblocks'; smiles: string[] }
  | { op: 'identifiers'; smiles: string }
  | { op: 'masked'; smiles: string }
  | { op: 'version' };

export const MAX_SLOTS = 64;
const STAGE_KEYS: (keyof StageTimes)[] = ['parse', 'standardise', 'descriptors', 'qed', 'fingerprint', 'screenfp', 'smiles', 'free', 'other'];
const SCALAR_KEYS = ['records', 'failed', 'batches', 'recycles', 'liveObjects', 'persistentObjects', 'heapBytes', 'alertConfirmations', 'cpuMs'] as const;
export const STAT_FIELDS = SCALAR_KEYS.length + STAGE_KEYS.length;

export function newStatsBuffers(): { owners: SharedArrayBuffer; stats: SharedArrayBuffer } {
  return {
    owners: new SharedArrayBuffer(MAX_SLOTS * 4),
    stats: new SharedArrayBuffer(MAX_SLOTS * STAT_FIELDS * 8),
  };
}

/** Worker side: take a free slot (-1 if all 64 are taken: then the worker simply reports nothing). */
export function claimSlot(owners: SharedArrayBuffer, threadId: number): number {
  const o = new Int32Array(owners);
  for (let i = 0; i < MAX_SLOTS; i++) if (Atomics.compareExchange(o, i, 0, threadId) === 0) return i;
  return -1;
}

export function writeStats(stats: SharedArrayBuffer, slot: number, s: WorkerStats): void {
  if (slot < 0) return;
  const f = new Float64Array(stats, slot * STAT_FIELDS * 8, STAT_FIELDS);
  let i = 0;
  for (const k of SCALAR_KEYS) f[i++] = s[k];
  for (const k of STAGE_KEYS) f[i++] = s.stages[k];
}

/** Main side: statistics of the workers currently owning a slot. */
export function readStats(owners: SharedArrayBuffer, stats: SharedArrayBuffer): WorkerStats[] {
  const o = new Int32Array(owners);
  const out: WorkerStats[] = [];
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const threadId = Atomics.load(o, slot);
    if (threadId === 0) continue;
    const f = new Float64Array(stats, slot * STAT_FIELDS * 8, STAT_FIELDS);
    let i = 0;
    const s = { threadId } as WorkerStats;
    for (const k of SCALAR_KEYS) s[k] = f[i++];
    const stages = {} as StageTimes;
    for (const k of STAGE_KEYS) stages[k] = f[i++];
    s.stages = stages;
    out.push(s);
  }
  return out;
}

/** Main side: a worker has gone; free its slot (its RDKit objects died with it). */
export function releaseSlot(owners: SharedArrayBuffer, stats: SharedArrayBuffer, threadId: number): void {
  const o = new Int32Array(owners);
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    if (Atomics.load(o, slot) === threadId) {
      new Float64Array(stats, slot * STAT_FIELDS * 8, STAT_FIELDS).fill(0);
      Atomics.store(o, slot, 0);
    }
  }
}
