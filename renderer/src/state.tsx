/**
 * Application-wide state: the API client, the shell, the current route, the library query shared
 * by Library/Plots/Export, the row selection shared by Library/Plots/Export, and the chosen screen run.
 * Query, selection, run and view are kept in the project and named in the URL (lib/persist.ts).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { CompoundQuery, JobProgress, JobState } from '../../core/api/contract.js';
import type { ApiClient } from '../../core/api/client.js';
import type { ShellClient, ShellInfo } from './lib/shell.js';
import type { Connection } from './lib/transport.js';
import { parseRoute, routeHash, type Route } from './lib/route.js';
import { usePersistence } from './lib/persist.js';

export interface AppState {
  api: ApiClient;
  shell: ShellClient;
  conn: Connection;
  shellInfo: ShellInfo | null;
  route: Route;
  navigate(r: Route): void;
  query: CompoundQuery;
  setQuery(q: CompoundQuery): void;
  selection: ReadonlySet<number>;
  setSelection(ids: Iterable<number>): void;
  runId: number | null;
  setRunId(id: number | null): void;
  /** Bumped after anything changes the project's data (imports), to refetch views. */
  dataVersion: number;
  bumpData(): void;
  /** Running jobs by id, from job.progress events. */
  jobs: ReadonlyMap<string, JobProgress>;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useApp outside AppProvider');
  return s;
}

export function AppProvider(props: { api: ApiClient; shell: ShellClient; conn: Connection; children: ReactNode }) {
  const { api, shell, conn } = props;
  const [shellInfo, setShellInfo] = useState<ShellInfo | null>(null);
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  const [query, setQuery] = useState<CompoundQuery>({});
  const [selection, setSelectionState] = useState<ReadonlySet<number>>(new Set());
  const [runId, setRunIdState] = useState<number | null>(null);
  const [dataVersion, setDataVersion] = useState(0);
  const [jobs, setJobs] = useState<ReadonlyMap<string, JobProgress>>(new Map());

  useEffect(() => {
    shell.call('shell.info', {}).then(setShellInfo, () => setShellInfo(null));
  }, [shell]);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const offP = api.on('job.progress', (p) => setJobs((m) => new Map(m).set(p.jobId, p)));
    const offF = api.on('job.finished', (s: JobState) =>
      setJobs((m) => {
        if (!m.has(s.jobId)) return m;
        const n = new Map(m);
        n.delete(s.jobId);
        return n;
      }),
    );
    return () => {
      offP();
      offF();
    };
  }, [api]);

  useEffect(
    () =>
      // The Electron menu asks for a view (File ▸ Import…) through the event channel.
      conn.transport.subscribe((event, payload) => {
        if ((event as string) !== 'shell.navigate') return;
        const view = (payload as unknown as { view?: unknown }).view;
        if (typeof view === 'string') window.location.hash = `#/${view}`;
      }),
    [conn],
  );

  const navigate = useCallback((r: Route) => {
    const h = routeHash(r);
    if (window.location.hash !== h) window.location.hash = h;
    else setRoute(r);
  }, []);
  const setSelection = useCallback((ids: Iterable<number>) => setSelectionState(new Set(ids)), []);
  const setRunId = useCallback((id: number | null) => setRunIdState(id), []);
  const bumpData = useCallback(() => setDataVersion((v) => v + 1), []);

  const restored = usePersistence({ api, route, query, selection, runId, setQuery, setSelection, setRunId, setRoute });

  const value = useMemo<AppState>(
    () => ({ api, shell, conn, shellInfo, route, navigate, query, setQuery, selection, setSelection, runId, setRunId, dataVersion, bumpData, jobs }),
    [api, shell, conn, shellInfo, route, navigate, query, selection, setSelection, runId, setRunId, dataVersion, bumpData, jobs],
  );
  // Views start from the restored state (a first query of the empty one would only be thrown away).
  return <Ctx.Provider value={value}>{restored ? props.children : null}</Ctx.Provider>;
}
