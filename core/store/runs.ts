/**
 * Who is doing the work a row says is `running`: each import (sources) and screen (screen_runs) records
 * its owner process. At open, rows whose owner is gone (killed, crashed, power loss) are marked
 * `interrupted`; an interrupted import resumes after its last committed batch.
 */
import os from 'node:os';
import type { Db } from './db.js';

export interface Owner {
  host: string;
  pid: number;
}

export function thisOwner(): string {
  return JSON.stringify({ host: os.hostname(), pid: process.pid } satisfies Owner);
}

export function parseOwner(s: string | null): Owner | null {
  if (!s) return null;
  try {
    const o = JSON.parse(s) as Partial<Owner>;
    return typeof o.host === 'string' && typeof o.pid === 'number' ? { host: o.host, pid: o.pid } : null;
  } catch {
    return null;
  }
}

/**
 * Whether the process that owns a running row still runs. Work with no recorded owner was started by
 * a Strata from before owners were recorded: nothing can still be running it. A process on another
 * machine (a project on a shared drive) cannot be checked, and counts as alive.
 */
export function ownerAlive(owner: string | null): boolean {
  const o = parseOwner(owner);
  if (!o) return false;
  if (o.host !== os.hostname()) return true;
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Marks running imports and screens of dead owners `interrupted`; returns how many of each. */
export function markInterrupted(db: Db): { sources: number; runs: number } {
  const out = { sources: 0, runs: 0 };
  const now = new Date().toISOString();
  db.transaction(() => {
    for (const r of db.prepare("SELECT id, owner FROM sources WHERE status = 'running'").all() as { id: number; owner: string | null }[]) {
      if (ownerAlive(r.owner)) continue;
      db.prepare("UPDATE sources SET status = 'interrupted', finished_at = ?, owner = NULL WHERE id = ?").run(now, r.id);
      out.sources++;
    }
    for (const r of db.prepare("SELECT id, owner FROM screen_runs WHERE status = 'running'").all() as { id: number; owner: string | null }[]) {
      if (ownerAlive(r.owner)) continue;
      db.prepare("UPDATE screen_runs SET status = 'interrupted', owner = NULL WHERE id = ?").run(r.id);
      out.runs++;
    }
  }).immediate();
  return out;
}
