/** Hash routes (#/library, #/compound/42): no server routes needed, works from any base path. */
export type ViewName = 'start' | 'import' | 'library' | 'subgroups' | 'ranking' | 'plots' | 'compound' | 'export';

export interface Route {
  view: ViewName;
  id?: number;
}

const VIEWS: ViewName[] = ['start', 'import', 'library', 'subgroups', 'ranking', 'plots', 'compound', 'export'];

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const view = (VIEWS as string[]).includes(parts[0] ?? '') ? (parts[0] as ViewName) : 'start';
  if (view === 'compound') {
    const id = Number(parts[1]);
    return Number.isInteger(id) && id > 0 ? { view, id } : { view };
  }
  return { view };
}

export function routeHash(r: Route): string {
  return r.id !== undefined ? `#/${r.view}/${r.id}` : `#/${r.view}`;
}
