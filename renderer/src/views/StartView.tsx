/** Start: what this project holds, where it lives, and (in Electron) recent projects. */
import { useState } from 'react';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { basename, formatBytes, formatDate, formatInt } from '../lib/format.js';

export function StartView() {
  const { shell, shellInfo, dataVersion, navigate } = useApp();
  const info = useCall('project.info', {}, [dataVersion]);
  const app = useCall('app.info', {});
  const [shellError, setShellError] = useState<Error | null>(null);
  const p = info.data;
  const openProject = async (path?: string, create = false) => {
    setShellError(null);
    try {
      await shell.call('shell.openProject', { path, create });
    } catch (e) {
      setShellError(e as Error);
    }
  };
  return (
    <section className="view start-view" data-testid="view-start">
      <h2>Project</h2>
      <ErrorBox error={info.error} title="Could not read the project" />
      {p && (
        <div className="panel">
          <dl className="facts" data-testid="project-facts">
            <dt>File</dt>
            <dd className="mono" data-testid="project-path">{p.path}</dd>
            <dt>Compounds</dt>
            <dd data-testid="project-compounds">
              {formatInt(p.compounds)} records · {formatInt(p.unique)} unique structures · {formatInt(p.duplicates)} duplicates · {formatInt(p.failed)} failed
            </dd>
            <dt>Subgroups</dt>
            <dd>{formatInt(p.subgroups)} saved</dd>
            <dt>Created</dt>
            <dd>{formatDate(p.createdAt)}</dd>
            <dt>Schema</dt>
            <dd>
              v{p.schemaVersion} · Strata {p.appVersion}
              {app.data && ` · RDKit ${app.data.rdkitVersion} · ${app.data.threads} worker threads`}
            </dd>
          </dl>
          <div className="actions">
            <button type="button" className="primary" onClick={() => navigate({ view: 'import' })} data-testid="start-import">
              Import compounds…
            </button>
            <button type="button" disabled={!p.compounds} onClick={() => navigate({ view: 'library' })}>
              Browse the library
            </button>
          </div>
        </div>
      )}
      {p && p.sources.length > 0 && (
        <div className="panel">
          <h3>Sources</h3>
          <table className="dense" data-testid="sources">
            <thead>
              <tr>
                <th>File</th>
                <th>Format</th>
                <th className="num">Size</th>
                <th>Imported</th>
                <th>Status</th>
                <th className="num">Read</th>
                <th className="num">Imported</th>
                <th className="num">Duplicates</th>
                <th className="num">Failed</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {p.sources.map((s) => (
                <tr key={s.id}>
                  <td className="mono" title={s.path}>{s.name}</td>
                  <td>{s.format}</td>
                  <td className="num">{formatBytes(s.size)}</td>
                  <td className="nowrap">{formatDate(s.importedAt)}</td>
                  <td className={s.status === 'complete' ? '' : 'warn'}>{s.status}</td>
                  <td className="num">{formatInt(s.read)}</td>
                  <td className="num">{formatInt(s.imported)}</td>
                  <td className="num">{formatInt(s.duplicates)}</td>
                  <td className="num">{formatInt(s.failed)}</td>
                  <td className="mono small" title={s.sha256}>{s.sha256.slice(0, 12)}…</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shellInfo?.host === 'electron' && (
        <div className="panel">
          <h3>Projects</h3>
          <div className="actions">
            <button type="button" onClick={() => void openProject(undefined, false)} data-testid="open-project">
              Open project…
            </button>
            <button type="button" onClick={() => void openProject(undefined, true)} data-testid="new-project">
              New project…
            </button>
          </div>
          {shellInfo.recentProjects.length > 0 && (
            <ul className="recent" data-testid="recent-projects">
              {shellInfo.recentProjects.map((r) => (
                <li key={r}>
                  <button type="button" className="link" onClick={() => void openProject(r)} title={r}>
                    {basename(r)}
                  </button>{' '}
                  <span className="muted small mono">{r}</span>
                </li>
              ))}
            </ul>
          )}
          <ErrorBox error={shellError} />
        </div>
      )}
    </section>
  );
}
