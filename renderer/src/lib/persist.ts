/**
 * Where the user was, kept in the project: view, library query, selection and ranking run are saved as a view
 * state (`ui.saveState`, a short content id) after every change, and the URL carries only `?st=<id>`. A reload
 * or a shared URL loads that state; a tab or window opened without one (a new tab, the desktop app) loads the
 * project's newest state; without a stored run choice it opens the newest stored run (`screen.runs`).
 */
import { useEffect, useRef, useState } from 'react';
import type { CompoundQuery, RunInfo, UiState } from '../../../core/api/contract.js';
import type { ApiClient } from '../../../core/api/client.js';
import { hasView, parseRoute, routeHash, VIEWS, type Route, type ViewName } from './route.js';

/** Saves wait this long after the last change (typing in the search box is one change, not ten). */
const SAVE_DELAY_MS = 300;

export interface PersistTarget {
  api: ApiClient;
  route: Route;
  query: CompoundQuery;
  selection: ReadonlySet<number>;
  runId: number | null;
  setQuery(q: CompoundQuery): void;
  setSelection(ids: Iterable<number>): void;
  setRunId(id: number | null): void;
  setRoute(r: Route): void;
}

function stateOf(t: Pick<PersistTarget, 'route' | 'query' | 'selection' | 'runId'>): UiState {
  const s: UiState = { view: t.route.view, query: t.query, selection: [...t.selection].sort((a, b) => a - b), runId: t.runId };
  if (t.route.id !== undefined) s.compoundId = t.route.id;
  return s;
}

/** Puts `?st=` into the address without a history entry or a hashchange (the view does not change). */
function replaceHash(r: Route): void {
  const h = routeHash(r);
  if (window.location.hash !== h) window.history.replaceState(window.history.state, '', h);
}

/**
 * Restores the state once at start (and when a URL with another state id is opened in this tab), then saves
 * every change. Returns whether the start-up restore has finished (views may wait for it).
 */
export function usePersistence(t: PersistTarget): boolean {
  const [restored, setRestored] = useState(false);
  const lastId = useRef<string | null>(null);
  /** The state `lastId` names (the URL's `st` is only kept while it names the current state). */
  const savedKey = useRef<string | null>(null);
  const live = useRef(t);
  live.current = t;

  const apply = (s: UiState, r: Route, takeView: boolean) => {
    const cur = live.current;
    cur.setQuery(s.query ?? {});
    cur.setSelection(s.selection ?? []);
    cur.setRunId(s.runId ?? null);
    if (takeView && (VIEWS as string[]).includes(s.view)) {
      const next: Route = { view: s.view as ViewName, st: r.st };
      if (s.view === 'compound' && s.compoundId) next.id = s.compoundId;
      replaceHash(next);
      cur.setRoute(next);
    }
  };

  // Start-up: the URL's state, else the project's newest; then the newest run when none is chosen.
  useEffect(() => {
    let cancelled = false;
    const startHash = window.location.hash;
    const start = parseRoute(startHash);
    (async () => {
      let loaded: { id: string; state: UiState } | null;
      try {
        loaded = await live.current.api.call('ui.loadState', start.st ? { id: start.st } : {});
      } catch {
        loaded = null; // an older engine, a locked project: start empty
      }
      if (cancelled) return;
      if (loaded) {
        lastId.current = loaded.id;
        savedKey.current = JSON.stringify(loaded.state);
        // The stored view only when the tab opened on none and the user has not gone anywhere meanwhile.
        apply(loaded.state, { ...start, st: loaded.id }, !hasView(startHash) && window.location.hash === startHash);
      }
      if (!loaded?.state.runId) {
        try {
          const [latest] = await live.current.api.call('screen.runs', { limit: 1 });
          if (!cancelled && latest) live.current.setRunId(latest.runId);
        } catch {
          // no runs to offer
        }
      }
      if (!cancelled) setRestored(true);
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  // A URL with another state id opened in this tab (pasted, or history navigation).
  useEffect(() => {
    const st = t.route.st;
    if (!restored || !st || st === lastId.current) return;
    lastId.current = st;
    live.current.api.call('ui.loadState', { id: st }).then(
      (l) => {
        if (!l) return;
        savedKey.current = JSON.stringify(l.state);
        apply(l.state, t.route, false);
      },
      () => undefined,
    );
  }, [restored, t.route.st]);

  // Save after each change, then name the saved state in the URL. Until it is saved the URL names no state,
  // so a reload in between opens the project's newest one, and a save still waiting is sent as the page goes.
  const key = JSON.stringify(stateOf(t));
  useEffect(() => {
    if (!restored) return;
    const state = JSON.parse(key) as UiState;
    if (savedKey.current !== key) {
      const url = parseRoute(window.location.hash);
      if (url.st) replaceHash({ ...url, st: undefined });
    }
    let sent = false;
    const save = () => {
      if (sent) return;
      sent = true;
      live.current.api.call('ui.saveState', { state }).then(
        ({ id }) => {
          lastId.current = id;
          savedKey.current = key;
          if (JSON.stringify(stateOf(live.current)) !== key) return; // changed again meanwhile: the next save names it
          // The address bar, not the last render: a click on another view may have changed the hash after
          // this save was sent and before React rendered the new view. Naming the old view then would take
          // the user back to it.
          const url = parseRoute(window.location.hash);
          if (url.view !== state.view || url.id !== state.compoundId) return;
          const r = { ...url, st: id };
          replaceHash(r);
          if (live.current.route.st !== id) live.current.setRoute(r);
        },
        () => undefined, // a read-only project keeps the URL as it is
      );
    };
    const h = setTimeout(save, SAVE_DELAY_MS);
    const onHide = () => {
      if (document.visibilityState === 'hidden') save();
    };
    window.addEventListener('pagehide', save);
    document.addEventListener('visibilitychange', onHide);
    return () => {
      clearTimeout(h);
      window.removeEventListener('pagehide', save);
      document.removeEventListener('visibilitychange', onHide);
    };
  }, [restored, key]);

  return restored;
}

/** A stored run by id (null while loading or when it is not stored), refreshed when `version` changes. */
export function useRunInfo(api: ApiClient, runId: number | null, version = 0): RunInfo | null {
  const [run, setRun] = useState<RunInfo | null>(null);
  useEffect(() => {
    if (runId === null) {
      setRun(null);
      return;
    }
    let live = true;
    api.call('screen.runs', { all: true, limit: 1000 }).then(
      (runs) => live && setRun(runs.find((r) => r.runId === runId) ?? null),
      () => live && setRun(null),
    );
    return () => {
      live = false;
    };
  }, [api, runId, version]);
  return run;
}
