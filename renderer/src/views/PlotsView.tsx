/**
 * Plots of the library query: scatter (WebGL) of any two numeric columns coloured by a third, or a
 * histogram. Lasso/box selection selects rows (seen in Library and Export); selecting rows in the
 * grid highlights their points. Up to 100,000 points are fetched (the first of the query's order).
 */
import { useMemo, useState } from 'react';
import type { ColumnInfo, CompoundRow } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { AddToHitList } from '../components/HitLists.js';
import { useCall } from '../hooks.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { PlotFrame } from '../components/PlotFrame.js';
import type { PlotSpec } from '../lib/plot-protocol.js';
import { compoundLabel, formatInt, formatNumber } from '../lib/format.js';

const CORE_NUMERIC = new Set(['id', 'heavy_atoms', 'source_id', 'record_no']);

function numeric(row: CompoundRow, key: string): number | null {
  const v = key === 'id' ? row.id : row.values[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
}

const label = (c: ColumnInfo | undefined, key: string) => (c ? `${c.label}${c.unit ? ` (${c.unit})` : ''}` : key);

export function PlotsView() {
  const { query, selection, setSelection, navigate, dataVersion } = useApp();
  const cols = useCall('compounds.columns', {}, [dataVersion]);
  const numericCols = useMemo(() => (cols.data ?? []).filter((c) => c.type === 'number' || c.type === 'boolean'), [cols.data]);
  const has = (k: string) => numericCols.some((c) => c.key === k);
  const [kind, setKind] = useState<'scatter' | 'histogram'>('scatter');
  const [x, setX] = useState('amw');
  const [y, setY] = useState('CrippenClogP');
  const [color, setColor] = useState('QED');
  const [bins, setBins] = useState(40);
  const [limit, setLimit] = useState(20_000);
  // Only the plotted columns travel; id, name and SMILES come with every row.
  const fetchCols = [...new Set((kind === 'scatter' ? [x, y, color] : [x]).filter((k) => k && !CORE_NUMERIC.has(k)))];
  const input = cols.data && has(x) && (kind === 'histogram' || has(y)) ? { ...query, offset: 0, limit, columns: fetchCols } : null;
  const data = useCall('compounds.query', input, [dataVersion]);
  const byKey = useMemo(() => new Map(numericCols.map((c) => [c.key, c])), [numericCols]);

  const spec = useMemo<PlotSpec | null>(() => {
    const rows = data.data?.rows;
    if (!rows) return null;
    const ids = rows.map((r) => r.id);
    if (kind === 'histogram') return { kind, ids, x: rows.map((r) => numeric(r, x)), xTitle: label(byKey.get(x), x), bins };
    return {
      kind,
      ids,
      x: rows.map((r) => numeric(r, x)),
      y: rows.map((r) => numeric(r, y)),
      color: color ? rows.map((r) => numeric(r, color)) : null,
      labels: rows.map((r) => compoundLabel(r, r.id)),
      xTitle: label(byKey.get(x), x),
      yTitle: label(byKey.get(y), y),
      colorTitle: color ? label(byKey.get(color), color) : null,
    };
  }, [data.data, kind, x, y, color, bins, byKey]);
  const selected = useMemo(() => [...selection], [selection]);
  const rowById = useMemo(() => new Map((data.data?.rows ?? []).map((r) => [r.id, r])), [data.data]);
  const selectedRows = selected.map((id) => rowById.get(id)).filter((r): r is CompoundRow => r !== undefined);

  const select = (k: string, v: string, set: (s: string) => void, allowNone = false, testId?: string) => (
    <label>
      {k}
      <select value={v} onChange={(e) => set(e.target.value)} data-testid={testId}>
        {allowNone && <option value="">none</option>}
        {numericCols.map((c) => (
          <option key={c.key} value={c.key}>
            {label(c, c.key)}
          </option>
        ))}
      </select>
    </label>
  );
  const total = data.data?.total;
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
            <select value={limit} onChange={(e) => setLimit(Number(e.target.value))} data-testid="plot-limit">
              {[5_000, 20_000, 50_000, 100_000].map((n) => (
                <option key={n} value={n}>
                  up to {formatInt(n)}
                </option>
              ))}
            </select>
          </label>
        </div>
        <span className="muted small" data-testid="plot-count">
          {total !== undefined && data.data && `${formatInt(data.data.rows.length)} of ${formatInt(total)} compounds in the library query${data.data.rows.length < total ? ` (first ${formatInt(data.data.rows.length)} in the current sort order)` : ''}`}
        </span>
      </div>
      <ErrorBox error={cols.error ?? data.error} title="Plot data" />
      <PlotFrame spec={spec} selected={selected} onSelect={(ids) => setSelection(ids)} testId="plot" />
      <div className="panel plot-selection" data-testid="plot-selection">
        <div className="panel-head">
          <h3>Selection</h3>
          <span className="muted small" data-testid="plot-selected-count">
            {formatInt(selection.size)} selected{selection.size ? ` (lasso or box-select points; click a point to pick one)` : ' — draw a lasso on the plot'}
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
        {selectedRows.length > 0 && (
          <table className="dense">
            <thead>
              <tr>
                <th className="num">ID</th>
                <th>Name</th>
                <th className="num">{label(byKey.get(x), x)}</th>
                {kind === 'scatter' && <th className="num">{label(byKey.get(y), y)}</th>}
                <th />
              </tr>
            </thead>
            <tbody>
              {selectedRows.slice(0, 50).map((r) => (
                <tr key={r.id}>
                  <td className="num">{r.id}</td>
                  <td>{compoundLabel(r, r.id)}</td>
                  <td className="num">{formatNumber(numeric(r, x))}</td>
                  {kind === 'scatter' && <td className="num">{formatNumber(numeric(r, y))}</td>}
                  <td>
                    <button type="button" className="link" onClick={() => navigate({ view: 'compound', id: r.id })}>
                      Open
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {selectedRows.length > 50 && <p className="muted small">… and {formatInt(selectedRows.length - 50)} more.</p>}
      </div>
    </section>
  );
}
