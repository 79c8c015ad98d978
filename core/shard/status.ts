/**
 * `shard status`: done / failed / missing shards, from the markers alone (never from the engine's
 * accounting, which a lab's resubmissions and purges make unreliable), and the resubmit command
 * for the tasks that still have work.
 */
import fs from 'node:fs';
import { readManifest } from './manifest.js';
import type { Manifest } from './manifest.js';
import { failedMarker, readDone } from './run.js';

export interface ShardStatus {
  runId: string;
  shards: number;
  tasks: number;
  done: number[];
  failed: { shard: number; exitCode: number; message: string }[];
  missing: number[];
  /** Tasks with a shard not done (failed or missing). */
  tasksToRun: number[];
}

export function shardStatus(work: string, m: Manifest = readManifest(work)): ShardStatus {
  const done: number[] = [];
  const failed: ShardStatus['failed'] = [];
  const missing: number[] = [];
  for (const s of m.shards) {
    if (readDone(work, m, s.index)) {
      done.push(s.index);
      continue;
    }
    const f = readFailed(failedMarker(work, s.index));
    if (f && f.paramsHash === m.paramsHash) failed.push({ shard: s.index, exitCode: f.exitCode ?? 1, message: f.message ?? '' });
    else missing.push(s.index);
  }
  const todo = new Set([...failed.map((f) => f.shard), ...missing].map((i) => i % m.tasks));
  return { runId: m.runId, shards: m.shards.length, tasks: m.tasks, done, failed, missing, tasksToRun: [...todo].sort((a, b) => a - b) };
}

function readFailed(file: string): { paramsHash?: string; exitCode?: number; message?: string } | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { paramsHash?: string; exitCode?: number; message?: string };
  } catch {
    return null;
  }
}

/** `0-3,7,9-10`: the compact index list sbatch --array, and a reader, understand. */
export function indexRanges(ix: readonly number[]): string {
  const sorted = [...new Set(ix)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
