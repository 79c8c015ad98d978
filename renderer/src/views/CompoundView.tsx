/**
 * One compound: structure, identifiers and provenance, descriptors with units, flags, source
 * fields, and, after a ranking run, its predictions across subgroups and an explanation.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ColumnInfo } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useRunInfo } from '../lib/persist.js';
import { CompoundWork, RecordFields } from '../components/HitLists.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { Structure } from '../components/Structure.js';
import { basename, DELTA_PIC50_HELP, formatColumn, formatFixed, formatIc50, formatInt, formatLog10, formatNumber, formatProbability, formatValue, lnToLog10, pIc50FromLn, pResponseLabel } from '../lib/format.js';
import { MechanismEditor } from '../components/MechanismEditor.js';
import { evidenceText, selectivityWords } from '../lib/mechanism.js';
import { MeasuredPanel } from '../components/MeasuredPanel.js';
import { PanelPredict } from '../components/PanelPredict.js';

export function CompoundView({ id }: { id: number | null }) {
  const { navigate, runId, setQuery, query, dataVersion } = useApp();
  const detail = useCall('compounds.get', id === null ? null : { id }, [dataVersion]);
  const cols = useCall('compounds.columns', {});
  const byKey = useMemo(() => new Map<string, ColumnInfo>((cols.data ?? []).map((c) => [c.key, c])), [cols.data]);
  if (id === null) {
    return (
      <section className="view" data-testid="view-compound">
        <h2>Compound</h2>
        <p className="muted">Select a compound in the library (double-click a row) to see its details.</p>
      </section>
    );
  }
  const d = detail.data;
  return (
    <section className="view compound-view" data-testid="view-compound">
      <h2>
        {d?.displayName ? <span data-testid="compound-name">{d.displayName}</span> : <>Compound #{id}</>}{' '}
        {d?.displayName && <span className="muted">· #{id}</span>} {d?.name && <span className="muted">· {d.name}</span>}
      </h2>
      <ErrorBox error={detail.error} title="Could not load the compound" />
      {d && (
        <>
          <div className="compound-top">
            <div className="panel structure-panel">
              <Structure smiles={d.smiles} svg={d.svg} width={320} height={240} />
            </div>
            <div className="panel">
              <dl className="facts" data-testid="compound-facts">
                <dt>SMILES</dt>
                <dd className="mono break" data-testid="compound-smiles">{d.smiles}</dd>
                <dt title="molecular formula of the standardised parent (Hill order)">Formula</dt>
                <dd data-testid="compound-formula">{d.formula ? <Formula text={d.formula} /> : <span className="muted">not available</span>}</dd>
                <dt title="standard InChIKey of the standardised parent (RDKit's InChI)">InChIKey</dt>
                <dd className="mono break" data-testid="compound-inchikey" title={d.inchi ?? undefined}>{d.inchiKey ?? <span className="muted">not available</span>}</dd>
                {d.originalSmiles !== d.smiles && (
                  <>
                    <dt>As read</dt>
                    <dd className="mono break">{d.originalSmiles}</dd>
                  </>
                )}
                <dt>Standardisation</dt>
                <dd>{d.standardisation.length ? d.standardisation.join('; ') : 'none needed'}</dd>
                <dt>Source</dt>
                <dd>
                  <span className="mono" title={d.source.file}>{basename(d.source.file)}</span>, record {formatInt(d.source.record)}
                  {d.source.line !== null && `, line ${formatInt(d.source.line)}`}
                </dd>
                {d.duplicateOf !== null && (
                  <>
                    <dt>Duplicate of</dt>
                    <dd>
                      <button type="button" className="link" onClick={() => navigate({ view: 'compound', id: d.duplicateOf! })}>
                        #{d.duplicateOf}
                      </button>
                    </dd>
                  </>
                )}
                {d.duplicates.length > 0 && (
                  <>
                    <dt>Duplicates</dt>
                    <dd>
                      {d.duplicates.slice(0, 20).map((x) => (
                        <button type="button" className="link" key={x} onClick={() => navigate({ view: 'compound', id: x })}>
                          #{x}
                        </button>
                      ))}
                      {d.duplicates.length > 20 && ` … ${d.duplicates.length - 20} more`}
                    </dd>
                  </>
                )}
                <dt>Flags</dt>
                <dd data-testid="flags">
                  {Object.entries(d.flags).map(([k, v]) => (
                    <span key={k} className={`flag-chip ${v === true ? 'flag-yes' : v === false ? 'flag-no' : ''}`} title={byKey.get(k)?.description}>
                      {byKey.get(k)?.label ?? k}: {formatValue(v, 'boolean')}
                    </span>
                  ))}
                </dd>
                <dt>Mechanism</dt>
                <dd data-testid="compound-mechanism">
                  {d.targets || d.targetPathway ? (
                    <>
                      <span data-testid="compound-targets">{d.targets ?? 'no targets declared'}</span>
                      {' · '}
                      <span data-testid="compound-pathway">{d.targetPathway ?? 'no pathway declared'}</span>
                      {d.unknownTargets.length > 0 && <div className="warn small">No training drug has {d.unknownTargets.join(', ')}: no genotype information from {d.unknownTargets.length === 1 ? 'it' : 'them'}.</div>}
                      {d.pathwayKnown === false && <div className="warn small">“{d.targetPathway}” is not a pathway of the training drugs.</div>}
                    </>
                  ) : (
                    <span className="muted">none declared: predictions rest on the structure alone</span>
                  )}
                  {d.duplicateOf !== null && <div className="muted small">declared for the structure (#{d.duplicateOf} and its duplicates)</div>}
                </dd>
                <dt>Structural alerts</dt>
                <dd data-testid="alerts">
                  {d.alerts === null
                    ? 'not computed yet'
                    : d.alerts.length === 0
                      ? 'none (PAINS)'
                      : d.alerts.map((a) => (
                          <span key={`${a.set}:${a.id}`} className="flag-chip flag-no" title={`${a.set} substructure filter`}>
                            {a.set}: {a.id}
                          </span>
                        ))}
                </dd>
              </dl>
              <div className="actions">
                <button
                  type="button"
                  onClick={() => {
                    setQuery({ ...query, similarTo: { compoundId: d.id, threshold: 0.5 } });
                    navigate({ view: 'library' });
                  }}
                  data-testid="find-similar"
                >
                  Find similar compounds
                </button>
              </div>
            </div>
          </div>
          <CompoundWork d={d} />
          <div className="panel" data-testid="mechanism-panel">
            <h3>Declared mechanism</h3>
            <MechanismEditor ids={[d.id]} targets={d.targets} pathway={d.targetPathway} />
          </div>
          {runId !== null && <Predictions compoundId={d.id} runId={runId} />}
          <MeasuredPanel compoundId={d.id} />
          <PanelPredict compoundId={d.id} />
          <div className="compound-tables">
            <div className="panel">
              <h3>Descriptors</h3>
              <table className="dense kv" data-testid="descriptors">
                <tbody>
                  {Object.entries(d.descriptors).map(([k, v]) => {
                    const c = byKey.get(k);
                    return (
                      <tr key={k} title={c?.description ? `${c.label}: ${c.description}` : k} data-key={k}>
                        <th>{c?.label ?? k}</th>
                        <td className="num">{formatColumn(k, v)}</td>
                        <td className="unit">{c?.unit ?? ''}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <div className="panel">
              <h3>Source fields{d.duplicates.length > 0 || d.duplicateOf !== null ? ' of every record of this structure' : ''}</h3>
              <RecordFields d={d} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}

/**
 * Predictions of the last run for this compound in each of its subgroups (screen.compound), with
 * intervals, and the explanation from screen.explain.
 */
function Predictions({ compoundId, runId }: { compoundId: number; runId: number }) {
  const { api } = useApp();
  const run = useRunInfo(api, runId);
  const subgroups = run?.runId === runId ? run.subgroups.map((s) => s.rule) : [];
  const first = subgroups[0] ?? '';
  const [subgroup, setSubgroup] = useState(first);
  useEffect(() => setSubgroup(first), [first]);
  const preds = useCall('screen.compound', { runId, compoundId });
  const explain = useCall('screen.explain', subgroup ? { runId, compoundId, subgroup } : null);
  return (
    <div className="panel" data-testid="predictions">
      <h3>Predictions (run #{runId})</h3>
      <ErrorBox error={preds.error} title="Predictions unavailable" />
      {preds.data && preds.data.length > 0 && (
        <>
          <BarChart labels={preds.data.map((r) => r.subgroup)} values={preds.data.map((r) => pIc50FromLn(r.lnIc50))} unit="predicted pIC50 (−log10 IC50 / M; higher = more potent)" digits={2} />
          <table className="dense" data-testid="prediction-table">
            <thead>
              <tr>
                <th>Subgroup</th>
                <th className="num">Rank</th>
                <th className="num" title="predicted IC50, mean over the subgroup's cell lines (nM below 1 µM)">IC50</th>
                <th className="num" title="interval of the predicted IC50">interval</th>
                <th className="num" title="−log10(IC50 / M): 6 = 1 µM, 9 = 1 nM">pIC50 <span className="unit">log10</span></th>
                <th className="num" title={`subgroup pIC50 minus complement pIC50, with its 90 % interval. ${DELTA_PIC50_HELP}`}>Selectivity <span className="unit">Δ pIC50</span> [90 % interval]</th>
                <th className="num" title="probability that the subgroup mean IC50 is below the run's threshold">{pResponseLabel(run?.runId === runId ? run.responseThresholdUm : null)}</th>
                <th>Evidence</th>
                <th className="num" title="highest Tanimoto similarity to a training drug (0..1)">Domain <span className="unit">Tanimoto</span></th>
              </tr>
            </thead>
            <tbody>
              {preds.data.map((r) => (
                <tr key={r.subgroup}>
                  <td>{r.subgroup}</td>
                  <td className="num">{formatInt(r.rank)}</td>
                  <td className="num nowrap" title={`ln IC50 (µM) ${formatNumber(r.lnIc50)}`} data-testid="prediction-ic50">{formatIc50(r.lnIc50)}</td>
                  <td className="num nowrap">[{formatIc50(r.lnIc50Low)} – {formatIc50(r.lnIc50High)}]</td>
                  <td className="num">{formatLog10(r.pIc50)}</td>
                  <SelectivityCell r={r} />
                  <td className="num" data-testid="prediction-p-response">{formatProbability(r.pResponse)}</td>
                  <td className="small" title={evidenceText(r.evidence)} data-testid="prediction-evidence">{evidenceText(r.evidence)}</td>
                  <td className="num">{formatColumn('domainScore', r.domainScore)}{r.inDomain ? '' : ' (out)'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {preds.data && preds.data.length === 0 && <p className="muted">This compound is beyond the rows stored for run #{runId}; see Ranking for the subgroups' top compounds.</p>}
      {subgroups.length > 0 && (
        <>
          <h3>
            Explanation for{' '}
            <select value={subgroup} onChange={(e) => setSubgroup(e.target.value)} data-testid="explain-subgroup">
              {subgroups.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </h3>
          <ErrorBox error={explain.error} title="Explanation unavailable" />
          {explain.data && (
            <div className="explain" data-testid="explanation">
              <Structure smiles="" svg={explain.data.svg} width={300} height={220} />
              <div>
                <h4>Nearest training drugs</h4>
                <table className="dense">
                  <thead>
                    <tr>
                      <th>Drug</th>
                      <th className="num" title="Tanimoto similarity of Morgan fingerprints (radius 2), 0..1">Tanimoto</th>
                      <th className="num" title="geometric mean of the drug's measured IC50 (GDSC) over the subgroup's cell lines">Measured IC50</th>
                      <th className="num" title="−log10(measured IC50 / M)">pIC50 <span className="unit">log10</span></th>
                      <th className="num" title="member cell lines with a measurement">Cell lines</th>
                    </tr>
                  </thead>
                  <tbody>
                    {explain.data.nearest.map((n) => (
                      <tr key={n.drug}>
                        <td>{n.drug}</td>
                        <td className="num">{formatColumn('tanimoto', n.similarity)}</td>
                        <td className="num nowrap" title={n.measuredLnIc50 === null ? undefined : `ln IC50 (µM) ${formatNumber(n.measuredLnIc50)}`}>{formatIc50(n.measuredLnIc50)}</td>
                        <td className="num">{n.measuredLnIc50 === null ? '' : formatLog10(pIc50FromLn(n.measuredLnIc50))}</td>
                        <td className="num">{formatInt(n.members)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <h4>Genotype features</h4>
                <table className="dense" data-testid="genotype-effects">
                  <thead>
                    <tr>
                      <th title="genotype feature of the reference panel, common in this subgroup">Feature</th>
                      <th
                        className="num nowrap"
                        title={`change of the predicted pIC50 over the member cell lines carrying the feature, with the feature vs with it switched off. ${DELTA_PIC50_HELP} Positive: the feature makes the compound more potent.`}
                      >
                        Effect on pIC50 <span className="unit">Δ log10</span>
                      </th>
                      <th className="num nowrap" title="the same effect as a fold change of the IC50">IC50 fold</th>
                    </tr>
                  </thead>
                  <tbody>
                    {explain.data.genotype.map((g) => {
                      // The engine gives ln IC50 with minus without the feature (< 0 = more potent); shown as Δ pIC50 (> 0 = more potent).
                      const d = -lnToLog10(g.effect);
                      return (
                        <tr key={g.feature}>
                          <td className="mono">{g.feature}</td>
                          <td className={`num nowrap ${d > 0 ? 'pos' : d < 0 ? 'neg' : ''}`} data-testid="genotype-effect">{d > 0 ? '+' : ''}{formatLog10(d)}</td>
                          <td className="num muted nowrap">{foldText(g.effect)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** A formula with its counts as subscripts and the charge as superscript ("C23H18ClF2N3O3S", "C2H3O2-"). */
function Formula({ text }: { text: string }) {
  const m = /^(.*?)([+-]\d*)?$/.exec(text)!;
  const parts = m[1].split(/(\d+)/).filter(Boolean);
  return (
    <span className="formula" aria-label={text}>
      {parts.map((p, i) => (/^\d+$/.test(p) ? <sub key={i}>{p}</sub> : <span key={i}>{p}</span>))}
      {m[2] && <sup>{m[2].length > 1 ? `${m[2].slice(1)}${m[2][0]}` : m[2]}</sup>}
    </span>
  );
}

/** An ln IC50 difference (with minus without) as a fold change of the IC50: "3.2× lower", "1.5× higher". */
function foldText(dLn: number): string {
  const f = Math.exp(Math.abs(dLn));
  if (!Number.isFinite(f) || f < 1.005) return '–';
  return `${formatFixed(f, 2)}× ${dLn < 0 ? 'lower' : 'higher'}`;
}

/** Selectivity in Δ pIC50 (log10): the stored value is complement minus subgroup mean ln IC50, divided by ln 10. */
function SelectivityCell({ r }: { r: { selectivity: number; selectivityLow: number | null; selectivityHigh: number | null } }) {
  const w = selectivityWords({ selectivity: lnToLog10(r.selectivity), selectivityLow: lnToLog10(r.selectivityLow), selectivityHigh: lnToLog10(r.selectivityHigh) });
  return (
    <td className="num" data-testid="prediction-selectivity" title={`${formatNumber(r.selectivity)} in ln units. ${DELTA_PIC50_HELP}`}>
      {w.value}
      {w.verdict && <div className={`small ${w.null ? 'muted' : ''}`}>{w.verdict}</div>}
    </td>
  );
}

/** Horizontal bars in plain SVG (no plotting library needed for a handful of values). */
export function BarChart({ labels, values, unit, digits }: { labels: string[]; values: (number | null)[]; unit: string; digits?: number }) {
  const nums = values.filter((v): v is number => v !== null);
  const lo = Math.min(0, ...nums);
  const hi = Math.max(0, ...nums);
  const W = 560;
  const labelW = 180;
  const rowH = 22;
  const scale = (v: number) => labelW + ((v - lo) / (hi - lo || 1)) * (W - labelW - 60);
  return (
    <svg className="barchart" width={W} height={labels.length * rowH + 24} role="img" aria-label={`bar chart of ${unit}`} data-testid="prediction-chart">
      {labels.map((l, i) => {
        const v = values[i];
        const y = i * rowH + 4;
        return (
          <g key={l}>
            <text x={labelW - 6} y={y + 14} textAnchor="end" className="bar-label">
              {l.length > 26 ? `${l.slice(0, 25)}…` : l}
            </text>
            {v !== null && <rect x={Math.min(scale(0), scale(v))} y={y + 3} width={Math.abs(scale(v) - scale(0))} height={rowH - 8} className="bar" />}
            <text x={v === null ? labelW : Math.max(scale(0), scale(v)) + 4} y={y + 14} className="bar-value">
              {v === null ? 'n/a' : digits === undefined ? formatNumber(v) : formatFixed(v, digits)}
            </text>
          </g>
        );
      })}
      <line x1={scale(0)} x2={scale(0)} y1={0} y2={labels.length * rowH + 4} className="axis" />
      <text x={W - 4} y={labels.length * rowH + 20} textAnchor="end" className="bar-label">
        {unit}
      </text>
    </svg>
  );
}
