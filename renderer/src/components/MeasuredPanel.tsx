/**
 * The compound page's measurements: measured vs predicted per cell line (table and a small plot), the
 * subgroups' predictions before and after calibration by the measurements (`measure.compare`), a drop zone
 * to attach a file, and which lines to measure next (`measure.suggest`: subgroup, K, the lines and the
 * expected interval width after measuring them). Measured lines are shown as measured, never as predictions.
 */
import { useState } from 'react';
import type { MeasuredComparison, ScreenResult } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from './ErrorBox.js';
import { MeasureAttach } from './MeasureAttach.js';
import { formatInt, formatNumber } from '../lib/format.js';

function runSubgroups(runId: number | null): string[] {
  try {
    const run = JSON.parse(sessionStorage.getItem('strata.screen') ?? 'null') as ScreenResult | null;
    return run && run.runId === runId ? run.subgroups.map((s) => s.rule) : [];
  } catch {
    return [];
  }
}

const interval = (lo: number, hi: number) => `[${formatNumber(lo)}, ${formatNumber(hi)}]`;

export function MeasuredPanel({ compoundId }: { compoundId: number }) {
  const { runId, dataVersion } = useApp();
  const saved = useCall('subgroups.list', {});
  const fromRun = runSubgroups(runId);
  const subgroups = fromRun.length ? fromRun : (saved.data ?? []).slice(0, 4).map((s) => s.name);
  const cmp = useCall('measure.compare', { compoundId, subgroups }, [dataVersion]);
  const c = cmp.data;
  return (
    <div className="panel" data-testid="measured-panel">
      <h3>Lab measurements</h3>
      <ErrorBox error={cmp.error} title="Measurements unavailable" />
      {c && c.lines.length === 0 && <p className="muted" data-testid="measured-none">No measurements of this compound yet. Attach a file to calibrate its predictions by them.</p>}
      {c && c.lines.length > 0 && (
        <>
          <p className="small" data-testid="measured-summary">
            {formatInt(c.lines.length)} measured line{c.lines.length === 1 ? '' : 's'}
            {c.calibrated
              ? <> · predictions of the other {formatInt(c.predictedLines)} lines calibrated by them: mean 90 % half-width ±{formatNumber(c.halfWidthBefore)} → ±{formatNumber(c.halfWidthAfter)} ln</>
              : <> · none is a training line of the model: predictions are not calibrated</>}
          </p>
          <div className="measured-grid">
            <MeasuredPlot c={c} />
            <table className="dense" data-testid="measured-table">
              <thead>
                <tr>
                  <th>Cell line</th>
                  <th>Tissue</th>
                  <th className="num" title="mean of the replicates, ln IC50 in µM">Measured</th>
                  <th className="num" title="the model's prediction before calibration, with its 90 % interval">Predicted [90 %]</th>
                  <th className="num" title="calibrated by the other measured lines only (leave-one-out)">From the others</th>
                  <th className="num">Repl.</th>
                </tr>
              </thead>
              <tbody>
                {c.lines.map((l) => (
                  <tr key={l.sampleId} title={`COSMIC ${l.sampleId}${l.usedByCalibration ? '' : ' — not a training line of the model: not used by calibration'}`}>
                    <td>{l.lineName ?? l.sampleId}{!l.usedByCalibration && <span className="muted"> (not used)</span>}</td>
                    <td className="small">{l.tissue ?? ''}</td>
                    <td className="num" data-testid="measured-value">{formatNumber(l.measured)}</td>
                    <td className="num">{formatNumber(l.predicted)} <span className="muted small">{interval(l.predictedLow, l.predictedHigh)}</span></td>
                    <td className="num">{l.fromOthers === null ? '—' : formatNumber(l.fromOthers)}</td>
                    <td className="num">{formatInt(l.replicates)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {c.subgroups.length > 0 && c.calibrated && (
            <>
              <h4>Subgroup predictions calibrated by the measurements</h4>
              <table className="dense" data-testid="measured-subgroups">
                <thead>
                  <tr>
                    <th>Subgroup</th>
                    <th className="num">Measured members</th>
                    <th className="num">ln IC50 before [90 %]</th>
                    <th className="num">ln IC50 after [90 %]</th>
                    <th className="num">Selectivity before [90 %]</th>
                    <th className="num">Selectivity after [90 %]</th>
                  </tr>
                </thead>
                <tbody>
                  {c.subgroups.map((s) => (
                    <tr key={s.label}>
                      <td>{s.label}</td>
                      <td className="num">{formatInt(s.measuredMembers)} of {formatInt(s.members)}</td>
                      <td className="num muted">{formatNumber(s.before.lnIc50)} {interval(s.before.low, s.before.high)}</td>
                      <td className="num" data-testid="measured-subgroup-after">{s.after ? <>{formatNumber(s.after.lnIc50)} {interval(s.after.low, s.after.high)}</> : '—'}</td>
                      <td className="num muted">{formatNumber(s.before.selectivity)} {interval(s.before.selectivityLow, s.before.selectivityHigh)}</td>
                      <td className="num">{s.after ? <>{formatNumber(s.after.selectivity)} {interval(s.after.selectivityLow, s.after.selectivityHigh)}</> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {runId !== null && <p className="muted small">The ranked rows above are run #{runId}'s: a new screen ranks with the calibrated values.</p>}
            </>
          )}
        </>
      )}
      <MeasureAttach compact />
      <Suggest compoundId={compoundId} choices={[...new Set([...fromRun, ...(saved.data ?? []).map((s) => s.name)])]} />
    </div>
  );
}

/** Measured (x) against predicted (y): the model's prediction (hollow) and the one from the other measured lines (filled). */
function MeasuredPlot({ c }: { c: MeasuredComparison }) {
  const pts = c.lines.filter((l) => Number.isFinite(l.predicted));
  const all = pts.flatMap((l) => [l.measured, l.predicted, ...(l.fromOthers === null ? [] : [l.fromOthers])]);
  if (!all.length) return null;
  const lo = Math.floor(Math.min(...all) - 0.5);
  const hi = Math.ceil(Math.max(...all) + 0.5);
  const S = 220;
  const pad = 30;
  const sc = (v: number) => pad + ((v - lo) / (hi - lo || 1)) * (S - pad - 8);
  const sy = (v: number) => S - sc(v) + 8;
  return (
    <svg className="measured-plot" width={S + 10} height={S + 14} role="img" aria-label="measured against predicted ln IC50" data-testid="measured-plot">
      <line x1={sc(lo)} y1={sy(lo)} x2={sc(hi)} y2={sy(hi)} className="axis identity" />
      <line x1={pad} y1={sy(lo)} x2={S} y2={sy(lo)} className="axis" />
      <line x1={pad} y1={sy(lo)} x2={pad} y2={sy(hi)} className="axis" />
      <text x={pad} y={S + 12} className="bar-label">{formatNumber(lo)}</text>
      <text x={S} y={S + 12} textAnchor="end" className="bar-label">{formatNumber(hi)} measured</text>
      <text x={pad - 4} y={sy(hi) + 8} textAnchor="end" className="bar-label">{formatNumber(hi)}</text>
      <text x={pad - 4} y={sy(lo)} textAnchor="end" className="bar-label">{formatNumber(lo)}</text>
      <text x={pad + 4} y={sy(hi) + 8} className="bar-label">predicted</text>
      {pts.map((l) => (
        <g key={l.sampleId}>
          <title>{`${l.lineName ?? l.sampleId}: measured ${formatNumber(l.measured)}, predicted ${formatNumber(l.predicted)}${l.fromOthers === null ? '' : `, from the others ${formatNumber(l.fromOthers)}`}`}</title>
          <circle cx={sc(l.measured)} cy={sy(l.predicted)} r={3.5} className="pt-prior" />
          {l.fromOthers !== null && <circle cx={sc(l.measured)} cy={sy(l.fromOthers)} r={3.5} className="pt-calibrated" />}
        </g>
      ))}
      <g className="legend">
        <circle cx={S - 92} cy={sy(lo) - 26} r={3.5} className="pt-prior" />
        <text x={S - 84} y={sy(lo) - 22} className="bar-label">model</text>
        <circle cx={S - 92} cy={sy(lo) - 12} r={3.5} className="pt-calibrated" />
        <text x={S - 84} y={sy(lo) - 8} className="bar-label">from the others</text>
      </g>
    </svg>
  );
}

/** Which lines to measure next: subgroup (or the whole panel) and K → the lines and the interval width after measuring them. */
function Suggest({ compoundId, choices }: { compoundId: number; choices: string[] }) {
  const { dataVersion } = useApp();
  const [subgroup, setSubgroup] = useState('');
  const [k, setK] = useState(5);
  const [asked, setAsked] = useState<{ subgroup: string; k: number } | null>(null);
  const sug = useCall('measure.suggest', asked ? { compoundId, k: asked.k, ...(asked.subgroup ? { subgroup: asked.subgroup } : {}) } : null, [dataVersion]);
  const s = sug.data;
  return (
    <div className="measure-suggest" data-testid="measure-suggest">
      <h4>Which lines to measure next</h4>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ subgroup: subgroup.trim(), k });
        }}
      >
        <label>
          For the selectivity of
          <input list={`suggest-subgroups-${compoundId}`} value={subgroup} onChange={(e) => setSubgroup(e.target.value)} placeholder="whole panel (or a rule, e.g. BRAF_mut)" data-testid="suggest-subgroup" />
          <datalist id={`suggest-subgroups-${compoundId}`}>
            {choices.map((c) => <option key={c} value={c} />)}
          </datalist>
        </label>
        <label>
          K lines
          <input type="number" min={1} max={50} value={k} onChange={(e) => setK(Math.max(1, Math.min(50, Number(e.target.value) || 1)))} data-testid="suggest-k" />
        </label>
        <button type="submit" data-testid="suggest-run">Suggest</button>
      </form>
      <ErrorBox error={sug.error} title="No suggestion" />
      {s && (
        <div data-testid="suggestion">
          <p className="small">
            {s.subgroup ? <>Selectivity of <b>{s.subgroup}</b></> : <>The whole panel</>}: 90 % half-width ±{formatNumber(s.halfWidthBefore)} ln now
            {s.measured > 0 && ` (${formatInt(s.measured)} lines measured)`}, <b data-testid="suggest-after">±{formatNumber(s.halfWidthAfter)} ln</b> after measuring these {formatInt(s.lines.length)}:
          </p>
          <ol className="suggest-lines small">
            {s.lines.map((l) => (
              <li key={l.sampleId} data-testid="suggest-line">
                {l.lineName ?? l.sampleId} <span className="muted">(COSMIC {l.sampleId}, {l.tissue ?? 'tissue unknown'}{l.inSubgroup === null ? '' : l.inSubgroup ? ', in the subgroup' : ', complement'})</span> → ±{formatNumber(l.halfWidthAfter)}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
