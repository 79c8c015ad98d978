/**
 * Plots of the library query: scatter (WebGL) of any two numeric columns coloured by a third, or a
 * histogram. The points are the query's whole filtered set (`plots.points`), evenly sampled by the engine
 * above the point budget — never the first rows of a sort. A screening run adds its per-subgroup
 * predictions as columns. Hovering a point shows its structure; lasso/box selection selects rows (seen in
 * Library and Export) and keeps the colour scale; the plot exports as PNG or SVG.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ColumnInfo, PlotPoints } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { AddToHitList, RunPicker } from '../components/HitLists.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { PlotFrame, type PlotFrameHandle, type PlotHover } from '../components/PlotFrame.js';
import { Structure } from '../components/Structure.js';
import type { PlotSpec } from '../lib/plot-protocol.js';
import { formatColumn, formatInt } from '../lib/format.js';
import { Lru } from '../lib/lru.js';

const label = (c: ColumnInfo | undefined, key: string) => (c ? `${c.label}${c.unit ? ` (${c.unit})` : ''}` : key);
const BUDGETS = [1_000, 5_000, 20_000, 50_000, 100_000];

/** SMILES of recently hovered compounds, by data version and id (an import or another project starts afresh). */
const HOVER_SMILES = new Lru<string, string>(2000);

/** The structure card next to the pointer: depiction, name, id and the plotted values. */
function HoverCard(props: { hover: PlotHover; name: string | null; values: { key: string; title: string; value: number | null }[] }) {
  const { api, query, dataVersion } = useApp();
  const { id, clientX, clientY } = props.hover;
  const cacheKey = `${dataVersion}:${id}`;
  const [smiles, setSmiles] = useState<{ id: number; smiles: string | null; error?: string } | null>(() => {
    const hit = HOVER_SMILES.get(cacheKey);
    return hit === undefined ? null : { id, smiles: hit };
  });
  useEffect(() => {
    // Sweeping over a dense plot passes many points: each structure is asked for once, then kept.
    const hit = HOVER_SMILES.get(cacheKey);
    if (hit !== undefined) {
      setSmiles({ id, smiles: hit });
      return;
    }
    let live = true;
    api.call('compounds.query', { ids: [id], includeDuplicates: query.includeDuplicates, offset: 0, limit: 1, columns: [] }).then(
      (p) => {
        const s = p.rows[0]?.smiles ?? null;
        if (s !== null) HOVER_SMILES.set(cacheKey, s);
        if (live) setSmiles({ id, smiles: s, error: s === null ? 'not in the library any more' : undefined });
      },
      (e: Error) => live && setSmiles({ id, smiles: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [api, id, cacheKey, query.includeDuplicates]);
  const W = 260;
  const H = 290;
  const left = clientX + 18 + W > window.innerWidth ? Math.max(4, clientX - 18 - W) : clientX + 18;
  const top = Math.max(4, Math.min(clientY - 20, window.innerHeight - H - 4));
  return (
    <div className="plot-hover-card" style={{ left, top, width: W }} data-testid="plot-hover-card" data-id={id}>
      {smiles?.id === id && smiles.smiles !== null ? (
        <Structure smiles={smiles.smiles} width={W - 20} height={170} />
      ) : smiles?.id === id ? (
        <div className="muted small">No structure: {smiles.error}</div>
      ) : (
        <div className="structure structure-loading" style={{ width: W - 20, height: 170 }} />
      )}
      <div className="plot-hover-name" data-testid="plot-hover-name">{props.name || `#${id}`}</div>
      <div className="muted small">ID {id}</div>
      <table className="dense">
        <tbody>
          {props.values.map((v) => (
            <tr key={v.title}>
              <th>{v.title}</th>
              <td className="num">{v.value === null ? '—' : formatColumn(v.key, v.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PlotsView() {
  const { query, selection, setSelection, navigate, dataVersion, runId } = useApp();
  const cols = useCall('plots.columns', runId === null ? {} : { runId }, [dataVersion]);
  const numericCols = cols.data?.columns ?? [];
  const byKey = useMemo(() => new Map(numericCols.map((c) => [c.key, c])), [numericCols]);
  const has = (k: string) => byKey.has(k);
  const [kind, setKind] = useState<'scatter' | 'histogram'>('scatter');
  const [x, setX] = useState('amw');
  const [y, setY] = useState('CrippenClogP');
  const [color, setColor] = useState('QED');
  const [bins, setBins] = useState(40);
  const [budget, setBudget] = useState(20_000);
  const [hover, setHover] = useState<PlotHover | null>(null);
  const frame = useRef<PlotFrameHandle>(null);
  useEffect(() => {
    if (!hover) return;
    // Moves over the frame go to the frame: one seen by this page means the pointer has left the plot.
    const off = () => setHover(null);
    window.addEventListener('mousemove', off);
    return () => window.removeEventListener('mousemove', off);
  }, [hover]);
  const plotted = (kind === 'scatter' ? [x, y, color] : [x]).filter((k) => k && has(k));
  const fetchCols = [...new Set(plotted)];
  const ready = cols.data && has(x) && (kind === 'histogram' || has(y));
  const runForPoints = cols.data?.runId ?? undefined;
  const input = ready ? { ...query, columns: fetchCols, budget, ...(runForPoints !== undefined && fetchCols.some((k) => k.startsWith('pred:')) ? { runId: runForPoints } : {}) } : null;
  const data = useCall('plots.points', input, [dataVersion]);
  const points: PlotPoints | null = data.data;

  const column = (key: string): (number | null)[] | null => points?.columns.find((c) => c.key === key)?.values ?? null;
  const spec = useMemo<PlotSpec | null>(() => {
    if (!points) return null;
    const get = (key: string) => points.columns.find((c) => c.key === key)?.values ?? points.ids.map(() => null);
    if (kind === 'histogram') return { kind, ids: points.ids, x: get(x), xTitle: label(byKey.get(x), x), bins };
    return {
      kind,
      ids: points.ids,
      x: get(x),
      y: get(y),
      color: color ? get(color) : null,
      xTitle: label(byKey.get(x), x),
      yTitle: label(byKey.get(y), y),
      colorTitle: color ? label(byKey.get(color), color) : null,
    };
    // Only the answer and the choices shape the spec; byKey follows the columns.
  }, [points, kind, x, y, color, bins, byKey]);
  const selected = useMemo(() => [...selection], [selection]);
  const indexById = useMemo(() => new Map((points?.ids ?? []).map((id, i) => [id, i])), [points]);
  const selectedPlotted = selected.filter((id) => indexById.has(id));
  const shownKeys = kind === 'scatter' ? [x, y, ...(color ? [color] : [])] : [x];
  const valuesAt = (i: number) => shownKeys.map((k) => ({ key: k, title: label(byKey.get(k), k), value: column(k)?.[i] ?? null }));
  // Points without a value on an axis are not drawn: say how many.
  const missing = useMemo(() => {
    if (!points) return 0;
    const xs = points.columns.find((c) => c.key === x)?.values ?? [];
    const ys = kind === 'scatter' ? points.columns.find((c) => c.key === y)?.values ?? [] : null;
    let n = 0;
    for (let i = 0; i < points.ids.length; i++) if (xs[i] == null || (ys && ys[i] == null)) n++;
    return n;
  }, [points, x, y, kind]);

  const libraryCols = numericCols.filter((c) => c.kind !== 'prediction');
  const predictionCols = numericCols.filter((c) => c.kind === 'prediction');
  const options = (list: ColumnInfo[]) => list.map((c) => (
    <option key={c.key} value={c.key} title={c.description}>
      {label(c, c.key)}
    </option>
  ));
  const select = (k: string, v: string, set: (s: string) => void, allowNone = false, testId?: string) => (
    <label>
      {k}
      <select value={v} onChange={(e) => set(e.target.value)} data-testid={testId}>
        {allowNone && <option value="">none</option>}
        <optgroup label="Library">{options(libraryCols)}</optgroup>
        {predictionCols.length > 0 && <optgroup label={`Predictions (run #${cols.data?.runId})`}>{options(predictionCols)}</optgroup>}
      </select>
    </label>
  );
  const exportName = `strata-${kind}-${kind === 'scatter' ? `${x}-vs-${y}` : x}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  const hoverIndex = hover ? indexById.get(hover.id) : undefined;
  return (
    <section className="view plots-view" data-testid="view-plots">
      <div className="toolbar">
        <div className="toolbar-group">
          <label>
            Plot
            <select value={kind} onChange={(e) => setKind(e.target.value as typeof kind)} data-testid="plot-kind">
              <option value="scatter">scatter</option>
              <option value="histogram">histogram</option>
            </select>
          </label>
          {select('X', x, setX, false, 'plot-x')}
          {kind === 'scatter' && select('Y', y, setY, false, 'plot-y')}
          {kind === 'scatter' && select('Colour', color, setColor, true, 'plot-color')}
          {kind === 'histogram' && (
            <label>
              Bins
              <input className="num tiny" type="number" min={5} max={200} value={bins} onChange={(e) => setBins(Math.max(5, Math.min(200, Number(e.target.value) || 40)))} />
            </label>
          )}
          <label>
            Points
            <select value={budget} onChange={(e) => setBudget(Number(e.target.value))} data-testid="plot-limit">
              {BUDGETS.map((n) => (
                <option key={n} value={n}>
                  up to {formatInt(n)}
                </option>
              ))}
            </select>
          </label>
          <RunPicker />
        </div>
        <div className="toolbar-group">
          <button type="button" onClick={() => frame.current?.exportImage('png', exportName)} disabled={!spec} data-testid="plot-export-png" title="Download the plot as a PNG image (2× pixels)">
            PNG
          </button>
          <button type="button" onClick={() => frame.current?.exportImage('svg', exportName)} disabled={!spec} data-testid="plot-export-svg" title="Download the plot as SVG (axes and text as vectors)">
            SVG
          </button>
        </div>
      </div>
      <div className="muted small" data-testid="plot-count" data-total={points?.total ?? ''} data-sampled={points?.sampled ?? ''} title={points?.sampling}>
        {points && (points.sampled < points.total
          ? `Showing ${formatInt(points.sampled)} of ${formatInt(points.total)} compounds in the library query (evenly sampled by id)`
          : `Showing all ${formatInt(points.total)} compounds in the library query`)}
        {points && missing > 0 && ` · ${formatInt(missing)} without a value ${kind === 'scatter' ? 'on an axis' : 'for X'} not drawn`}
        {points && fetchCols.some((k) => k.startsWith('pred:')) && ` · predictions of run #${points.runId} (stored for its top-ranked compounds per subgroup)`}
      </div>
      <ErrorBox error={cols.error ?? data.error} title="Plot data" />
      <PlotFrame ref={frame} spec={spec} selected={selected} onSelect={(ids) => setSelection(ids)} onHover={setHover} testId="plot" />
      {hover && hoverIndex !== undefined && points && <HoverCard hover={hover} name={points.names[hoverIndex]} values={valuesAt(hoverIndex)} />}
      <div className="panel plot-selection" data-testid="plot-selection">
        <div className="panel-head">
          <h3>Selection</h3>
          <span className="muted small" data-testid="plot-selected-count">
            {formatInt(selection.size)} selected{selection.size ? ` (lasso or box-select points; click a point to pick one)` : ' — draw a lasso on the plot'}
            {selection.size > selectedPlotted.length && ` · ${formatInt(selection.size - selectedPlotted.length)} not among the plotted points`}
          </span>
          <div className="spacer" />
          {selection.size > 0 && (
            <>
              <button type="button" onClick={() => navigate({ view: 'export' })}>
                Export selection…
              </button>
              <AddToHitList ids={selected} testId="plot-add-to-list" />
              <button type="button" className="link" onClick={() => setSelection([])}>
                Clear
              </button>
            </>
          )}
        </div>
        {selectedPlotted.length > 0 && points && (
          <table className="dense">
            <thead>
              <tr>
                <th className="num">ID</th>
                <th>Name</th>
                {shownKeys.map((k) => (
                  <th key={k} className="num">{label(byKey.get(k), k)}</th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {selectedPlotted.slice(0, 50).map((id) => {
                const i = indexById.get(id)!;
                return (
                  <tr key={id}>
                    <td className="num">{id}</td>
                    <td>{points.names[i] || `#${id}`}</td>
                    {valuesAt(i).map((v) => (
                      <td key={v.title} className="num">{formatColumn(v.key, v.value)}</td>
                    ))}
                    <td>
                      <button type="button" className="link" onClick={() => navigate({ view: 'compound', id })}>
                        Open
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {selectedPlotted.length > 50 && <p className="muted small">… and {formatInt(selectedPlotted.length - 50)} more.</p>}
      </div>
    </section>
  );
}
