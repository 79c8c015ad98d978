/**
 * Predict a compound for the lab's own samples: a genotype panel as a CSV (genomic_features layout) or straight
 * from variant calls (VCF with VEP/snpEff annotation, MAF, .seg / gene-level copy number), with an optional
 * sample sheet (tissue, MSI). `panel.predict` runs the same conversion and model as `strata predict --panel`.
 */
import { useState } from 'react';
import type { PanelPrediction } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { ErrorBox } from './ErrorBox.js';
import { basename, formatBytes, formatNumber, formatProbability, formatIc50, pResponseLabel } from '../lib/format.js';
import { uploadFile } from '../lib/transport.js';
import './panel-predict.css';

const PANEL_EXT = ['csv', 'tsv', 'txt', 'vcf', 'gz', 'maf', 'seg'];

/** A file for the engine: uploaded (browser host), chosen in the native dialog (desktop) or a path typed (local web host). */
function FileChoice({ label, testId, value, onChange, optional = false }: { label: string; testId: string; value: string; onChange(p: string): void; optional?: boolean }) {
  const { shell, shellInfo, conn } = useApp();
  // The upload in flight (bytes sent of total, and its cancel), null when none.
  const [upload, setUpload] = useState<{ name: string; sent: number; total: number; ctl: AbortController } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const canUpload = conn.kind === 'web' && !!shellInfo?.uploads;
  const start = async (f: File) => {
    const ctl = new AbortController();
    setUpload({ name: f.name, sent: 0, total: f.size, ctl });
    setError(null);
    setNote(null);
    try {
      const done = await uploadFile(conn, f, { signal: ctl.signal, onProgress: (sent, total) => setUpload((u) => (u && u.ctl === ctl ? { ...u, sent, total } : u)) });
      onChange(done.path);
    } catch (err) {
      if ((err as Error).name === 'AbortError') setNote(`upload of ${f.name} cancelled`);
      else setError(err as Error);
    } finally {
      setUpload((u) => (u?.ctl === ctl ? null : u));
    }
  };
  return (
    <div className="panel-file">
      <span className="panel-file-label">{label}{optional ? ' (optional)' : ''}</span>
      {canUpload && !upload && (
        <label className="button upload">
          Choose file…
          <input
            type="file"
            hidden
            data-testid={`${testId}-upload`}
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void start(f);
            }}
          />
        </label>
      )}
      {upload && (
        <span className="panel-upload" data-testid={`${testId}-progress`}>
          <span className="muted small" data-testid={`${testId}-progress-text`}>
            Uploading {upload.name}: {formatBytes(upload.sent)} of {formatBytes(upload.total)}
            {upload.total > 0 ? ` (${Math.floor((100 * upload.sent) / upload.total)} %)` : ''}
          </span>
          <progress max={Math.max(1, upload.total)} value={upload.sent} />
          <button type="button" onClick={() => upload.ctl.abort()} data-testid={`${testId}-cancel`}>Cancel</button>
        </span>
      )}
      {shellInfo?.dialogs && (
        <button
          type="button"
          data-testid={`${testId}-browse`}
          onClick={async () => {
            const picked = await shell.call('shell.openFiles', { title: label, multi: false, filters: [{ name: label, extensions: PANEL_EXT }] });
            if (picked?.[0]) onChange(picked[0]);
          }}
        >
          Choose file…
        </button>
      )}
      {shellInfo?.host === 'web' && (
        <input className="mono" value={value} onChange={(e) => onChange(e.target.value)} placeholder="/path/on/the/server" aria-label={`${label} path`} data-testid={`${testId}-path`} />
      )}
      {value && <span className="muted small" title={value}>{basename(value)}</span>}
      {note && <span className="muted small" data-testid={`${testId}-note`}>{note}</span>}
      <ErrorBox error={error} title="Upload failed" />
    </div>
  );
}

export function PanelPredict({ compoundId }: { compoundId: number }) {
  const { api } = useApp();
  const [file, setFile] = useState('');
  const [sheet, setSheet] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [result, setResult] = useState<PanelPrediction | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.call('panel.predict', { file: file.trim(), compoundIds: [compoundId], ...(sheet.trim() ? { samples: sheet.trim() } : {}) }));
    } catch (e) {
      setResult(null);
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="panel" data-testid="panel-predict">
      <h3>Predict for your samples</h3>
      <p className="muted small">
        A genotype panel: CSV in the reference layout, or variant calls — VCF annotated by VEP (CSQ) or snpEff (ANN), MAF,
        .seg or a gene-level copy-number table — converted as <code>strata panel import</code> does. A sample sheet
        (sample, tissue, MSI) gives VCF/MAF samples their tissue.
      </p>
      <div className="panel-files">
        <FileChoice label="Panel file" testId="panel-file" value={file} onChange={setFile} />
        <FileChoice label="Sample sheet" testId="panel-sheet" value={sheet} onChange={setSheet} optional />
        <button type="button" className="primary" disabled={!file.trim() || busy} onClick={run} data-testid="panel-run">{busy ? 'Predicting…' : 'Predict'}</button>
      </div>
      <ErrorBox error={error} title="No prediction" />
      {result && (
        <>
          {result.warnings.length > 0 && (
            <details data-testid="panel-warnings">
              <summary className="warn">{result.warnings.length} note{result.warnings.length === 1 ? '' : 's'} from the panel conversion</summary>
              <ul className="small">{result.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
            </details>
          )}
          <table className="dense" data-testid="panel-results">
            <thead>
              <tr>
                <th>Sample</th>
                <th className="num" title="Predicted ln IC50 (µM) with its calibrated 90 % interval">ln IC50 [90 % interval]</th>
                <th className="num">IC50</th>
                <th className="num" title="Probability that the IC50 is below the threshold, from the model's out-of-fold residuals">{pResponseLabel(result.responseThresholdUm)}</th>
                <th className="num" title="Applicability domain: 1 = like the training drugs">Domain</th>
              </tr>
            </thead>
            <tbody>
              {result.predictions.map((p) => (
                  <tr key={p.sampleId} data-testid="panel-row">
                    <td className="mono">{p.sampleId}</td>
                    <td className="num">{formatNumber(p.lnIc50, 3)}{p.low !== null && p.high !== null ? ` [${formatNumber(p.low, 3)}, ${formatNumber(p.high, 3)}]` : ''}</td>
                    <td className="num">{formatIc50(p.lnIc50)}</td>
                    <td className="num">{formatProbability(p.pResponse)}</td>
                    <td className="num">{formatNumber(p.domainScore, 2)}</td>
                  </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Model {result.modelId}; the same numbers as <code>strata predict --panel</code>.</p>
        </>
      )}
    </div>
  );
}
