/** Data hooks over the API client: one-shot calls with loading/error, and job tracking. */
import { useEffect, useRef, useState } from 'react';
import type { ApiInput, ApiMethod, ApiOutput, JobProgress, JobState } from '../../core/api/contract.js';
import { useApp } from './state.js';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload(): void;
}

/**
 * Call `method` with `input` whenever `deps` change (input compared by JSON). Later answers win:
 * an answer to an older input is ignored. `input === null` skips the call.
 */
export function useCall<M extends ApiMethod>(method: M, input: ApiInput<M> | null, deps: unknown[] = []): Loaded<ApiOutput<M>> {
  const { api } = useApp();
  const [state, setState] = useState<{ data: ApiOutput<M> | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: input !== null });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    if (input === null) return;
    const my = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    api.call(method, input).then(
      (data) => my === seq.current && setState({ data, error: null, loading: false }),
      (error: Error) => my === seq.current && setState({ data: null, error, loading: false }),
    );
  }, [api, method, key, tick, ...deps]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export interface JobView {
  progress: JobProgress | null;
  final: JobState | null;
  error: Error | null;
}

/** Follow a job: progress from events, the final state from job.wait (so a missed event cannot hang the view). */
export function useJob(jobId: string | null): JobView {
  const { api } = useApp();
  const [view, setView] = useState<JobView>({ progress: null, final: null, error: null });
  useEffect(() => {
    setView({ progress: null, final: null, error: null });
    if (!jobId) return;
    let live = true;
    const off = api.on('job.progress', (p) => {
      if (live && p.jobId === jobId) setView((v) => (v.final ? v : { ...v, progress: p }));
    });
    api.call('job.get', { jobId }).then(
      (s) => live && s.progress && setView((v) => (v.progress || v.final ? v : { ...v, progress: s.progress })),
      () => {},
    );
    api.call('job.wait', { jobId }).then(
      (s) => live && setView((v) => ({ ...v, final: s, progress: s.progress ?? v.progress })),
      (error: Error) => live && setView((v) => ({ ...v, error })),
    );
    return () => {
      live = false;
      off();
    };
  }, [api, jobId]);
  return view;
}

/** Debounce a value (for live previews while typing). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
