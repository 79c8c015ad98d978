/**
 * Export through export.write: the library query, the selected compounds, or a ranking, as CSV,
 * SDF or XLSX, with the provenance the engine records. In the browser the file is written on the
 * machine running Strata, then offered for download.
 */
import { useEffect, useState } from 'react';
import type { ExportRequest, ExportResult, ScreenResult } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall, useJob } from '../hooks.js';
import { JobPanel } from '../components/JobPanel.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { dirname, formatInt } from '../lib/format.js';

type Scope = 'query' | 'selection' | 'ranking';
type Format = 'csv' | 'sdf' | 'xlsx';

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function ExportView() {
  const { api, shell, shellInfo, conn, query, selection, runId, dataVersion } = useApp();
  const info = useCall('project.info', {}, [dataVersion]);
  const count = useCall('compounds.count', query, [dataVersion]);
  const [scope, setScope] = useState<Scope>(selection.size ? 'selection' : 'query');
  const [format, setFormat] = useState<Format>('csv');
  const [out, setOut] = useState('');
  const [outTouched, setOutTouched] = useState(false);
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<Error | null>(null);
  const job = useJob(jobId);
  const run = (() => {
    try {
      return JSON.parse(sessionStorage.getItem('strata.screen') ?? 'null') as ScreenResult | null;
    } catch {
      return null;
    }
  })();
  const [rankSubgroup, setRankSubgroup] = useState('');

  useEffect(() => {
    // Suggest a file next to the project until the user types their own.
    if (!outTouched && info.data) setOut(`${dirname(info.data.path)}/strata-export-${stamp()}.${format}`);
  }, [info.data, format, outTouched]);
  useEffect(() => {
    if (outTouched) setOut((o) => o.replace(/\.(csv|sdf|xlsx)$/i, `.${format}`));
  }, [format, outTouched]);

  const start = async () => {
    setStartError(null);
    setJobId(null); // the previous export's result must not pass for this one's
    const req: ExportRequest = { out: out.trim(), format };
    if (scope === 'query' && Object.keys(query).length) req.query = query;
    if (scope === 'selection') req.ids = [...selection];
    if (scope === 'ranking' && runId !== null) req.ranking = rankSubgroup ? { runId, subgroup: rankSubgroup } : { runId };
    try {
      const { jobId: id } = await api.call('export.write', req);
      setJobId(id);
    } catch (e) {
      setStartError(e as Error);
    }
  };
  const result = job.final?.status === 'done' ? (job.final.result as ExportResult) : null;
  const downloadUrl = result && shellInfo?.downloads && conn.kind === 'web'
    ? `${conn.baseUrl}/api/download?path=${encodeURIComponent(result.out)}&token=${encodeURIComponent(conn.token)}`
    : null;

  return (
    <section className="view export-view" data-testid="view-export">
      <h2>Export</h2>
      <form
        className="panel export-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <fieldset>
          <legend>What</legend>
          <label className="check">
            <input type="radio" name="scope" checked={scope === 'query'} onChange={() => setScope('query')} data-testid="export-scope-query" />
            Library {Object.keys(query).length ? 'query' : '(all compounds)'} — {count.data ? `${formatInt(count.data.total)} compounds` : '…'}
          </label>
          <label className="check">
            <input type="radio" name="scope" checked={scope === 'selection'} disabled={!selection.size} onChange={() => setScope('selection')} data-testid="export-scope-selection" />
            Selected compounds — {formatInt(selection.size)}
          </label>
          <label className="check">
            <input type="radio" name="scope" checked={scope === 'ranking'} disabled={runId === null} onChange={() => setScope('ranking')} data-testid="export-scope-ranking" />
            Ranking {runId !== null ? `of run #${runId}` : '(run a ranking first)'}
          </label>
          {scope === 'ranking' && run?.runId === runId && (
            <select value={rankSubgroup} onChange={(e) => setRankSubgroup(e.target.value)} aria-label="Subgroup">
              <option value="">all subgroups</option>
              {run.subgroups.map((s) => (
                <option key={s.rule}>{s.rule}</option>
              ))}
            </select>
          )}
        </fieldset>
        <fieldset>
          <legend>Format</legend>
          {(['csv', 'sdf', 'xlsx'] as Format[]).map((f) => (
            <label className="check" key={f}>
              <input type="radio" name="format" checked={format === f} onChange={() => setFormat(f)} data-testid={`export-format-${f}`} /> {f.toUpperCase()}
            </label>
          ))}
        </fieldset>
        <label>
          Output file {conn.kind === 'web' && <span className="muted small">(on the machine running Strata)</span>}
          <div className="form-row">
            <input
              className="mono wide"
              value={out}
              onChange={(e) => {
                setOutTouched(true);
                setOut(e.target.value);
              }}
              data-testid="export-path"
            />
            {shellInfo?.dialogs && (
              <button
                type="button"
                onClick={async () => {
                  const p = await shell.call('shell.saveFile', { title: 'Export', defaultPath: out, filters: [{ name: format.toUpperCase(), extensions: [format] }] });
                  if (p) {
                    setOutTouched(true);
                    setOut(p);
                  }
                }}
              >
                Choose…
              </button>
            )}
          </div>
        </label>
        <button type="submit" className="primary" disabled={!out.trim() || (jobId !== null && !job.final && !job.error)} data-testid="export-start">
          Export
        </button>
        <ErrorBox error={startError} title="Export could not start" />
      </form>
      {jobId && (
        <div className="panel" data-testid="export-job">
          <JobPanel jobId={jobId} progress={job.progress} final={job.final} label="Export" unit="rows" />
          <ErrorBox error={job.error ?? (job.final?.error ? new Error(job.final.error.message) : null)} title="Export failed" />
          {result && (
            <div data-testid="export-result">
              <p>
                Wrote <b data-testid="export-rows">{formatInt(result.rows)}</b> rows as {result.format.toUpperCase()} to{' '}
                <span className="mono" data-testid="export-out">{result.out}</span>.{' '}
                {downloadUrl && (
                  <a href={downloadUrl} download data-testid="export-download">
                    Download
                  </a>
                )}
              </p>
              <details>
                <summary>Provenance</summary>
                <pre className="mono small" data-testid="export-provenance">{JSON.stringify(result.provenance, null, 2)}</pre>
              </details>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
