/**
 * The library grid: pages through compounds.query (never the whole library), any column, sort by
 * header, filter builder, SMARTS substructure search with highlighted matches, similarity search.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent, type MouseEvent } from 'react';
import type { ColumnInfo, CompoundQuery, CompoundRow } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { PagedRows } from '../lib/paged-rows.js';
import { formatInt, formatNumber, formatValue } from '../lib/format.js';
import { VirtualTable, type Column } from '../components/VirtualTable.js';
import { Structure } from '../components/Structure.js';
import { FilterBuilder } from '../components/FilterBuilder.js';
import { ColumnChooser } from '../components/ColumnChooser.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { MechanismEditor } from '../components/MechanismEditor.js';
import { HitListBar } from '../components/HitLists.js';
import { DrawCompoundButton, DrawQueryButton } from '../components/DrawStructure.js';

/** Rows reachable by scrolling before paging: keeps the scroll height well under browser limits. */
const WINDOW = 100_000;
const DEFAULT_COLUMNS = ['display_name', 'id', 'name', 'amw', 'CrippenClogP', 'tpsa', 'NumHBD', 'NumHBA', 'NumRotatableBonds', 'QED', 'lipinski_pass', 'targets', 'target_pathway'];
const STORE_KEY = 'strata.library.columns.v2';
/** Column choices saved before display names existed: read once, with the Name column put first. */
const OLD_STORE_KEY = 'strata.library.columns';
const OP_TEXT: Record<string, string> = { '>=': '≥', '<=': '≤', '!=': '≠', 'is-null': 'is empty', 'not-null': 'has a value' };

function cellValue(row: CompoundRow, key: string): number | string | boolean | null {
  if (key === 'id') return row.id;
  if (key === 'name') return row.name;
  if (key === 'display_name') return row.displayName;
  if (key === 'smiles') return row.smiles;
  return row.values[key] ?? null;
}

function widthFor(c: ColumnInfo): number {
  if (c.key === 'smiles') return 280;
  if (c.key === 'name' || c.key === 'display_name') return 160;
  if (c.key === 'id') return 72;
  if (c.type === 'text') return 150;
  return Math.max(84, Math.min(150, c.label.length * 8 + 24));
}

export function LibraryView() {
  const { api, query, setQuery, selection, setSelection, navigate, dataVersion } = useApp();
  const cols = useCall('compounds.columns', {}, [dataVersion]);
  const columns = useMemo(() => cols.data ?? [], [cols.data]);
  const [visible, setVisibleState] = useState<string[] | null>(() => {
    try {
      const saved = localStorage.getItem(STORE_KEY);
      const v = JSON.parse(saved ?? localStorage.getItem(OLD_STORE_KEY) ?? 'null');
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
      return saved === null && !v.includes('display_name') ? ['display_name', ...v] : v;
    } catch {
      return null;
    }
  });
  const setVisible = (keys: string[]) => {
    setVisibleState(keys);
    localStorage.setItem(STORE_KEY, JSON.stringify(keys));
  };
  const known = useMemo(() => new Set(columns.map((c) => c.key)), [columns]);
  const shownKeys = useMemo(
    () => (visible ?? DEFAULT_COLUMNS).filter((k) => known.has(k)),
    [visible, known],
  );
  const [structures, setStructures] = useState(true);
  const [chooser, setChooser] = useState(false);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [annotating, setAnnotating] = useState(false);
  const [windowStart, setWindowStart] = useState(0);
  const anchor = useRef<number | null>(null);

  const queryKey = JSON.stringify([query, shownKeys, dataVersion]);
  useEffect(() => setWindowStart(0), [queryKey]);
  const source = useMemo(
    () =>
      new PagedRows<CompoundRow>((offset, limit) =>
        api.call('compounds.query', { ...query, offset: windowStart + offset, limit, columns: shownKeys.filter((k) => k !== 'id' && k !== 'name' && k !== 'display_name' && k !== 'smiles') }),
      ),
    // A new source per query/window; shownKeys and query are captured through queryKey.
    [api, queryKey, windowStart],
  );
  // A source lives as long as its query: disposed when replaced, not when the columns are fetched again
  // (after an annotation, say), which would leave the current query's source dead and the grid loading forever.
  useEffect(() => () => source.dispose(), [source]);
  useEffect(() => {
    if (cols.data) source.start();
  }, [source, cols.data]);
  useSyncExternalStore(source.subscribe, source.getVersion);
  // Keep showing the previous result (dimmed) until the new query answers: a slow search must not
  // blank the table, and the scroll position resets only when the new rows arrive.
  const [shown, setShown] = useState<{ rows: PagedRows<CompoundRow>; key: string }>({ rows: source, key: `${queryKey}|${windowStart}` });
  useEffect(() => {
    const key = `${queryKey}|${windowStart}`;
    const adopt = () => {
      if (source.total !== null || source.error) setShown((cur) => (cur.rows === source ? cur : { rows: source, key }));
    };
    adopt();
    return source.subscribe(adopt);
  }, [source, queryKey, windowStart]);
  const view = shown.rows;
  const stale = view !== source;
  const total = view.total;
  const rowCount = total === null ? 0 : Math.max(0, Math.min(WINDOW, total - windowStart));

  const onRange = useCallback((a: number, b: number) => source.request(a, b), [source]);
  const onSort = (key: string) => {
    const cur = query.sort?.column === key ? query.sort.dir : null;
    const next: CompoundQuery = { ...query };
    if (cur === null) next.sort = { column: key, dir: key === 'QED' ? 'desc' : 'asc' };
    else if (cur === (key === 'QED' ? 'desc' : 'asc')) next.sort = { column: key, dir: cur === 'asc' ? 'desc' : 'asc' };
    else delete next.sort;
    setQuery(next);
  };
  const onRowClick = (row: CompoundRow, index: number, e: MouseEvent) => {
    if (e.shiftKey && anchor.current !== null) {
      const [a, b] = anchor.current < index ? [anchor.current, index] : [index, anchor.current];
      const ids = new Set(e.ctrlKey || e.metaKey ? selection : []);
      for (let i = a; i <= b; i++) {
        const r = view.row(i);
        if (r) ids.add(r.id);
      }
      setSelection(ids);
      return;
    }
    anchor.current = index;
    if (e.ctrlKey || e.metaKey) {
      const ids = new Set(selection);
      if (ids.has(row.id)) ids.delete(row.id);
      else ids.add(row.id);
      setSelection(ids);
    } else setSelection([row.id]);
  };

  const byKey = new Map(columns.map((c) => [c.key, c]));
  const rowHeight = structures ? 86 : 28;
  const gridColumns: Column<CompoundRow>[] = [];
  if (structures) {
    gridColumns.push({
      key: '_structure', label: 'Structure', width: 158, sortable: false,
      render: (r) => <Structure smiles={r.smiles} highlight={query.substructure} width={150} height={82} />,
    });
  }
  if (query.similarTo) {
    gridColumns.push({
      key: '_similarity', label: 'Similarity', title: 'Tanimoto similarity (Morgan r=2, 2048 bits)', width: 90, align: 'right', sortable: false,
      render: (r) => <span className="num">{r.similarity === undefined ? '' : r.similarity.toFixed(3)}</span>,
    });
  }
  for (const key of shownKeys) {
    const c = byKey.get(key);
    if (!c) continue;
    gridColumns.push({
      key, label: c.label, unit: c.unit, title: c.description ? `${c.label}: ${c.description}` : c.label, width: widthFor(c),
      align: c.type === 'number' ? 'right' : c.type === 'boolean' ? 'center' : 'left',
      render: (r) => {
        const v = cellValue(r, key);
        if (c.type === 'boolean') return <span className={v === true ? 'flag-yes' : v === false ? 'flag-no' : ''}>{formatValue(v, 'boolean')}</span>;
        if (key === 'smiles' || c.type === 'text') return <span className="ellipsis" title={v === null ? '' : String(v)}>{formatValue(v)}</span>;
        return <span className="num">{formatValue(v)}</span>;
      },
    });
  }
  if (shownKeys.includes('name')) {
    const i = gridColumns.findIndex((c) => c.key === 'name');
    const base = gridColumns[i];
    gridColumns[i] = { ...base, render: (r) => (
      <span className="ellipsis" title={r.name ?? ''}>
        {r.name ?? <span className="muted">—</span>}
        {r.duplicateOf !== null && <span className="badge" title={`duplicate of #${r.duplicateOf}`}>dup</span>}
      </span>
    ) };
  }

  if (shownKeys.includes('display_name')) {
    const i = gridColumns.findIndex((c) => c.key === 'display_name');
    gridColumns[i] = { ...gridColumns[i], render: (r) => (
      <span className="ellipsis compound-name" title={r.displayName ?? ''} data-testid="grid-name">
        {r.displayName ?? <span className="muted">—</span>}
      </span>
    ) };
  }

  const firstSelected = selection.size ? [...selection][0] : null;
  return (
    <section className="view library-view" data-testid="view-library">
      <div className="toolbar">
        <QuickSearch query={query} setQuery={setQuery} />
        <SearchBar query={query} setQuery={setQuery} selectedId={firstSelected} />
        <div className="toolbar-group">
          <button type="button" data-testid="toggle-filters" className={filtersOpen ? 'active' : ''} onClick={() => setFiltersOpen((v) => !v)}>
            Filters{query.filters?.length ? ` (${query.filters.length})` : ''}
          </button>
          <div className="popover-anchor">
            <button type="button" data-testid="open-columns" onClick={() => setChooser((v) => !v)}>
              Columns ({shownKeys.length})
            </button>
            {chooser && <ColumnChooser columns={columns} visible={shownKeys} onChange={setVisible} onClose={() => setChooser(false)} />}
          </div>
          <label className="check">
            <input type="checkbox" checked={structures} onChange={(e) => setStructures(e.target.checked)} data-testid="toggle-structures" /> Structures
          </label>
          <label className="check" title="Show records whose structure repeats an earlier one">
            <input
              type="checkbox"
              checked={query.includeDuplicates === true}
              onChange={(e) => setQuery({ ...query, includeDuplicates: e.target.checked || undefined })}
              data-testid="toggle-duplicates"
            />{' '}
            Duplicates
          </label>
        </div>
      </div>
      {filtersOpen && <FilterBuilder columns={columns} filters={query.filters ?? []} onApply={(filters) => setQuery({ ...query, filters: filters.length ? filters : undefined })} />}
      <HitListBar />
      <ActiveQuery query={query} setQuery={setQuery} columns={columns} />
      <ErrorBox error={cols.error ?? source.error} title="Query failed" />
      {stale && !source.error && (
        <div className="searching" data-testid="searching" aria-live="polite">
          {query.substructure || query.similarTo ? 'Searching every compound…' : 'Querying…'} the table shows the previous result until the answer arrives.
        </div>
      )}
      {total !== null && total > WINDOW && (
        <div className="pager" data-testid="pager">
          <button type="button" disabled={windowStart === 0} onClick={() => setWindowStart(Math.max(0, windowStart - WINDOW))}>
            ‹ Previous {formatInt(WINDOW)}
          </button>
          <span>
            rows {formatInt(windowStart + 1)}–{formatInt(Math.min(total, windowStart + WINDOW))} of {formatInt(total)}
          </span>
          <button type="button" disabled={windowStart + WINDOW >= total} onClick={() => setWindowStart(windowStart + WINDOW)}>
            Next {formatInt(WINDOW)} ›
          </button>
        </div>
      )}
      <VirtualTable
        testId="library-grid"
        columns={gridColumns}
        rowCount={rowCount}
        rowHeight={rowHeight}
        getRow={(i) => view.row(i)}
        rowKey={(r, i) => (r ? r.id : `i${i}`)}
        onRange={onRange}
        sort={query.sort ?? null}
        onSort={onSort}
        isSelected={(r) => selection.has(r.id)}
        onRowClick={onRowClick}
        onRowOpen={(r) => navigate({ view: 'compound', id: r.id })}
        resetKey={shown.key}
        className={stale ? 'stale' : undefined}
        emptyText={total === 0 ? (Object.keys(query).length ? 'No compound matches this query.' : 'The library is empty. Import a file first.') : undefined}
      />
      <div className="statusbar" data-testid="library-status">
        <span data-testid="library-total">{source.error ? 'no result' : total === null || stale ? 'Loading…' : `${formatInt(total)} compound${total === 1 ? '' : 's'}`}</span>
        {view.elapsedMs !== null && <span className="muted" data-testid="library-elapsed">query {formatNumber(view.elapsedMs, 3)} ms</span>}
        <span data-testid="selection-count">{selection.size ? `${formatInt(selection.size)} selected` : 'click a row to select; double-click to open'}</span>
        {selection.size > 0 && (
          <>
            <button type="button" className="link" onClick={() => firstSelected !== null && navigate({ view: 'compound', id: firstSelected })} data-testid="open-selected">
              Open
            </button>
            <button type="button" className="link" onClick={() => setAnnotating((v) => !v)} data-testid="annotate-selected">
              Declare mechanism…
            </button>
            <button type="button" className="link" onClick={() => setSelection([])}>
              Clear selection
            </button>
          </>
        )}
      </div>
      {annotating && selection.size > 0 && (
        <div className="selection-annotate" data-testid="selection-annotate">
          <span className="muted small">Declare targets and pathway for the {formatInt(selection.size)} selected compound{selection.size === 1 ? '' : 's'} (each with its duplicates):</span>
          <MechanismEditor ids={[...selection]} compact />
        </div>
      )}
    </section>
  );
}

/** One box over name, external id, targets and every text property (compounds.query `search`), applied as one types. */
function QuickSearch(props: { query: CompoundQuery; setQuery(q: CompoundQuery): void }) {
  const { query, setQuery } = props;
  const [text, setText] = useState(query.search ?? '');
  useEffect(() => setText(query.search ?? ''), [query.search]);
  const latest = useRef(query);
  latest.current = query;
  const apply = useCallback((t: string) => {
    const q = { ...latest.current };
    if (t.trim()) q.search = t.trim();
    else delete q.search;
    if ((q.search ?? '') !== (latest.current.search ?? '')) setQuery(q);
  }, [setQuery]);
  useEffect(() => {
    const h = setTimeout(() => apply(text), 300);
    return () => clearTimeout(h);
  }, [text, apply]);
  return (
    <form className="toolbar-group" role="search" onSubmit={(e) => { e.preventDefault(); apply(text); }}>
      <input type="search" placeholder="Search name, ID, text fields" value={text} onChange={(e) => setText(e.target.value)} data-testid="quick-search" aria-label="Quick search by name, id or text field" />
    </form>
  );
}

function SearchBar(props: { query: CompoundQuery; setQuery(q: CompoundQuery): void; selectedId: number | null }) {
  const { query, setQuery } = props;
  const [smarts, setSmarts] = useState(query.substructure ?? '');
  const [simSmiles, setSimSmiles] = useState(query.similarTo?.smiles ?? '');
  const [threshold, setThreshold] = useState(String(query.similarTo?.threshold ?? 0.5));
  useEffect(() => setSmarts(query.substructure ?? ''), [query.substructure]);
  const thr = Math.min(1, Math.max(0, Number(threshold) || 0));
  const runSub = (e: FormEvent) => {
    e.preventDefault();
    const s = smarts.trim();
    const next = { ...query };
    if (s) next.substructure = s;
    else delete next.substructure;
    setQuery(next);
  };
  const runSim = (e: FormEvent) => {
    e.preventDefault();
    const s = simSmiles.trim();
    const next = { ...query };
    if (s) next.similarTo = { smiles: s, threshold: thr };
    else delete next.similarTo;
    setQuery(next);
  };
  return (
    <>
      <form className="toolbar-group" onSubmit={runSub}>
        <input className="mono wide" placeholder="Substructure (SMARTS or SMILES)" value={smarts} onChange={(e) => setSmarts(e.target.value)} data-testid="smarts-input" aria-label="Substructure SMARTS" />
        <DrawQueryButton value={smarts} output="smarts" title="Draw a substructure query" testId="draw-smarts" onUse={setSmarts} />
        <button type="submit" data-testid="smarts-search">Search</button>
      </form>
      <form className="toolbar-group" onSubmit={runSim}>
        <input className="mono" placeholder="Similar to SMILES" value={simSmiles} onChange={(e) => setSimSmiles(e.target.value)} data-testid="similarity-input" aria-label="Similarity query SMILES" />
        <DrawQueryButton value={simSmiles} output="smiles" title="Draw a similarity query" testId="draw-similarity" onUse={setSimSmiles} />
        <label className="compact" title="Minimum Tanimoto similarity">
          ≥ <input className="num tiny" value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="similarity-threshold" aria-label="Similarity threshold" />
        </label>
        <button type="submit" data-testid="similarity-search">Similar</button>
        <button
          type="button"
          disabled={props.selectedId === null}
          title="Find compounds similar to the selected one"
          data-testid="similar-to-selected"
          onClick={() => props.selectedId !== null && setQuery({ ...query, similarTo: { compoundId: props.selectedId, threshold: thr } })}
        >
          to selected
        </button>
      </form>
      <div className="toolbar-group">
        <DrawCompoundButton />
      </div>
    </>
  );
}

function ActiveQuery(props: { query: CompoundQuery; setQuery(q: CompoundQuery): void; columns: ColumnInfo[] }) {
  const { query, setQuery } = props;
  const label = (k: string) => props.columns.find((c) => c.key === k)?.label ?? k;
  const chips: { key: string; text: string; clear(): void }[] = [];
  if (query.tag) chips.push({ key: 'tag', text: `tagged “${query.tag}”`, clear: () => setQuery({ ...query, tag: undefined }) });
  if (query.search) chips.push({ key: 'search', text: `matches “${query.search}”`, clear: () => setQuery({ ...query, search: undefined }) });
  if (query.substructure) chips.push({ key: 'sub', text: `contains ${query.substructure}`, clear: () => setQuery({ ...query, substructure: undefined }) });
  if (query.similarTo) {
    const target = query.similarTo.smiles ?? `#${query.similarTo.compoundId}`;
    chips.push({ key: 'sim', text: `Tanimoto ≥ ${query.similarTo.threshold} to ${target}`, clear: () => setQuery({ ...query, similarTo: undefined }) });
  }
  for (const [i, f] of (query.filters ?? []).entries()) {
    const v = f.op === 'between' ? `${f.value}–${f.value2}` : f.value === undefined ? '' : typeof f.value === 'boolean' ? (f.value ? 'yes' : 'no') : String(f.value);
    chips.push({
      key: `f${i}`,
      text: `${label(f.column)} ${OP_TEXT[f.op] ?? f.op} ${v}`.trim(),
      clear: () => {
        const filters = (query.filters ?? []).filter((_, j) => j !== i);
        setQuery({ ...query, filters: filters.length ? filters : undefined });
      },
    });
  }
  if (query.sort) chips.push({ key: 'sort', text: `sorted by ${label(query.sort.column)} ${query.sort.dir === 'asc' ? '▲' : '▼'}`, clear: () => setQuery({ ...query, sort: undefined }) });
  if (!chips.length) return null;
  return (
    <div className="chips" data-testid="active-query">
      {chips.map((c) => (
        <span className="chip" key={c.key} data-testid={`chip-${c.key}`}>
          {c.text}
          <button type="button" aria-label={`Remove ${c.text}`} onClick={c.clear}>
            ×
          </button>
        </span>
      ))}
      <button type="button" className="link" onClick={() => setQuery({})} data-testid="clear-query">
        Clear all
      </button>
    </div>
  );
}
