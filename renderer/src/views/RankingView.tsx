/**
 * Ranking: predict efficacy for each chosen subgroup, then rank by a weighted desirability.
 * Per-subgroup tables (potency with interval, selectivity, applicability domain, desirability),
 * a compounds × subgroups heatmap, and editable weights (re-run to apply).
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { DesirabilityWeights, RankedRow, ScreenRequest, ScreenResult, SortDir } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall, useJob } from '../hooks.js';
import { JobPanel } from '../components/JobPanel.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Structure } from '../components/Structure.js';
import { VirtualTable, type Column } from '../components/VirtualTable.js';
import { PagedRows } from '../lib/paged-rows.js';
import { compoundLabel, compoundTitle, DELTA_PIC50_HELP, formatColumn, formatIc50, formatInt, formatLog10, formatNumber, formatProbability, lnToLog10, pIc50FromLn, pResponseLabel } from '../lib/format.js';
import { EVIDENCE_SHORT, evidenceText, selectivityWords } from '../lib/mechanism.js';
import { useRunInfo } from '../lib/persist.js';
import { readWidths, useProjectSetting, withWidths } from '../lib/settings.js';
import { AddToHitList, RunPicker } from '../components/HitLists.js';

/** "Rank by" choices: the stored rank (desirability), or a column of the ranked rows the API sorts by. */
const RANK_BY: { value: string; label: string; sort: { column: keyof RankedRow; dir: SortDir } | null }[] = [
  { value: 'rank', label: 'desirability (rank)', sort: null },
  { value: 'selectivityLow', label: 'selectivity, lower bound of its interval', sort: { column: 'selectivityLow', dir: 'desc' } },
  { value: 'selectivity', label: 'selectivity (point estimate)', sort: { column: 'selectivity', dir: 'desc' } },
  { value: 'pIc50', label: 'potency (pIC50)', sort: { column: 'pIc50', dir: 'desc' } },
  { value: 'pResponse', label: 'probability of response', sort: { column: 'pResponse', dir: 'desc' } },
];

const WEIGHT_LABELS: [keyof DesirabilityWeights, string, string][] = [
  ['potency', 'Potency', 'predicted pIC50 in the subgroup'],
  ['selectivity', 'Selectivity', 'subgroup vs complement difference (Δ pIC50)'],
  ['qed', 'QED', 'drug-likeness'],
  ['rules', 'Rules', 'Lipinski / Veber'],
  ['alerts', 'Alerts', 'structural alerts (penalty)'],
  ['domain', 'Domain', 'similarity to training drugs'],
];
export function RankingView() {
  const { api, query, runId, setRunId } = useApp();
  const subgroups = useCall('subgroups.list', {});
  const models = useCall('models.list', {});
  const [chosen, setChosen] = useState<string[]>([]);
  const [modelId, setModelId] = useState('');
  const [weights, setWeights] = useState<Partial<Record<keyof DesirabilityWeights, string>>>({});
  const [useQuery, setUseQuery] = useState(false);
  const [threshold, setThreshold] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [startError, setStartError] = useState<Error | null>(null);
  const [result, setResult] = useState<ScreenResult | null>(null);
  const job = useJob(jobId);
  // The chosen run (kept in the project and the URL; the newest stored one in a new tab).
  const stored = useRunInfo(api, runId);
  useEffect(() => {
    if (stored && stored.runId !== result?.runId) setResult(stored);
  }, [stored]);

  useEffect(() => {
    if (job.final?.status === 'done' && job.final.result) {
      const r = job.final.result as ScreenResult;
      setResult(r);
      setRunId(r.runId);
    }
  }, [job.final, setRunId]);
  useEffect(() => {
    // Start from the weights of the shown run, so "re-rank" edits them rather than starting blank.
    if (result) setWeights(Object.fromEntries(Object.entries(result.weights).map(([k, v]) => [k, String(v)])));
    if (result?.responseThresholdUm) setThreshold(String(result.responseThresholdUm));
  }, [result]);

  const run = async () => {
    setStartError(null);
    setJobId(null);
    const req: ScreenRequest = { subgroups: chosen };
    if (modelId) req.modelId = modelId;
    const w: Partial<DesirabilityWeights> = {};
    for (const [k, v] of Object.entries(weights)) if (v !== undefined && v.trim() !== '') w[k as keyof DesirabilityWeights] = Number(v);
    if (Object.values(w).some((v) => !Number.isFinite(v) || v < 0)) {
      setStartError(new Error('weights must be numbers ≥ 0'));
      return;
    }
    if (Object.keys(w).length) req.weights = w;
    if (threshold.trim() !== '') {
      const t = Number(threshold);
      if (!Number.isFinite(t) || !(t > 0)) {
        setStartError(new Error('the response threshold must be an IC50 in µM > 0'));
        return;
      }
      req.responseThresholdUm = t;
    }
    if (useQuery && Object.keys(query).length) req.query = query;
    try {
      const { jobId: id } = await api.call('screen.run', req);
      setJobId(id);
    } catch (e) {
      setStartError(e as Error);
    }
  };

  return (
    <section className="view ranking-view" data-testid="view-ranking">
      <h2>Ranking by subgroup</h2>
      <div className="panel">
        <div className="ranking-setup">
          <fieldset>
            <legend>Subgroups</legend>
            <ErrorBox error={subgroups.error} title="Subgroups unavailable" />
            {subgroups.data?.length === 0 && <p className="muted">No saved subgroups. Define one in Subgroups first.</p>}
            {subgroups.data?.map((s) => (
              <label key={s.name} className="check" title={s.rule}>
                <input
                  type="checkbox"
                  checked={chosen.includes(s.name)}
                  onChange={(e) => setChosen((c) => (e.target.checked ? [...c, s.name] : c.filter((x) => x !== s.name)))}
                  data-testid={`rank-subgroup-${s.name}`}
                />
                {s.name}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Model</legend>
            <ErrorBox error={models.error} title="Models unavailable" />
            <select value={modelId} onChange={(e) => setModelId(e.target.value)} data-testid="rank-model">
              <option value="">default</option>
              {models.data?.map((m) => (
                <option key={m.id} value={m.id} title={m.description}>
                  {m.name} ({m.outputUnits})
                </option>
              ))}
            </select>
            <label className="check">
              <input type="checkbox" checked={useQuery} onChange={(e) => setUseQuery(e.target.checked)} /> only compounds matching the library query
            </label>
            <label className="check threshold" title="P(response) = probability that the subgroup mean IC50 is below this concentration (default 1 µM, a usual cellular-potency cut for a lead)">
              Response: IC50 &lt;
              <input className="num tiny" inputMode="decimal" value={threshold} placeholder="1" onChange={(e) => setThreshold(e.target.value)} data-testid="rank-threshold" /> µM
            </label>
          </fieldset>
          <fieldset className="weights" data-testid="weights">
            <legend>Desirability weights</legend>
            {WEIGHT_LABELS.map(([k, label, help]) => (
              <label key={k} title={help}>
                {label}
                <input className="num tiny" inputMode="decimal" value={weights[k] ?? ''} placeholder="default" onChange={(e) => setWeights((w) => ({ ...w, [k]: e.target.value }))} data-testid={`weight-${k}`} />
              </label>
            ))}
          </fieldset>
        </div>
        <div className="actions">
          <button type="button" className="primary" disabled={!chosen.length || (jobId !== null && !job.final && !job.error)} onClick={() => void run()} data-testid="rank-run">
            {result ? 'Re-rank' : 'Rank'}
          </button>
          <ErrorBox error={startError} title="Ranking could not start" />
        </div>
        {jobId && (
          <>
            <JobPanel jobId={jobId} progress={job.progress} final={job.final} label="Screen" unit="predictions" />
            <ErrorBox error={job.error ?? (job.final?.error ? new Error(job.final.error.message) : null)} title="Ranking failed" />
          </>
        )}
      </div>
      {result && <RankResults result={result} />}
    </section>
  );
}

function RankResults({ result }: { result: ScreenResult }) {
  const { api, navigate, selection, setSelection } = useApp();
  const [subgroup, setSubgroup] = useState(result.subgroups[0]?.rule ?? '');
  const [sort, setSort] = useState<{ column: keyof RankedRow; dir: SortDir } | null>(null);
  useEffect(() => setSubgroup(result.subgroups[0]?.rule ?? ''), [result]);
  const key = JSON.stringify([result.runId, subgroup, sort]);
  const source = useMemo(
    () =>
      new PagedRows<RankedRow>((offset, limit) =>
        api.call('screen.results', { runId: result.runId, subgroup, offset, limit, ...(sort ? { sort } : {}) }),
      ),
    [api, key],
  );
  useEffect(() => {
    if (!subgroup) return;
    source.start();
    return () => source.dispose();
  }, [source, subgroup]);
  useSyncExternalStore(source.subscribe, source.getVersion);
  const intervals = hasIntervals(source);
  const onRange = useCallback((a: number, b: number) => source.request(a, b), [source]);
  const onSort = (c: string) => {
    const col = c as keyof RankedRow;
    setSort((s) => (s?.column !== col ? { column: col, dir: 'asc' } : s.dir === 'asc' ? { column: col, dir: 'desc' } : null));
  };

  // Column widths are kept in the project, as the library grid's; rank, structure and name stay when scrolling sideways.
  const [widths, setWidths] = useProjectSetting(api, 'grid.ranking.widths', readWidths);
  const columns: Column<RankedRow>[] = [
    { key: 'rank', label: 'Rank', width: 60, align: 'right', frozen: true, render: (r) => <span className="num">{r.rank}</span> },
    { key: '_structure', label: 'Structure', width: 150, sortable: false, frozen: true, resizable: false, cellClassName: 'structure-cell', render: (r) => <Structure smiles={r.smiles} width={142} height={74} /> },
    { key: 'name', label: 'Name', width: 140, frozen: true, render: (r) => <span className="ellipsis" title={compoundTitle(r, r.compoundId)} data-testid="ranked-name">{compoundLabel(r, r.compoundId)}</span> },
    {
      key: 'pIc50', label: 'pIC50', unit: 'log10', title: 'pIC50 = −log10(IC50 / M), mean over member cell lines: 6 = 1 µM, 9 = 1 nM; higher is more potent', width: 104, align: 'right',
      render: (r) => <span className="num" data-testid="rank-pic50">{formatLog10(r.pIc50)}</span>,
    },
    {
      key: 'lnIc50', label: 'IC50', title: 'predicted IC50 with its interval, in nM below 1 µM, µM up to 1000 µM, mM above', width: 164, align: 'right',
      render: (r) => (
        <span className="num" title={`ln IC50 (µM) ${formatNumber(r.lnIc50)} [${formatNumber(r.lnIc50Low)}, ${formatNumber(r.lnIc50High)}]`} data-testid="rank-ic50">
          {formatIc50(r.lnIc50)} <span className="muted small block">[{formatIc50(r.lnIc50Low)} – {formatIc50(r.lnIc50High)}]</span>
        </span>
      ),
    },
    {
      key: 'spread', label: 'SD', unit: 'log10', title: 'standard deviation of the predicted log10 IC50 across member cell lines (0.3 ≈ a 2-fold spread)', width: 90, align: 'right',
      render: (r) => <span className="num">{formatLog10(lnToLog10(r.spread))}</span>,
    },
    {
      key: 'selectivity', label: 'Selectivity', unit: 'Δ pIC50', title: `subgroup pIC50 minus complement pIC50, with its 90 % interval; > 0: more potent in the subgroup. ${DELTA_PIC50_HELP}`, width: 180, align: 'right',
      render: (r) => {
        const w = selectivityWords({ selectivity: lnToLog10(r.selectivity), selectivityLow: lnToLog10(r.selectivityLow), selectivityHigh: lnToLog10(r.selectivityHigh) });
        return (
          <span className={`num ${w.null ? 'muted' : r.selectivity > 0 ? 'pos' : r.selectivity < 0 ? 'neg' : ''}`} data-testid="rank-selectivity" title={`${formatNumber(r.selectivity)} in ln units`}>
            {w.value}
            {w.verdict && <span className="small block">{w.verdict}</span>}
          </span>
        );
      },
    },
    {
      key: 'pResponse', label: pResponseLabel(result.responseThresholdUm), title: `probability that the subgroup mean IC50 is below ${formatNumber(result.responseThresholdUm ?? 1, 3)} µM, from the model's out-of-fold errors in the row's evidence tier`, width: 140, align: 'right',
      render: (r) => <span className="num" data-testid="rank-p-response">{formatProbability(r.pResponse)}</span>,
    },
    {
      key: 'evidence', label: 'Evidence', title: 'what the genotype dependence of the prediction rests on', width: 150, sortable: false,
      render: (r) => <span className={`small ${r.evidence === 'structure' ? 'muted' : ''}`} title={evidenceText(r.evidence)} data-testid="rank-evidence">{EVIDENCE_SHORT[r.evidence] ?? EVIDENCE_SHORT.structure}</span>,
    },
    {
      key: 'domainScore', label: 'Domain', unit: 'Tanimoto', title: 'highest Tanimoto similarity (0..1) to a training drug; flagged when outside the applicability domain', width: 128, align: 'right',
      render: (r) => (
        <span className="num">
          {formatColumn('domainScore', r.domainScore)} {r.inDomain ? <span className="flag-yes">in</span> : <span className="flag-no" title="outside the applicability domain">out</span>}
        </span>
      ),
    },
    { key: 'qed', label: 'QED', title: 'quantitative estimate of drug-likeness, 0..1', width: 64, align: 'right', render: (r) => <span className="num">{formatColumn('QED', r.qed)}</span> },
    { key: 'alerts', label: 'Alerts', width: 120, sortable: false, render: (r) => <span className={`ellipsis small ${r.alerts.length ? 'flag-no' : 'muted'}`} title={r.alerts.length ? `PAINS: ${r.alerts.join(', ')}` : 'no PAINS alert'}>{r.alerts.length ? r.alerts.join(', ') : 'none'}</span> },
    { key: 'desirability', label: 'Desirability', title: 'weighted desirability, 0..1', width: 100, align: 'right', render: (r) => <span className="num strong">{formatColumn('desirability', r.desirability)}</span> },
  ];

  const preview = result.subgroups.find((s) => s.rule === subgroup);
  return (
    <>
      <div className="panel" data-testid="rank-results">
        <div className="panel-head">
          <h3>Run #{result.runId}</h3>
          <span className="muted small">
            model {result.modelId} ({result.modelSha256.slice(0, 10)}…) · {formatInt(result.compounds)} compounds · {result.seconds.toFixed(1)} s
          </span>
          <RunPicker />
          {selection.size > 0 && <AddToHitList ids={[...selection]} testId="rank-add-to-list" />}
        </div>
        <div className="tabs" role="tablist">
          {result.subgroups.map((s) => (
            <button type="button" role="tab" aria-selected={s.rule === subgroup} className={s.rule === subgroup ? 'active' : ''} key={s.rule} onClick={() => setSubgroup(s.rule)} title={s.normalised} data-testid="rank-tab">
              {s.rule} <span className="muted small">n={s.members}</span>
            </button>
          ))}
        </div>
        <label className="compact" data-testid="rank-by-label">
          Rank by{' '}
          <select
            value={RANK_BY.find((b) => b.sort?.column === sort?.column && b.sort?.dir === sort?.dir)?.value ?? (sort ? '' : 'rank')}
            onChange={(e) => setSort(RANK_BY.find((b) => b.value === e.target.value)?.sort ?? null)}
            data-testid="rank-by"
            title="the lower bound ranks by the selectivity the model is confident of"
          >
            {RANK_BY.map((b) => {
              // Ranking by the interval's lower bound means nothing for a run without intervals (it would be the rank order).
              const off = b.value === 'selectivityLow' && !intervals;
              return (
                <option key={b.value} value={b.value} disabled={off}>
                  {b.label}
                  {off ? ' (this run has no selectivity interval)' : ''}
                </option>
              );
            })}
            {sort && !RANK_BY.some((b) => b.sort?.column === sort.column && b.sort?.dir === sort.dir) && <option value="">column sort ({String(sort.column)} {sort.dir})</option>}
          </select>
        </label>
        <EvidenceSummary rows={source} />
        {preview?.warning && <div className="warn small">{preview.warning}</div>}
        <ErrorBox error={source.error} title="Results unavailable" />
        <div className="rank-grid">
          <VirtualTable
            testId="rank-grid"
            columns={withWidths(columns, widths)}
            onColumnResize={(k, w) => setWidths((cur) => ({ ...cur, [k]: w }))}
            rowCount={source.total ?? 0}
            rowHeight={78}
            getRow={(i) => source.row(i)}
            rowKey={(r, i) => (r ? r.compoundId : `i${i}`)}
            onRange={onRange}
            sort={sort}
            onSort={onSort}
            isSelected={(r) => selection.has(r.compoundId)}
            onRowClick={(r) => setSelection([r.compoundId])}
            onRowOpen={(r) => navigate({ view: 'compound', id: r.compoundId })}
            resetKey={key}
          />
        </div>
      </div>
      <Heatmap runId={result.runId} />
    </>
  );
}

/** Does any of the first loaded rows carry a selectivity interval (a run's rows all do, or none)? */
function hasIntervals(rows: PagedRows<RankedRow>): boolean {
  for (let i = 0; i < Math.min(rows.total ?? 0, 200); i++) {
    const r = rows.row(i);
    if (r && r.selectivityLow != null && r.selectivityHigh != null) return true;
  }
  return false;
}

/** How many of the loaded rows rest on each kind of evidence: says at a glance how much of the ranking is structure only. */
function EvidenceSummary({ rows }: { rows: PagedRows<RankedRow> }) {
  const counts = new Map<string, number>();
  let n = 0;
  for (let i = 0; i < Math.min(rows.total ?? 0, 200); i++) {
    const r = rows.row(i);
    if (!r) continue;
    n++;
    counts.set(r.evidence, (counts.get(r.evidence) ?? 0) + 1);
  }
  if (!n) return null;
  return (
    <span className="muted small" data-testid="evidence-summary">
      {' '}evidence of the first {n}: {(['target', 'pathway', 'neighbour', 'structure'] as const).filter((t) => counts.get(t)).map((t) => `${EVIDENCE_SHORT[t]} ${counts.get(t)}`).join(' · ')}
    </span>
  );
}

/** What each heatmap metric shows, in which unit, and which way is better. */
const METRICS = {
  desirability: { label: 'desirability', unit: '0..1', help: 'weighted desirability, 0..1; higher is better' },
  lnIc50: { label: 'pIC50', unit: 'log10', help: 'predicted pIC50 = −log10(IC50 / M), subgroup mean: 6 = 1 µM, 9 = 1 nM; higher is more potent' },
  selectivity: { label: 'selectivity', unit: 'Δ pIC50', help: `subgroup pIC50 minus complement pIC50. ${DELTA_PIC50_HELP}` },
} as const;
type Metric = keyof typeof METRICS;

/** A heatmap value as shown: the engine's ln IC50 (µM) as pIC50, its selectivity (Δ ln) as Δ pIC50. */
function shownValue(metric: Metric, v: number | null): number | null {
  if (v === null) return null;
  return metric === 'lnIc50' ? pIc50FromLn(v) : metric === 'selectivity' ? lnToLog10(v) : v;
}

function formatMetric(metric: Metric, v: number | null): string {
  return v === null ? '' : metric === 'desirability' ? formatColumn('desirability', v) : formatLog10(v);
}

/** Compounds × subgroups as a coloured table (values shown, colour only as a guide), with a colour legend. */
function Heatmap({ runId }: { runId: number }) {
  const { navigate } = useApp();
  const [metric, setMetric] = useState<Metric>('desirability');
  const [limit, setLimit] = useState(25);
  const hm = useCall('screen.heatmap', { runId, limit, metric });
  const d = hm.data;
  const shown = d ? d.values.map((row) => row.map((v) => shownValue(metric, v))) : [];
  const flat = shown.flat().filter((v): v is number => v !== null);
  const lo = flat.length ? Math.min(...flat) : 0;
  const hi = flat.length ? Math.max(...flat) : 1;
  const m = METRICS[metric];
  // "Better" is always the stronger colour (every shown metric is higher = better).
  const shade = (v: number | null) => {
    if (v === null) return undefined;
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `color-mix(in srgb, var(--heat) ${Math.round(8 + 80 * t)}%, transparent)`;
  };
  return (
    <div className="panel" data-testid="heatmap">
      <div className="panel-head">
        <h3>Heatmap</h3>
        <select value={metric} onChange={(e) => setMetric(e.target.value as Metric)} aria-label="Metric" data-testid="heatmap-metric">
          {(Object.keys(METRICS) as Metric[]).map((k) => (
            <option key={k} value={k} title={METRICS[k].help}>
              {METRICS[k].label} ({METRICS[k].unit})
            </option>
          ))}
        </select>
        <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} aria-label="Compounds">
          {[25, 50, 100].map((n) => (
            <option key={n} value={n}>
              top {n}
            </option>
          ))}
        </select>
        {flat.length > 0 && (
          <span className="heat-legend" data-testid="heatmap-legend" title={m.help}>
            <span className="num">{formatMetric(metric, lo)}</span>
            <span className="heat-ramp" aria-hidden="true" />
            <span className="num">{formatMetric(metric, hi)}</span>
            <span className="unit">{m.label} ({m.unit}); stronger colour = better</span>
          </span>
        )}
      </div>
      <ErrorBox error={hm.error} title="Heatmap unavailable" />
      {d && (
        <div className="heatmap-wrap">
          <table className="heatmap dense">
            <thead>
              <tr>
                <th>Compound</th>
                {d.subgroups.map((s) => (
                  <th key={s} title={`${s} · ${m.label} (${m.unit})`}>
                    {s} <span className="unit">{m.unit}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {d.compounds.map((c, i) => (
                <tr key={c.id}>
                  <th>
                    <button type="button" className="link" onClick={() => navigate({ view: 'compound', id: c.id })} title={compoundTitle(c, c.id)} data-testid="heatmap-compound">
                      {compoundLabel(c, c.id)}
                    </button>
                  </th>
                  {shown[i].map((v, j) => (
                    <td key={j} className="num" style={{ background: shade(v) }} title={`${compoundTitle(c, c.id)} · ${d.subgroups[j]} · ${m.label} ${formatMetric(metric, v)} ${m.unit}`}>
                      {formatMetric(metric, v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
