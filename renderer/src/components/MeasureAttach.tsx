/**
 * Attach a lab's measurements file (compound_id, sample_id, value + unit) to the project: drop it on the
 * zone or pick it (upload in the browser host, the native dialog in Electron, or a path on the machine
 * running Strata), then `measure.import`; shows what was stored and every row that was not (file, line, reason).
 */
import { useState } from 'react';
import type { MeasureImportResult } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { ErrorBox } from './ErrorBox.js';
import { formatInt } from '../lib/format.js';
import { uploadFile } from '../lib/transport.js';

export function MeasureAttach({ onImported, compact = false }: { onImported?: (r: MeasureImportResult) => void; compact?: boolean }) {
  const { api, shell, shellInfo, conn, bumpData } = useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const [path, setPath] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<MeasureImportResult | null>(null);
  const canUpload = conn.kind === 'web' && !!shellInfo?.uploads;

  const importPath = async (file: string) => {
    setBusy(file);
    setError(null);
    try {
      const r = await api.call('measure.import', { file });
      setResult(r);
      bumpData();
      onImported?.(r);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(null);
    }
  };
  const importFile = async (f: File) => {
    setError(null);
    try {
      setBusy(f.name);
      const up = await uploadFile(conn, f);
      await importPath(up.path);
    } catch (e) {
      setError(e as Error);
      setBusy(null);
    }
  };

  return (
    <div className="measure-attach" data-testid="measure-attach">
      <div
        className={`drop-zone ${over ? 'over' : ''}`}
        data-testid="measure-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer.files[0];
          if (f && canUpload) void importFile(f);
          else if (f) setError(new Error('Dropping files needs the browser host with uploads; use “Choose file…”'));
        }}
      >
        {busy ? <span>Importing {busy}…</span> : <span>Drop a measurements file here</span>}
        <span className="muted small">CSV/TSV: compound_id, sample_id (COSMIC id or cell-line name), value, unit (ln_ic50, ic50_uM, ic50_nM, pic50, …)</span>
        <div className="actions">
          {canUpload && (
            <label className="button upload">
              Choose file…
              <input
                type="file"
                hidden
                accept=".csv,.tsv,.txt"
                data-testid="measure-upload"
                disabled={busy !== null}
                onChange={(e) => {
                  const f = e.target.files?.[0];
                  e.target.value = '';
                  if (f) void importFile(f);
                }}
              />
            </label>
          )}
          {shellInfo?.dialogs && (
            <button
              type="button"
              disabled={busy !== null}
              data-testid="measure-browse"
              onClick={async () => {
                const picked = await shell.call('shell.openFiles', { title: 'Attach measurements', multi: false, filters: [{ name: 'Measurements', extensions: ['csv', 'tsv', 'txt'] }] });
                if (picked?.[0]) void importPath(picked[0]);
              }}
            >
              Choose file…
            </button>
          )}
          {!compact && shellInfo?.host === 'web' && (
            <form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (path.trim()) void importPath(path.trim());
              }}
            >
              <input className="mono" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/measurements.csv" aria-label="Measurements file path" data-testid="measure-path" />
              <button type="submit" disabled={!path.trim() || busy !== null} data-testid="measure-path-import">Import</button>
            </form>
          )}
        </div>
      </div>
      <ErrorBox error={error} title="Measurements not imported" />
      {result && (
        <div className="measure-result small" data-testid="measure-result">
          {result.skippedAsAlreadyImported
            ? <p>{result.file} was imported before (same content): nothing new stored.</p>
            : <p>{result.file}: {formatInt(result.stored)} of {formatInt(result.rows)} rows stored ({formatInt(result.compounds)} compound{result.compounds === 1 ? '' : 's'}, {formatInt(result.lines)} cell line{result.lines === 1 ? '' : 's'}).</p>}
          {result.issues.length > 0 && (
            <details open={result.issues.length <= 5}>
              <summary className="warn">{formatInt(result.issues.length)} rows not stored</summary>
              <ul className="measure-issues" data-testid="measure-issues">
                {result.issues.slice(0, 100).map((i) => (
                  <li key={i.line}><span className="mono">{i.file}</span> line {i.line}: {i.reason}</li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
