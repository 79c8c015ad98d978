import { useState } from 'react';
import type { JobProgress, JobState } from '../../../core/api/contract.js';
import { formatBytes, formatDuration, formatInt, formatRate } from '../lib/format.js';
import { useApp } from '../state.js';
import { ErrorBox } from './ErrorBox.js';

/** Progress of a long job: stage, done/total, rate, ETA, and Cancel. */
export function JobPanel(props: { jobId: string; progress: JobProgress | null; final: JobState | null; unit?: string; label: string }) {
  const { api } = useApp();
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const p = props.progress;
  const done = props.final !== null;
  const frac = props.final?.status === 'done' ? 1 : p && p.total ? Math.min(1, p.done / p.total) : done ? 1 : null;
  // Hashing stages count bytes, the others count items.
  const bytes = p !== null && /^hash/i.test(p.stage);
  const amount = (n: number) => (bytes ? formatBytes(n) : formatInt(n));
  const status = props.final?.status ?? 'running';
  return (
    <div className="job-panel" data-testid="job-panel" data-status={status}>
      <div className="job-head">
        <span className="job-label">{props.label}</span>
        <span className="job-stage" data-testid="job-stage">{done ? status : p?.stage ?? 'starting'}</span>
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
