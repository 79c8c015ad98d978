/**
 * Reads never write. Everything a read used to do to the file on the way (compute alerts missing from
 * an older project, compute screen fingerprints, create the index a sort wants) is a job of its own:
 * started when the project opens (kind 'maintenance', with progress events), its writes going through
 * the store's write queue like any other. A read that needs the backfill waits for the job; a sort on a
 * column without an index is answered by a scan meanwhile and asks the job for the index.
 */
import type { ChemPool } from '../chem/pool.js';
import type { JobRegistry } from '../jobs.js';
import { createDescriptorIndex, indexedDescriptorColumns } from '../store/compounds.js';
import { backfillPending } from '../store/maintenance.js';
import type { Store } from '../store/store.js';
import { ensureAlerts } from './alerts.js';
import { backfillScreenFps } from './substructure.js';

type Progress = (done: number, total: number) => void;

export class Maintenance {
  private backfill: Promise<void> | null = null;
  private listeners = new Set<Progress>();
  private indexed: Set<string> | null = null;
  private wanted: string[] = [];
  private indexing: Promise<void> | null = null;

  constructor(
    private store: Store,
    private pool: () => Promise<ChemPool>,
    private jobs: JobRegistry,
    /** Called after a backfill changed stored data (search caches must be rebuilt). */
    private changed: () => void,
  ) {}

  /**
   * Starts the backfill job (alerts, then screen fingerprints) when the project has work for it;
   * resolves when every compound has both. A read-only project is left as it is.
   */
  backfilled(progress?: Progress): Promise<void> {
    if (progress) this.listeners.add(progress);
    if (!this.backfill) {
      const p = this.store.readOnly || !backfillPending(this.store) ? Promise.resolve() : this.runBackfill();
      this.backfill = p;
      // A failed run (the workers crashed, say) is retried by the next caller.
      p.catch(() => {
        if (this.backfill === p) this.backfill = null;
      });
    }
    const p = this.backfill;
    if (progress) p.finally(() => this.listeners.delete(progress)).catch(() => undefined);
    return p;
  }

  private async runBackfill(): Promise<void> {
    const jobId = this.jobs.start('maintenance', async (job) => {
      const progress = (stage: string) => (done: number, total: number) => {
        job.progress(stage, done, total);
        for (const l of this.listeners) l(done, total);
      };
      const alerts = await ensureAlerts(this.store, this.pool, { signal: job.signal, progress: progress('alerts') });
      const screen = await backfillScreenFps(this.store, this.pool, { signal: job.signal, progress: progress('screen fingerprints') });
      if (alerts || screen) this.changed();
      return { alerts, screenFingerprints: screen };
    });
    const st = await this.jobs.wait(jobId);
    if (st.status !== 'done') throw Object.assign(new Error(st.error?.message ?? `maintenance ${st.status}`), { name: st.error?.name ?? 'Error' });
  }

  /**
   * A sort or filter on a descriptor column that has no index yet: build it in the background (one
   * write, through the queue). The read that asked does not wait for it.
   */
  wantIndex(column: string): void {
    if (this.store.readOnly) return;
    this.indexed ??= indexedDescriptorColumns(this.store);
    if (this.indexed.has(column) || this.wanted.includes(column)) return;
    this.wanted.push(column);
    this.indexing ??= this.runIndexing().finally(() => {
      this.indexing = null;
    });
  }

  private async runIndexing(): Promise<void> {
    const jobId = this.jobs.start('maintenance', async (job) => {
      let done = 0;
      while (this.wanted.length && !job.signal.aborted) {
        const column = this.wanted[0];
        job.progress(`index ${column}`, done, done + this.wanted.length);
        await createDescriptorIndex(this.store, column);
        this.indexed?.add(column);
        this.wanted.shift();
        done++;
      }
      return { indexed: done };
    });
    await this.jobs.wait(jobId);
  }

  /** Resolves when the jobs under way are done (tests, close). */
  async settle(): Promise<void> {
    await Promise.allSettled([this.backfill, this.indexing]);
  }
}
