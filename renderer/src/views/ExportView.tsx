/**
 * Export through export.write: the library query, the selected compounds, or a ranking, as CSV,
 * SDF or XLSX, with the provenance the engine records. In the browser the file is written on the
 * machine running Strata, then offered for download (a single-use ticket link: the access token
 * never goes into a URL). An existing file is replaced only after the user confirms (the engine
 * answers EXISTS otherwise); a path chosen in the native save dialog was confirmed there.
 */
import { useEffect, useState } from 'react';
import { ApiCallError } from '../../../core/api/client.js';
import type { ExportRequest, ExportResult } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useRunInfo } from '../lib/persist.js';
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
  // The native save dialog already asked about replacing this path.
  const [confirmedOut, setConfirmedOut] = useState<string | null>(null);
  const [downloadError, setDownloadError] = useState<Error | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<Error | null>(null);
  const job = useJob(jobId);
  const run = useRunInfo(api, runId);
  const [rankSubgroup, setRankSubgroup] = useState('');

  useEffect(() => {
    // Suggest a file next to the project (on a shared server: in its first data folder) until the user types their own.
    const folder = shellInfo?.dataRoots?.[0] ?? (info.data ? dirname(info.data.path) : null);
    if (!outTouched && folder) setOut(`${folder}/strata-export-${stamp()}.${format}`);
  }, [info.data, format, outTouched, shellInfo]);
  useEffect(() => {
    if (outTouched) setOut((o) => o.replace(/\.(csv|sdf|xlsx)$/i, `.${format}`));
  }, [format, outTouched]);

  const start = async () => {
    setStartError(null);
    setJobId(null); // the previous export's result must not pass for this one's
    let target = out.trim();
    let confirmed = confirmedOut === target;
    if (shellInfo?.host === 'electron' && !confirmed) {
      // The desktop shell writes only where its save dialog was answered.
      const p = await shell.call('shell.saveFile', { title: 'Export', defaultPath: target, filters: [{ name: format.toUpperCase(), extensions: [format] }] });
      if (!p) return;
      setOutTouched(true);
      setOut(p);
      setConfirmedOut(p);
      target = p;
      confirmed = true;
    }
    const req: ExportRequest = { out: target, format };
    if (scope === 'query' && Object.keys(query).length) req.query = query;
    if (scope === 'selection') req.ids = [...selection];
    if (scope === 'ranking' && runId !== null) req.ranking = rankSubgroup ? { runId, subgroup: rankSubgroup } : { runId };
    if (confirmed) req.overwrite = true;
    try {
      let reply: { jobId: string };
      try {
        reply = await api.call('export.write', req);
      } catch (e) {
        if (!(e instanceof ApiCallError && e.code === 'EXISTS')) throw e;
        if (!window.confirm(`${req.out} already exists. Replace it?`)) return;
        reply = await api.call('export.write', { ...req, overwrite: true });
      }
      setJobId(reply.jobId);
    } catch (e) {
      setStartError(e as Error);
    }
  };
  const download = async (file: string) => {
    setDownloadError(null);
    try {
      // A fresh single-use link per click, followed at once.
      const { url } = await shell.call('shell.downloadTicket', { path: file });
      const a = document.createElement('a');
      a.href = `${conn.baseUrl}/${url}`;
      a.download = '';
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      setDownloadError(e as Error);
    }
  };
  const result = job.final?.status === 'done' ? (job.final.result as ExportResult) : null;
  const canDownload = !!result && !!shellInfo?.downloads && conn.kind === 'web';

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
                    setConfirmedOut(p);
                  }
                }}
              >
                Choose…
              </button>
            )}
          </div>
        </label>
        {info.data?.encrypted && (
          <p className="warn" data-testid="export-not-encrypted">
            This project is encrypted; the exported file and its provenance sidecar are <b>not</b>. Keep them as carefully as the data in them needs.
          </p>
        )}
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
                {canDownload && (
                  <button type="button" className="link" onClick={() => void download(result.out)} data-testid="export-download">
                    Download
                  </button>
                )}
              </p>
              <ErrorBox error={downloadError} title="Download failed" />
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
