import { useState } from 'react';
import type { JobProgress, JobState } from '../../../core/api/contract.js';
import { formatBytes, formatDuration, formatInt, formatRate } from '../lib/format.js';
import { useApp } from '../state.js';
import { ErrorBox } from './ErrorBox.js';

/**
 * Progress of a long job: stage, done/total, rate, ETA, and Cancel. A job over several inputs (an import of
 * several files) also shows which of them it is on and its counts and rate over all of them; the bar then
 * follows the whole job. A failed job ends red, with its status in capitals (the view shows the reason).
 */
export function JobPanel(props: { jobId: string; progress: JobProgress | null; final: JobState | null; unit?: string; label: string }) {
  const { api } = useApp();
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const p = props.progress;
  const done = props.final !== null;
  const overall = p?.overall && p.overall.items > 1 ? p.overall : null;
  const frac = props.final?.status === 'done' ? 1 : overall?.fraction != null ? overall.fraction : p && p.total ? Math.min(1, p.done / p.total) : done ? 1 : null;
  // Hashing stages count bytes, the others count items.
  const bytes = p !== null && /^hash/i.test(p.stage);
  const amount = (n: number) => (bytes ? formatBytes(n) : formatInt(n));
  const status = props.final?.status ?? 'running';
  return (
    <div className="job-panel" data-testid="job-panel" data-status={status}>
      <div className="job-head">
        <span className="job-label">{props.label}</span>
        <span className={`job-stage ${done ? `job-${status}` : ''}`} data-testid="job-stage">{done ? (status === 'failed' ? 'FAILED' : status) : p?.stage ?? 'starting'}</span>
        {!done && (
          <button
            type="button"
            data-testid="job-cancel"
            disabled={cancelling}
            onClick={() => {
              setCancelling(true);
              api.call('job.cancel', { jobId: props.jobId }).catch((e: Error) => setCancelError(e));
            }}
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      <div
        className={`progress ${frac === null ? 'indeterminate' : ''}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={p?.total ?? undefined}
        aria-valuenow={p?.done ?? undefined}
      >
        <div className="progress-fill" style={{ width: frac === null ? undefined : `${(frac * 100).toFixed(1)}%` }} />
      </div>
      {overall && (
        <div className="job-figures job-overall" data-testid="job-overall">
          <span data-testid="job-overall-file">
            File {formatInt(overall.item)} of {formatInt(overall.items)}: <span className="mono">{overall.itemName}</span>
          </span>
          <span data-testid="job-overall-records">{formatInt(overall.done)} {props.unit ?? 'records'} over all files</span>
          <span>{formatRate(overall.rate, props.unit === 'records' || !props.unit ? 'rec' : props.unit)}</span>
        </div>
      )}
      <div className="job-figures" data-testid="job-figures">
        <span>{p ? `${amount(p.done)}${p.total !== null ? ` / ${amount(p.total)}` : ''}${bytes ? '' : ` ${props.unit ?? 'records'}`}` : '—'}</span>
        <span>{p && !bytes ? formatRate(p.rate, props.unit === 'records' || !props.unit ? 'rec' : props.unit) : p ? `${formatBytes(p.rate)}/s` : ''}</span>
        <span>{!done && p ? `ETA ${formatDuration(p.etaSeconds)}` : ''}</span>
        {p?.message && <span className="muted">{p.message}</span>}
      </div>
      <ErrorBox error={cancelError} title="Cancel failed" />
    </div>
  );
}
