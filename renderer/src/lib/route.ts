/**
 * Hash routes (#/library, #/compound/42): no server routes needed, works from any base path. A saved view
 * state rides along as `?st=<id>` (core `ui.saveState`: 12 hex digits naming query, selection and run stored
 * in the project), so the URL stays short and carries nothing secret.
 */
export type ViewName = 'start' | 'import' | 'library' | 'subgroups' | 'ranking' | 'plots' | 'compound' | 'export';

export interface Route {
  view: ViewName;
  id?: number;
  /** Saved view state (ui.loadState id). */
  st?: string;
}

export const VIEWS: ViewName[] = ['start', 'import', 'library', 'subgroups', 'ranking', 'plots', 'compound', 'export'];

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const parts = path.split('/').filter(Boolean);
  const view = (VIEWS as string[]).includes(parts[0] ?? '') ? (parts[0] as ViewName) : 'start';
  const st = new URLSearchParams(search).get('st');
  const r: Route = { view };
  if (view === 'compound') {
    const id = Number(parts[1]);
    if (Number.isInteger(id) && id > 0) r.id = id;
  }
  if (st && /^[0-9a-f]{6,64}$/.test(st)) r.st = st;
  return r;
}

/** Whether the hash names a view at all (an empty hash: a new tab, the desktop app's first window). */
export function hasView(hash: string): boolean {
  return (VIEWS as string[]).includes(hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0]);
}

export function routeHash(r: Route): string {
  return `#/${r.view}${r.id !== undefined ? `/${r.id}` : ''}${r.st ? `?st=${r.st}` : ''}`;
}
