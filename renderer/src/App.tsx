/** The application shell: navigation, the current view, running jobs in the status line. */
import { lazy, Suspense } from 'react';
import { useApp } from './state.js';
import { useCall } from './hooks.js';
import type { ViewName } from './lib/route.js';
import { basename, formatInt } from './lib/format.js';
import { StartView } from './views/StartView.js';
import { ImportView } from './views/ImportView.js';
import { LibraryView } from './views/LibraryView.js';
import { SubgroupsView } from './views/SubgroupsView.js';
import { RankingView } from './views/RankingView.js';
import { CompoundView } from './views/CompoundView.js';
import { ExportView } from './views/ExportView.js';
import { UnlockView } from './views/UnlockView.js';
import { UndoButton } from './components/HitLists.js';
import { ApiCallError } from '../../core/api/client.js';

// The plots view hosts the plot frame; split so the main bundle stays small.
const PlotsView = lazy(() => import('./views/PlotsView.js').then((m) => ({ default: m.PlotsView })));

const NAV: { view: ViewName; label: string }[] = [
  { view: 'start', label: 'Project' },
  { view: 'import', label: 'Import' },
  { view: 'library', label: 'Library' },
  { view: 'subgroups', label: 'Subgroups' },
  { view: 'ranking', label: 'Ranking' },
  { view: 'plots', label: 'Plots' },
  { view: 'compound', label: 'Compound' },
  { view: 'export', label: 'Export' },
];

export function App() {
  const { route, navigate, jobs, dataVersion, selection } = useApp();
  const info = useCall('project.info', {}, [dataVersion]);
  const running = [...jobs.values()];
  // An encrypted project the host opened locked: nothing else can be shown until it is unlocked.
  if (info.error instanceof ApiCallError && info.error.code === 'PASSPHRASE_REQUIRED') {
    return (
      <div className="app locked">
        <header className="topbar">
          <span className="brand">Strata</span>
        </header>
        <main className="content">
          <UnlockView project={(info.error.details as { file?: string } | undefined)?.file ?? ''} />
        </main>
      </div>
    );
  }
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Strata</span>
        <span className="project mono" data-testid="project-name" title={info.data?.path}>
          {info.data ? basename(info.data.path) : ''}
        </span>
        {info.data && <span className="muted small">{formatInt(info.data.unique)} compounds</span>}
        <div className="spacer" />
        <UndoButton />
        {running.map((j) => (
          <span className="job-chip" key={j.jobId} title={j.jobId} data-testid="running-job">
            {j.kind}: {j.stage} {j.total ? `${Math.floor((100 * j.done) / j.total)}%` : formatInt(j.done)}
          </span>
        ))}
      </header>
      <nav className="sidenav" aria-label="Views">
        {NAV.map((n) => (
          <a
            key={n.view}
            href={n.view === 'compound' && selection.size ? `#/compound/${[...selection][0]}` : `#/${n.view}`}
            className={route.view === n.view ? 'active' : ''}
            data-testid={`nav-${n.view}`}
            aria-current={route.view === n.view ? 'page' : undefined}
            onClick={(e) => {
              if (n.view === 'compound' && selection.size) {
                e.preventDefault();
                navigate({ view: 'compound', id: [...selection][0] });
              }
            }}
          >
            {n.label}
          </a>
        ))}
      </nav>
      <main className="content">
        {route.view === 'start' && <StartView />}
        {route.view === 'import' && <ImportView />}
        {route.view === 'library' && <LibraryView />}
        {route.view === 'subgroups' && <SubgroupsView />}
        {route.view === 'ranking' && <RankingView />}
        {route.view === 'plots' && (
          <Suspense fallback={<div className="muted">Loading plots…</div>}>
            <PlotsView />
          </Suspense>
        )}
        {route.view === 'compound' && <CompoundView id={route.id ?? null} />}
        {route.view === 'export' && <ExportView />}
      </main>
    </div>
  );
}
