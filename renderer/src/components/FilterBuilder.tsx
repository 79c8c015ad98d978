/** Builds `Filter[]` for compounds.query: ranges on numbers, yes/no on flags, text matches. */
import { useEffect, useState } from 'react';
import type { ColumnInfo, Filter } from '../../../core/api/contract.js';

type Op = Filter['op'];
const NUMBER_OPS: Op[] = ['between', '>=', '<=', '>', '<', '=', '!=', 'is-null', 'not-null'];
const TEXT_OPS: Op[] = ['contains', '=', '!=', 'is-null', 'not-null'];
const BOOL_OPS: Op[] = ['=', 'is-null', 'not-null'];
const OP_LABEL: Record<Op, string> = {
  between: 'between', '>=': '≥', '<=': '≤', '>': '>', '<': '<', '=': '=', '!=': '≠', 'is-null': 'is empty', 'not-null': 'has a value', contains: 'contains',
};

interface Draft {
  column: string;
  op: Op;
  value: string;
  value2: string;
}

function opsFor(c: ColumnInfo | undefined): Op[] {
  if (!c) return NUMBER_OPS;
  return c.type === 'number' ? NUMBER_OPS : c.type === 'boolean' ? BOOL_OPS : TEXT_OPS;
}

function toDraft(f: Filter): Draft {
  return { column: f.column, op: f.op, value: f.value === undefined ? '' : String(f.value), value2: f.value2 === undefined ? '' : String(f.value2) };
}

/** Turn drafts into filters; returns an error message for the first incomplete one. */
export function draftsToFilters(drafts: Draft[], columns: ColumnInfo[]): { filters: Filter[]; error: string | null } {
  const filters: Filter[] = [];
  for (const d of drafts) {
    const c = columns.find((x) => x.key === d.column);
    const label = c?.label ?? d.column;
    if (d.op === 'is-null' || d.op === 'not-null') {
      filters.push({ column: d.column, op: d.op });
      continue;
    }
    if (c?.type === 'boolean') {
      filters.push({ column: d.column, op: d.op, value: d.value !== 'false' });
      continue;
    }
    if (c?.type === 'number') {
      const v = Number(d.value);
      if (d.value.trim() === '' || !Number.isFinite(v)) return { filters, error: `${label}: enter a number` };
      if (d.op === 'between') {
        const v2 = Number(d.value2);
        if (d.value2.trim() === '' || !Number.isFinite(v2)) return { filters, error: `${label}: enter the upper bound` };
        if (v2 < v) return { filters, error: `${label}: the upper bound is below the lower bound` };
        filters.push({ column: d.column, op: 'between', value: v, value2: v2 });
      } else filters.push({ column: d.column, op: d.op, value: v });
      continue;
    }
    if (d.value === '') return { filters, error: `${label}: enter text to match` };
    filters.push({ column: d.column, op: d.op, value: d.value });
  }
  return { filters, error: null };
}

export function FilterBuilder(props: { columns: ColumnInfo[]; filters: Filter[]; onApply(filters: Filter[]): void }) {
  const { columns } = props;
  const [drafts, setDrafts] = useState<Draft[]>(() => props.filters.map(toDraft));
  const [error, setError] = useState<string | null>(null);
  // Reset the drafts only when the applied filters really change: a parent re-render that passes an equal
  // (or a fresh empty) array must not wipe rows the user is still editing.
  const appliedKey = JSON.stringify(props.filters);
  useEffect(() => setDrafts((JSON.parse(appliedKey) as Filter[]).map(toDraft)), [appliedKey]);

  const filterable = columns.filter((c) => c.key !== 'smiles');
  const update = (i: number, patch: Partial<Draft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const add = () => {
    const c = filterable.find((x) => x.kind === 'descriptor') ?? filterable[0];
    if (c) setDrafts((ds) => [...ds, { column: c.key, op: opsFor(c)[0], value: c.type === 'boolean' ? 'true' : '', value2: '' }]);
  };
  const apply = (ds: Draft[]) => {
    const { filters, error: err } = draftsToFilters(ds, columns);
    setError(err);
    if (!err) props.onApply(filters);
  };
  const kinds: [ColumnInfo['kind'], string][] = [['core', 'Compound'], ['descriptor', 'Descriptors'], ['flag', 'Flags'], ['property', 'Source fields'], ['prediction', 'Predictions']];

  return (
    <form
      className="filter-builder"
      data-testid="filter-builder"
      onSubmit={(e) => {
        e.preventDefault();
        apply(drafts);
      }}
    >
      {drafts.length === 0 && <div className="muted">No filters. Add one to narrow the library.</div>}
      {drafts.map((d, i) => {
        const c = columns.find((x) => x.key === d.column);
        const ops = opsFor(c);
        return (
          <div className="filter-row" key={i} data-testid="filter-row">
            <select
              aria-label="Column"
              data-testid="filter-column"
              value={d.column}
              onChange={(e) => {
                const nc = columns.find((x) => x.key === e.target.value);
                update(i, { column: e.target.value, op: opsFor(nc)[0], value: nc?.type === 'boolean' ? 'true' : '', value2: '' });
              }}
            >
              {kinds.map(([k, label]) => {
                const group = filterable.filter((x) => x.kind === k);
                return group.length ? (
                  <optgroup key={k} label={label}>
                    {group.map((x) => (
                      <option key={x.key} value={x.key}>
                        {x.label}
                        {x.unit ? ` (${x.unit})` : ''}
                      </option>
                    ))}
                  </optgroup>
                ) : null;
              })}
            </select>
            <select aria-label="Operator" data-testid="filter-op" value={d.op} onChange={(e) => update(i, { op: e.target.value as Op })}>
              {ops.map((o) => (
                <option key={o} value={o}>
                  {OP_LABEL[o]}
                </option>
              ))}
            </select>
            {d.op !== 'is-null' && d.op !== 'not-null' &&
              (c?.type === 'boolean' ? (
                <select aria-label="Value" data-testid="filter-value" value={d.value} onChange={(e) => update(i, { value: e.target.value })}>
                  <option value="true">yes</option>
                  <option value="false">no</option>
                </select>
              ) : (
                <input
                  aria-label={d.op === 'between' ? 'From' : 'Value'}
                  data-testid="filter-value"
                  className={c?.type === 'number' ? 'num' : ''}
                  inputMode={c?.type === 'number' ? 'decimal' : undefined}
                  value={d.value}
                  placeholder={d.op === 'between' ? 'from' : 'value'}
                  onChange={(e) => update(i, { value: e.target.value })}
                />
              ))}
            {d.op === 'between' && (
              <>
                <span className="muted">and</span>
                <input aria-label="To" data-testid="filter-value2" className="num" inputMode="decimal" value={d.value2} placeholder="to" onChange={(e) => update(i, { value2: e.target.value })} />
              </>
            )}
            {c?.unit && <span className="unit">{c.unit}</span>}
            <button type="button" className="icon" aria-label="Remove filter" data-testid="filter-remove" onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}>
              ×
            </button>
          </div>
        );
      })}
      <div className="filter-actions">
        <button type="button" data-testid="filter-add" onClick={add} disabled={filterable.length === 0} title={filterable.length === 0 ? 'Loading the columns…' : undefined}>
          + Add filter
        </button>
        <button type="submit" className="primary" data-testid="filter-apply">
          Apply filters
        </button>
        <button
          type="button"
          data-testid="filter-clear"
          onClick={() => {
            setDrafts([]);
            apply([]);
          }}
        >
          Clear
        </button>
        {error && <span className="error-inline" data-testid="filter-error">{error}</span>}
      </div>
    </form>
  );
}
