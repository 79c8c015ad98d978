/**
 * Import: choose files (dropped on the view or picked and uploaded with progress and Cancel, server-side paths in
 * the browser host, native dialog in Electron, or a shipped example), preview the first records with the detected
 * structure, id and name columns and change them, follow the job (file i of n, counts over all files, rate, ETA,
 * Cancel; a file that cannot be read fails it), then the summary and the per-record report of failures,
 * filterable and downloadable as CSV.
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { ImportIssue, ImportRequest, ImportSummary, PreviewRequest } from '../../../core/api/contract.js';
import { ApiCallError } from '../../../core/api/client.js';
import { useApp } from '../state.js';
import { useCall, useDebounced, useJob } from '../hooks.js';
import { JobPanel } from '../components/JobPanel.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { VirtualTable, type Column } from '../components/VirtualTable.js';
import { PagedRows } from '../lib/paged-rows.js';
import { basename, formatBytes, formatDuration, formatInt } from '../lib/format.js';
import { toCsv } from '../lib/csv.js';
import { UploadZone, useUploads } from '../components/ImportUploads.js';
import { PreviewColumns, PreviewTable, type ColumnChoice } from '../components/ImportPreview.js';
import { MeasureAttach } from '../components/MeasureAttach.js';

export function ImportView() {
  const { api, shell, shellInfo, conn, bumpData, dataVersion, navigate } = useApp();
  const [paths, setPaths] = useState('');
  const [format, setFormat] = useState<'' | NonNullable<ImportRequest['format']>>('');
  const [choice, setChoice] = useState<ColumnChoice>({ smilesColumn: '', idColumn: '', nameColumn: '' });
  const [targetsColumn, setTargetsColumn] = useState('');
  const [pathwayColumn, setPathwayColumn] = useState('');
  const [previewPath, setPreviewPath] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(() => sessionStorage.getItem('strata.importJob'));
  const [startError, setStartError] = useState<Error | null>(null);
  const job = useJob(jobId);
  // A finished upload is previewed at once (unless another file already is).
  const uploads = useUploads(conn, (f) => setPreviewPath((p) => p ?? f.path ?? null));

  useEffect(() => {
    if (job.final) bumpData();
    // Uploads that were imported are done with; a failed import keeps them, to try again with other columns.
    if (job.final?.status === 'done') uploads.clear();
  }, [job.final, bumpData]);
  useEffect(() => {
    // A job remembered from before a restart of the engine: forget it quietly.
    if (job.error instanceof ApiCallError && job.error.code === 'NOT_FOUND') {
      sessionStorage.removeItem('strata.importJob');
      setJobId(null);
    }
  }, [job.error]);

  const uploaded = uploads.files.filter((f) => f.status === 'ready' && f.path).map((f) => f.path!);
  const typed = paths.split('\n').map((s) => s.trim()).filter(Boolean);
  const fileList = [...uploaded, ...typed];
  const labelOf = (file: string) => uploads.files.find((f) => f.path === file)?.name ?? file;
  // An uploaded file is named by its name, not by where the host keeps it.
  const shortenUploads = (text: string) => uploaded.reduce((t, p) => t.replaceAll(p, basename(p)), text);
  useEffect(() => {
    if (previewPath !== null && !fileList.includes(previewPath)) setPreviewPath(uploaded[0] ?? null);
  }, [fileList.join('\n'), previewPath]);

  const chosen = useDebounced(choice, 300);
  const previewReq = useMemo<PreviewRequest | null>(() => {
    if (!previewPath) return null;
    const req: PreviewRequest = { path: previewPath };
    if (format) req.format = format;
    if (chosen.smilesColumn.trim()) req.smilesColumn = chosen.smilesColumn.trim();
    if (chosen.idColumn.trim()) req.idColumn = chosen.idColumn.trim();
    if (chosen.nameColumn.trim()) req.nameColumn = chosen.nameColumn.trim();
    return req;
  }, [previewPath, format, chosen]);
  const preview = useCall('library.preview', previewReq);
  const shown = previewPath && preview.data?.path && preview.error === null ? preview.data : null;

  const start = async (files: string[]) => {
    setStartError(null);
    setJobId(null);
    const req: ImportRequest = { files };
    if (format) req.format = format;
    if (choice.smilesColumn.trim()) req.smilesColumn = choice.smilesColumn.trim();
    if (choice.idColumn.trim()) req.idColumn = choice.idColumn.trim();
    if (targetsColumn.trim()) req.targetsColumn = targetsColumn.trim();
    if (pathwayColumn.trim()) req.pathwayColumn = pathwayColumn.trim();
    if (choice.nameColumn.trim()) req.nameColumn = choice.nameColumn.trim();
    try {
      const { jobId: id } = await api.call('library.import', req);
      sessionStorage.setItem('strata.importJob', id);
      setJobId(id);
    } catch (e) {
      setStartError(e as Error);
    }
  };
  const running = jobId !== null && job.final === null && job.error === null;
  const summary = job.final && job.final.status !== 'running' ? (job.final.result as ImportSummary | null) : null;
  const column = (label: string, key: keyof ColumnChoice, testId: string, title?: string) => (
    <label title={title}>
      {label}
      <input value={choice[key]} onChange={(e) => setChoice((c) => ({ ...c, [key]: e.target.value }))} placeholder="detect" data-testid={testId} />
    </label>
  );

  return (
    <section className="view import-view" data-testid="view-import">
      <h2>Import compounds</h2>
      <div className="import-grid">
        <form
          className="panel"
          onSubmit={(e) => {
            e.preventDefault();
            if (fileList.length) void start(fileList);
          }}
        >
          <h3>Files</h3>
          <p className="muted small">
            SDF (V2000/V3000), SMILES, CSV or TSV, optionally gzipped.
            {shellInfo?.host === 'web' && !shellInfo.dataRoots && ' Upload files from this computer, or give paths on the machine running Strata, one per line.'}
            {shellInfo?.dataRoots && ` Upload files from this computer. This is a shared server: paths must lie inside ${shellInfo.dataRoots.join(', ')}.`}
          </p>
          {conn.kind === 'web' && shellInfo?.uploads && <UploadZone uploads={uploads} disabled={running} />}
          <textarea
            className="mono"
            rows={3}
            placeholder="/path/to/library.sdf"
            value={paths}
            onChange={(e) => setPaths(e.target.value)}
            // The desktop shell accepts only files chosen in its dialog: the list shows them.
            readOnly={shellInfo?.host === 'electron'}
            data-testid="import-paths"
            aria-label="File paths"
          />
          <div className="actions">
            {shellInfo?.dialogs && (
              <button
                type="button"
                data-testid="import-browse"
                onClick={async () => {
                  const picked = await shell.call('shell.openFiles', {
                    title: 'Import compounds',
                    multi: true,
                    filters: [{ name: 'Compound files', extensions: ['sdf', 'sd', 'mol', 'smi', 'smiles', 'csv', 'tsv', 'txt', 'gz'] }],
                  });
                  if (picked?.length) {
                    setPaths((p) => [...p.split('\n').filter(Boolean), ...picked].join('\n'));
                    setPreviewPath((p) => p ?? picked[0]);
                  }
                }}
              >
                Choose files…
              </button>
            )}
            {fileList.length > 1 ? (
              <label className="inline-label">
                Preview
                <select value={previewPath ?? ''} onChange={(e) => setPreviewPath(e.target.value || null)} data-testid="preview-file">
                  <option value="">no preview</option>
                  {fileList.map((f) => (
                    <option key={f} value={f}>{basename(labelOf(f))}</option>
                  ))}
                </select>
              </label>
            ) : (
              <button type="button" disabled={!fileList.length || previewPath === fileList[0]} onClick={() => setPreviewPath(fileList[0])} data-testid="import-preview-button">
                Preview
              </button>
            )}
          </div>
          <div className="form-row">
            <label>
              Format
              <select value={format} onChange={(e) => setFormat(e.target.value as typeof format)} data-testid="import-format">
                <option value="">detect</option>
                <option value="sdf">SDF</option>
                <option value="smi">SMILES</option>
                <option value="csv">CSV</option>
                <option value="tsv">TSV</option>
              </select>
            </label>
            {shown ? (
              <PreviewColumns preview={shown} choice={choice} onChange={(c) => setChoice((old) => ({ ...old, ...c }))} disabled={running} />
            ) : (
              <>
                {column('SMILES column', 'smilesColumn', 'import-smiles-column')}
                {column('ID column', 'idColumn', 'import-id-column')}
                {column('Name column', 'nameColumn', 'import-name-column', 'column or SDF field with the compound name; detected: pref_name, name, compound_name, title… (never the id column)')}
              </>
            )}
            <label title="column or SDF field with the declared targets; detected: targets, target, putative_targets…">
              Targets column
              <input value={targetsColumn} onChange={(e) => setTargetsColumn(e.target.value)} placeholder="detect" data-testid="import-targets-column" />
            </label>
            <label title="column or SDF field with the declared target pathway; detected: target_pathway, pathway…">
              Pathway column
              <input value={pathwayColumn} onChange={(e) => setPathwayColumn(e.target.value)} placeholder="detect" data-testid="import-pathway-column" />
            </label>
          </div>
          {fileList.length > 1 && shown && <p className="muted small">The columns chosen apply to every file of the import.</p>}
          {previewPath && <ErrorBox error={preview.error} title="Preview failed" />}
          {shown && <PreviewTable preview={shown} />}
          <button type="submit" className="primary" disabled={!fileList.length || running || uploads.busy} data-testid="import-start">
            Import {fileList.length > 1 ? `${fileList.length} files` : ''}
          </button>
          <ErrorBox error={startError} title="Import could not start" />
        </form>
        <div className="panel">
          <h3>Examples</h3>
          {!shellInfo?.examples.length && <p className="muted">No example files are shipped with this installation.</p>}
          <ul className="examples" data-testid="examples">
            {shellInfo?.examples.map((ex) => (
              <li key={ex.path}>
                <span className="mono">{ex.name}</span> <span className="muted">{formatBytes(ex.size)}</span>
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    if (!typed.includes(ex.path)) setPaths((p) => [...p.split('\n').filter(Boolean), ex.path].join('\n'));
                    setPreviewPath(ex.path);
                  }}
                  data-testid={`preview-example-${ex.name}`}
                >
                  Preview
                </button>
                <button type="button" className="link" disabled={running} onClick={() => void start([ex.path])} data-testid={`import-example-${ex.name}`}>
                  Import
                </button>
              </li>
            ))}
          </ul>
        </div>
        <div className="panel" data-testid="import-measurements">
          <h3>Lab measurements</h3>
          <p className="muted small">Measured responses of the project's compounds on reference cell lines: stored with their source, shown on each compound's page, and used to calibrate its predictions.</p>
          <MeasureAttach />
        </div>
      </div>

      {jobId && (
        <div className="panel" data-testid="import-job">
          <JobPanel jobId={jobId} progress={job.progress} final={job.final} label="Import" />
          <ErrorBox error={job.error ?? (job.final?.status === 'failed' && job.final.error ? new Error(shortenUploads(job.final.error.message)) : null)} title="Import failed" />
          {summary && <ImportSummaryTable summary={summary} shorten={shortenUploads} />}
          {job.final && (
            <div className="actions">
              <button type="button" onClick={() => navigate({ view: 'library' })} data-testid="goto-library">
                Open the library
              </button>
              <button
                type="button"
                className="link"
                onClick={() => {
                  sessionStorage.removeItem('strata.importJob');
                  setJobId(null);
                }}
              >
                Dismiss
              </button>
            </div>
          )}
        </div>
      )}

      <ImportReport dataVersion={dataVersion} />
    </section>
  );
}

function ImportSummaryTable({ summary, shorten }: { summary: ImportSummary; shorten: (text: string) => string }) {
  return (
    <div data-testid="import-summary">
      <p>
        {summary.cancelled ? <strong className="warn">Cancelled. </strong> : null}
        Read <b data-testid="summary-read">{formatInt(summary.read)}</b> records: <b data-testid="summary-imported">{formatInt(summary.imported)}</b> imported,{' '}
        <b data-testid="summary-duplicates">{formatInt(summary.duplicates)}</b> duplicates, <b data-testid="summary-failed">{formatInt(summary.failed)}</b> failed, in{' '}
        {formatDuration(summary.seconds)}.
        {summary.notes?.length ? <span data-testid="summary-notes"> {formatInt(summary.notes.length)} note{summary.notes.length === 1 ? '' : 's'} on imported records (unknown targets or pathways, duplicates declaring another mechanism): see the report's notes.</span> : null}
      </p>
      <table className="dense">
        <thead>
          <tr>
            <th>File</th>
            <th className="num">Read</th>
            <th className="num">Imported</th>
            <th className="num">Duplicates</th>
            <th className="num">Failed</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {summary.files.map((f) => (
            <tr key={f.sourceId}>
              <td className="mono" title={f.file}>{basename(f.file)}</td>
              <td className="num">{formatInt(f.read)}</td>
              <td className="num">{formatInt(f.imported)}</td>
              <td className="num">{formatInt(f.duplicates)}</td>
              <td className="num">{formatInt(f.failed)}</td>
              <td className={f.error ? 'error-inline' : 'muted'} data-testid="summary-file-note">
                {(f.error && shorten(f.error)) ?? (f.skippedAsAlreadyImported ? 'already imported (same content)' : f.resumedFrom ? `resumed after record ${formatInt(f.resumedFrom)}` : '')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Every failed record of the project (or every note on imported ones), by source, searchable; CSV download of the filtered list. */
function ImportReport({ dataVersion }: { dataVersion: number }) {
  const { api } = useApp();
  const info = useCall('project.info', {}, [dataVersion]);
  const [sourceId, setSourceId] = useState<number | undefined>(undefined);
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState<ImportIssue['kind']>('failure');
  const q = useDebounced(search.trim(), 250);
  const [downloadError, setDownloadError] = useState<Error | null>(null);
  const [downloading, setDownloading] = useState(false);
  const filter = useMemo(() => ({ kind, ...(sourceId !== undefined ? { sourceId } : {}), ...(q ? { search: q } : {}) }), [kind, sourceId, q]);
  const source = useMemo(
    () => new PagedRows<ImportIssue>((offset, limit) => api.call('library.report', { ...filter, offset, limit })),
    // dataVersion: a finished import adds issues.
    [api, filter, dataVersion],
  );
  useEffect(() => {
    source.start();
    return () => source.dispose();
  }, [source]);
  useSyncExternalStore(source.subscribe, source.getVersion);
  const onRange = useCallback((a: number, b: number) => source.request(a, b), [source]);

  const download = async () => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const rows: ImportIssue[] = [];
      for (let offset = 0; ; offset += 5000) {
        const page = await api.call('library.report', { ...filter, offset, limit: 5000 });
        rows.push(...page.rows);
        if (page.rows.length < 5000 || rows.length >= page.total) break;
      }
      const csv = toCsv(['file', 'record', 'line', 'reason', 'excerpt'], rows.map((r) => [r.file, r.record, r.line, r.reason, r.excerpt]));
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = kind === 'note' ? 'import-notes.csv' : 'import-report.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setDownloadError(e as Error);
    } finally {
      setDownloading(false);
    }
  };

  const columns: Column<ImportIssue>[] = [
    { key: 'file', label: 'File', width: 200, render: (r) => <span className="mono ellipsis" title={r.file}>{basename(r.file)}</span> },
    { key: 'record', label: 'Record', width: 80, align: 'right', render: (r) => <span className="num">{formatInt(r.record)}</span> },
    { key: 'line', label: 'Line', width: 80, align: 'right', render: (r) => <span className="num">{r.line === null ? '' : formatInt(r.line)}</span> },
    { key: 'reason', label: 'Reason', width: 420, render: (r) => <span className="ellipsis" title={r.reason} data-testid="report-reason">{r.reason}</span> },
    { key: 'excerpt', label: 'Excerpt', width: 320, render: (r) => <span className="mono ellipsis small" title={r.excerpt ?? ''}>{r.excerpt ?? ''}</span> },
  ];
  const total = source.total;
  return (
    <div className="panel report" data-testid="import-report">
      <div className="panel-head">
        <h3>Import report</h3>
        <span className="muted" data-testid="report-total">
          {total === null ? '' : kind === 'note' ? `${formatInt(total)} note${total === 1 ? '' : 's'}` : `${formatInt(total)} failed record${total === 1 ? '' : 's'}`}
        </span>
        <div className="spacer" />
        <select value={kind} onChange={(e) => setKind(e.target.value as ImportIssue['kind'])} data-testid="report-kind" aria-label="Failures or notes">
          <option value="failure">failed records</option>
          <option value="note">notes on imported records</option>
        </select>
        <select value={sourceId ?? ''} onChange={(e) => setSourceId(e.target.value === '' ? undefined : Number(e.target.value))} data-testid="report-source" aria-label="Source file">
          <option value="">All files</option>
          {info.data?.sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({formatInt(s.failed)} failed)
            </option>
          ))}
        </select>
        <input placeholder="Filter reasons…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="report-search" aria-label="Filter the report" />
        <button type="button" onClick={() => void download()} disabled={downloading || !total} data-testid="report-download">
          {downloading ? 'Preparing…' : 'Download CSV'}
        </button>
      </div>
      <ErrorBox error={source.error ?? downloadError} />
      <div className="report-grid">
        <VirtualTable
          testId="report-grid"
          columns={columns}
          rowCount={total ?? 0}
          rowHeight={26}
          getRow={(i) => source.row(i)}
          rowKey={(r, i) => (r ? r.id : `i${i}`)}
          onRange={onRange}
          emptyText={total === 0 ? (kind === 'note' ? 'No notes.' : 'No failed records.') : undefined}
          resetKey={JSON.stringify(filter)}
        />
      </div>
    </div>
  );
}
