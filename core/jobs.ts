/**
 * Job registry: every long stage gets an id, an AbortController, throttled progress events with a
 * rate and ETA, and one `job.finished` event. Handlers start a job and return `{jobId}` at once.
 */
import { randomUUID } from 'node:crypto';
import type { JobKind, JobProgress, JobState } from './api/contract.js';
import type { EventHub } from './api/dispatch.js';
import { ApiError, toErrorShape } from './api/errors.js';

/** Where a job over several inputs is across all of them (JobProgress.overall without the rate, which the registry measures). */
export type OverallProgress = Omit<NonNullable<JobProgress['overall']>, 'rate'>;

export interface JobContext {
  signal: AbortSignal;
  /** Report progress; cheap to call often (events are throttled). */
  progress(stage: string, done: number, total: number | null, message?: string, overall?: OverallProgress): void;
}

/**
 * Thrown by a job that ran to its end without doing what was asked (an import none or only some of whose files
 * could be read): the job ends 'failed' with `error`, and keeps `result` (what it did do) for the caller to show.
 */
export class JobFailure extends Error {
  constructor(readonly error: ApiError, readonly result: unknown) {
    super(error.message);
  }
}

interface Entry {
  state: JobState;
  controller: AbortController;
  promise: Promise<JobState>;
  rate: RateMeter;
}

/** Exponentially smoothed rate over stage-local counts. */
class RateMeter {
  private stage = '';
  private lastT = 0;
  private lastDone = 0;
  rate = 0;
  update(stage: string, done: number, now: number): number {
    if (stage !== this.stage) {
      this.stage = stage;
      this.lastT = now;
      this.lastDone = done;
      this.rate = 0;
      return 0;
    }
    const dt = (now - this.lastT) / 1000;
    if (dt >= 0.25) {
      const inst = (done - this.lastDone) / dt;
      this.rate = this.rate === 0 ? inst : 0.7 * this.rate + 0.3 * inst;
      this.lastT = now;
      this.lastDone = done;
    }
    return this.rate;
  }
}

export class JobRegistry {
  private jobs = new Map<string, Entry>();
  constructor(
    private events: EventHub,
    private throttleMs = 200,
  ) {}

  start<T>(kind: JobKind, run: (ctx: JobContext) => Promise<T>): string {
    const jobId = `${kind}-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    const state: JobState = {
      jobId, kind, status: 'running', startedAt: new Date().toISOString(), finishedAt: null, progress: null, result: null, error: null,
    };
    const rate = new RateMeter();
    // Across inputs: one stage for the whole job, so the rate is not reset at each file.
    const overallRate = new RateMeter();
    let lastEmit = 0;
    const ctx: JobContext = {
      signal: controller.signal,
      progress: (stage, done, total, message, overall) => {
        const now = Date.now();
        const r = rate.update(stage, done, now);
        const eta = total != null && r > 0 ? Math.max(0, (total - done) / r) : null;
        const p: JobProgress = { jobId, kind, stage, done, total, rate: r, etaSeconds: eta, message };
        if (overall) p.overall = { ...overall, rate: overallRate.update('overall', overall.done, now) };
        state.progress = p;
        if (now - lastEmit >= this.throttleMs || (total != null && done >= total)) {
          lastEmit = now;
          this.events.emit('job.progress', p);
        }
      },
    };
    const promise = (async () => {
      try {
        state.result = await run(ctx);
        state.status = controller.signal.aborted ? 'cancelled' : 'done';
      } catch (err) {
        if (err instanceof JobFailure) state.result = err.result;
        const shape = toErrorShape(err instanceof JobFailure ? err.error : err);
        state.status = controller.signal.aborted || shape.code === 'CANCELLED' ? 'cancelled' : 'failed';
        state.error = shape;
      }
      state.finishedAt = new Date().toISOString();
      this.events.emit('job.finished', { ...state });
      return state;
    })();
    this.jobs.set(jobId, { state, controller, promise, rate });
    return jobId;
  }

  private entry(jobId: string): Entry {
    const e = this.jobs.get(jobId);
    if (!e) throw new ApiError('NOT_FOUND', `no job '${jobId}'`);
    return e;
  }
  get(jobId: string): JobState {
    return { ...this.entry(jobId).state };
  }
  list(): JobState[] {
    return [...this.jobs.values()].map((e) => ({ ...e.state }));
  }
  cancel(jobId: string): boolean {
    const e = this.entry(jobId);
    if (e.state.status !== 'running') return false;
    e.controller.abort();
    return true;
  }
  wait(jobId: string): Promise<JobState> {
    return this.entry(jobId).promise.then((s) => ({ ...s }));
  }
  cancelAll(): void {
    for (const e of this.jobs.values()) if (e.state.status === 'running') e.controller.abort();
  }
  async settle(): Promise<void> {
    await Promise.allSettled([...this.jobs.values()].map((e) => e.promise));
  }
}
