/**
 * The library grid: pages through compounds.query (never the whole library), any column, sort by
 * header, filter builder, SMARTS substructure search with highlighted matches, similarity search.
 * Columns resize and move by their headers; structure and name stay while scrolling sideways; rows come
 * in three sizes (the depiction follows); widths, order, row size and the shown columns are kept in the
 * project (`settings` key `grid.library`). Keyboard: arrows, Page Up/Down, Home/End move the focused row,
 * Enter opens it, Space toggles its selection, Ctrl/Cmd+C copies the selection (or the focused row) as TSV;
 * right click: copy SMILES, open, find similar, add to a hit list.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import type { ColumnInfo, CompoundQuery, CompoundRow, HitList } from '../../../core/api/contract.js';
import { useApp } from '../state.js';
import { useCall } from '../hooks.js';
import { PagedRows } from '../lib/paged-rows.js';
import { formatInt, formatNumber, formatValue } from '../lib/format.js';
import { VirtualTable, type Column, type RowClickEvent } from '../components/VirtualTable.js';
import { ContextMenu, MenuItem } from '../components/ContextMenu.js';
import { readWidths, useProjectSetting } from '../lib/settings.js';
import { copyText, toTsv, type Cell } from '../lib/clipboard.js';
import { addToHitList } from '../lib/hitlists.js';
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
/** Row heights and the structure column's width per row size; the depiction fills the cell. */
export const ROW_SIZES = {
  S: { row: 68, structure: 128, label: 'Small structures' },
  M: { row: 86, structure: 158, label: 'Medium structures' },
  L: { row: 150, structure: 268, label: 'Large structures' },
} as const;
type RowSize = keyof typeof ROW_SIZES;
const TEXT_ROW = 28;
/** Rows copied at most (the page limit of compounds.query). */
const COPY_MAX = 100_000;
/** Keys the grid shows from the row itself rather than from `values`. */
const ROW_KEYS = new Set(['id', 'name', 'display_name', 'smiles']);

/** The grid's settings as stored in the project (`grid.library`); anything unreadable falls back to the default. */
interface GridSettings {
  /** Shown columns in order; null: the browser's last choice, else the default. */
  columns: string[] | null;
  widths: Record<string, number>;
  rowSize: RowSize;
  structures: boolean;
}

function readGridSettings(v: unknown): GridSettings {
  const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const columns = Array.isArray(o.columns) && o.columns.every((x) => typeof x === 'string') ? (o.columns as string[]) : null;
  const widths = readWidths(o.widths);
  const rowSize = typeof o.rowSize === 'string' && o.rowSize in ROW_SIZES ? (o.rowSize as RowSize) : 'M';
  return { columns, widths, rowSize, structures: o.structures !== false };
}

/** The column choice this browser made last (before choices were kept in the project, or for a new project). */
function browserColumns(): string[] | null {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    const v = JSON.parse(saved ?? localStorage.getItem(OLD_STORE_KEY) ?? 'null');
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return null;
    return saved === null && !v.includes('display_name') ? ['display_name', ...v] : v;
  } catch {
    return null;
  }
}

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
  const [grid, setGrid, gridLoaded] = useProjectSetting(api, 'grid.library', readGridSettings);
  const [browserChoice] = useState(browserColumns);
  const visible = grid.columns ?? browserChoice;
  const setVisible = (keys: string[]) => {
    setGrid((g) => ({ ...g, columns: keys }));
    // The browser remembers the choice too: a new project starts from it.
    localStorage.setItem(STORE_KEY, JSON.stringify(keys));
  };
  const known = useMemo(() => new Set(columns.map((c) => c.key)), [columns]);
  const shownKeys = useMemo(
    () => (visible ?? DEFAULT_COLUMNS).filter((k) => known.has(k)),
    [visible, known],
  );
  const structures = grid.structures;
  const setStructures = (on: boolean) => setGrid((g) => ({ ...g, structures: on }));
  const rowSize = grid.rowSize;
  // Another size draws the structures anew at their new size (a width dragged for another size is dropped).
  const setRowSize = (size: RowSize) => setGrid((g) => {
    const { _structure: _dropped, ...widths } = g.widths;
    return { ...g, rowSize: size, widths };
  });
  const [menu, setMenu] = useState<{ row: CompoundRow; at: { x: number; y: number } } | null>(null);
  const [copyNote, setCopyNote] = useState<string | null>(null);
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
  // The first query waits for the project's grid settings (the shown columns), so it is not asked twice.
  useEffect(() => {
    if (cols.data && gridLoaded) source.start();
  }, [source, cols.data, gridLoaded]);
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
  const onRowClick = (row: CompoundRow, index: number, e: RowClickEvent) => {
    const start = anchor.current ?? e.from ?? null;
    if (e.shiftKey && start !== null) {
      anchor.current = start;
      const [a, b] = start < index ? [start, index] : [index, start];
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

  const onRowToggle = (row: CompoundRow, index: number) => {
    anchor.current = index;
    const ids = new Set(selection);
    if (ids.has(row.id)) ids.delete(row.id);
    else ids.add(row.id);
    setSelection(ids);
  };

  const byKey = new Map(columns.map((c) => [c.key, c]));
  const size = ROW_SIZES[rowSize];
  const rowHeight = structures ? size.row : TEXT_ROW;
  // Structure and the first name column stay at the left (the external id when the display name is hidden).
  const nameKey = shownKeys.includes('display_name') ? 'display_name' : shownKeys.includes('name') ? 'name' : null;
  const restKeys = shownKeys.filter((k) => k !== nameKey);
  const gridColumns: Column<CompoundRow>[] = [];
  if (structures) {
    const width = grid.widths._structure ?? size.structure;
    gridColumns.push({
      key: '_structure', label: 'Structure', width, sortable: false, frozen: true, cellClassName: 'structure-cell',
      render: (r) => <Structure smiles={r.smiles} highlight={query.substructure} width={Math.max(50, width - 8)} height={Math.max(50, rowHeight - 4)} />,
    });
  }
  const dataColumn = (key: string): Column<CompoundRow> | null => {
    const c = byKey.get(key);
    if (!c) return null;
    return {
      key, label: c.label, unit: c.unit, title: c.description ? `${c.label}: ${c.description}` : c.label, width: grid.widths[key] ?? widthFor(c),
      align: c.type === 'number' ? 'right' : c.type === 'boolean' ? 'center' : 'left',
      frozen: key === nameKey,
      render: (r) => {
        const v = cellValue(r, key);
        if (c.type === 'boolean') return <span className={v === true ? 'flag-yes' : v === false ? 'flag-no' : ''}>{formatValue(v, 'boolean')}</span>;
        if (key === 'smiles' || c.type === 'text') return <span className="ellipsis" title={v === null ? '' : String(v)}>{formatValue(v)}</span>;
        return <span className="num">{formatValue(v, c.type, key)}</span>;
      },
    };
  };
  const nameColumn = nameKey ? dataColumn(nameKey) : null;
  if (nameColumn) gridColumns.push(nameColumn);
  if (query.similarTo) {
    gridColumns.push({
      key: '_similarity', label: 'Similarity', title: 'Tanimoto similarity (Morgan r=2, 2048 bits)', width: grid.widths._similarity ?? 90, align: 'right', sortable: false, movable: false,
      render: (r) => <span className="num">{r.similarity === undefined ? '' : r.similarity.toFixed(3)}</span>,
    });
  }
  for (const key of restKeys) {
    const col = dataColumn(key);
    if (col) gridColumns.push(col);
  }
  const withRender = (key: string, render: Column<CompoundRow>['render']) => {
    const i = gridColumns.findIndex((c) => c.key === key);
    if (i >= 0) gridColumns[i] = { ...gridColumns[i], render };
  };
  withRender('name', (r) => (
    <span className="ellipsis" title={r.name ?? ''}>
      {r.name ?? <span className="muted">—</span>}
      {r.duplicateOf !== null && <span className="badge" title={`duplicate of #${r.duplicateOf}`}>dup</span>}
    </span>
  ));
  withRender('display_name', (r) => (
    <span className="ellipsis compound-name" title={r.displayName ?? ''} data-testid="grid-name">
      {r.displayName ?? <span className="muted">—</span>}
    </span>
  ));
  const onColumnResize = (key: string, width: number) => setGrid((g) => ({ ...g, widths: { ...g.widths, [key]: width } }));
  // The name column stays first; the others move among themselves.
  const onColumnMove = (key: string, before: string | null) => {
    const rest = restKeys.filter((k) => k !== key);
    const at = before === null ? rest.length : rest.indexOf(before);
    rest.splice(at < 0 ? 0 : at, 0, key);
    setVisible(nameKey ? [nameKey, ...rest] : rest);
  };

  const valueKeys = shownKeys.filter((k) => !ROW_KEYS.has(k));
  /** Rows of these compounds as the grid shows them (its query's order and columns); one loaded row is not asked again. */
  const rowsOf = async (ids: readonly number[], loaded?: CompoundRow): Promise<CompoundRow[]> => {
    if (loaded && ids.length === 1 && ids[0] === loaded.id) return [loaded];
    const part = ids.slice(0, COPY_MAX);
    return (await api.call('compounds.query', { ...query, ids: part, offset: 0, limit: part.length, columns: valueKeys })).rows;
  };
  const copied = async (what: string, n: number, text: string) => {
    setCopyNote(null);
    try {
      await copyText(text);
      setCopyNote(`copied ${formatInt(n)} ${what}`);
    } catch (e) {
      setCopyNote(`copy failed: ${(e as Error).message}`);
    }
  };
  /** The selected rows in grid order (or the focused one): SMILES, id, names, then the shown columns, as TSV. */
  const copyRows = async (focused: number | null) => {
    try {
      const r = focused === null ? undefined : view.row(focused);
      if (!selection.size && !r) return;
      const rows = await rowsOf(selection.size ? [...selection] : [r!.id], r);
      const sim = query.similarTo ? ['similarity'] : [];
      const header = ['smiles', 'id', 'name', 'display_name', ...sim, ...valueKeys];
      const body = rows.map((x): Cell[] => [x.smiles, x.id, x.name, x.displayName, ...(sim.length ? [x.similarity] : []), ...valueKeys.map((k) => x.values[k])]);
      await copied(`row${rows.length === 1 ? '' : 's'} as TSV`, rows.length, toTsv(header, body));
    } catch (e) {
      setCopyNote(`copy failed: ${(e as Error).message}`);
    }
  };
  const copySmiles = async (row: CompoundRow) => {
    try {
      const rows = await rowsOf(menuIds(row), row);
      await copied(rows.length === 1 ? 'SMILES' : 'SMILES (one per line)', rows.length, rows.map((x) => x.smiles).join('\n') + (rows.length > 1 ? '\n' : ''));
    } catch (e) {
      setCopyNote(`copy failed: ${(e as Error).message}`);
    }
  };
  const findSimilar = (row: CompoundRow) => {
    const threshold = query.similarTo?.threshold ?? 0.5;
    setQuery({ ...query, similarTo: { smiles: row.smiles, threshold } });
    setSelection([row.id]);
  };
  const menuIds = (row: CompoundRow) => (selection.has(row.id) ? [...selection] : [row.id]);
  const onRowContextMenu = (row: CompoundRow, index: number, at: { x: number; y: number }) => {
    // A row outside the selection becomes the selection (as in a file manager); inside it, the menu acts on all of it.
    if (!selection.has(row.id)) {
      anchor.current = index;
      setSelection([row.id]);
    }
    setMenu({ row, at });
  };

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
          <span className="segmented" role="radiogroup" aria-label="Row and structure size">
            {(Object.keys(ROW_SIZES) as RowSize[]).map((k) => (
              <button
                key={k}
                type="button"
                role="radio"
                aria-checked={rowSize === k}
                className={rowSize === k ? 'active' : ''}
                disabled={!structures}
                title={`${ROW_SIZES[k].label} (rows ${ROW_SIZES[k].row} px)`}
                onClick={() => setRowSize(k)}
                data-testid={`row-size-${k}`}
              >
                {k}
              </button>
            ))}
          </span>
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
        onRowToggle={onRowToggle}
        onRowFocus={(i) => (anchor.current = i)}
        onCopy={copyRows}
        onRowContextMenu={onRowContextMenu}
        onColumnResize={onColumnResize}
        onColumnMove={onColumnMove}
        resetKey={shown.key}
        className={stale ? 'stale' : undefined}
        emptyText={total === 0 ? (Object.keys(query).length ? 'No compound matches this query.' : 'The library is empty. Import a file first.') : undefined}
      />
      <div className="statusbar" data-testid="library-status">
        <span data-testid="library-total">{source.error ? 'no result' : total === null || stale ? 'Loading…' : `${formatInt(total)} compound${total === 1 ? '' : 's'}`}</span>
        {view.elapsedMs !== null && <span className="muted" data-testid="library-elapsed">query {formatNumber(view.elapsedMs, 3)} ms</span>}
        <span data-testid="selection-count">{selection.size ? `${formatInt(selection.size)} selected` : 'click a row to select; double-click or Enter to open; right click for more'}</span>
        {copyNote && <span className="muted" data-testid="copy-note" aria-live="polite">{copyNote}</span>}
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
      {menu && (
        <RowMenu
          row={menu.row}
          at={menu.at}
          ids={menuIds(menu.row)}
          onClose={() => setMenu(null)}
          onCopySmiles={() => copySmiles(menu.row)}
          onOpen={() => navigate({ view: 'compound', id: menu.row.id })}
          onFindSimilar={() => findSimilar(menu.row)}
          onAdded={setCopyNote}
        />
      )}
      {annotating && selection.size > 0 && (
        <div className="selection-annotate" data-testid="selection-annotate">
          <span className="muted small">Declare targets and pathway for the {formatInt(selection.size)} selected compound{selection.size === 1 ? '' : 's'} (each with its duplicates):</span>
          <MechanismEditor ids={[...selection]} compact />
        </div>
      )}
    </section>
  );
}

/** A row's context menu: copy SMILES, open, find similar, add (the row, or the selection it is in) to a hit list. */
function RowMenu(props: {
  row: CompoundRow; at: { x: number; y: number }; ids: number[]; onClose(): void;
  onCopySmiles(): void; onOpen(): void; onFindSimilar(): void; onAdded(note: string): void;
}) {
  const { api } = useApp();
  const [lists, setLists] = useState<HitList[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const n = props.ids.length;
  const act = (f: () => void) => () => {
    props.onClose();
    f();
  };
  const add = async (list: { id: number } | { name: string }) => {
    setError(null);
    try {
      const r = await addToHitList(api, props.ids, list);
      props.onAdded(`${formatInt(r.changed)} added to '${r.list.name}' (${formatInt(r.list.members)})`);
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const who = props.row.displayName ?? props.row.name ?? `#${props.row.id}`;
  return (
    <ContextMenu at={props.at} onClose={props.onClose} testId="row-menu" label={`Actions for ${who}`}>
      <div className="context-title ellipsis" title={props.row.smiles}>{n > 1 ? `${formatInt(n)} selected compounds` : who}</div>
      <MenuItem onSelect={act(props.onCopySmiles)} testId="menu-copy-smiles">{n > 1 ? `Copy ${formatInt(n)} SMILES` : 'Copy SMILES'}</MenuItem>
      <MenuItem onSelect={act(props.onOpen)} testId="menu-open">Open</MenuItem>
      <MenuItem onSelect={act(props.onFindSimilar)} testId="menu-find-similar" title={`Library query: Tanimoto similar to ${props.row.smiles}`}>Find similar</MenuItem>
      {lists === null ? (
        <MenuItem onSelect={() => api.call('hitlists.list', {}).then(setLists, (e: Error) => setError(e.message))} testId="menu-add-to-list">
          {n > 1 ? `Add ${formatInt(n)} to hit list` : 'Add to hit list'} ▸
        </MenuItem>
      ) : (
        <div className="context-sub" data-testid="menu-lists">
          {lists.map((l) => (
            <MenuItem key={l.id} onSelect={() => add({ id: l.id })} testId="menu-list">
              {l.name} <span className="muted">({formatInt(l.members)})</span>
            </MenuItem>
          ))}
          <form onSubmit={(e) => { e.preventDefault(); if (name.trim()) void add({ name }); }}>
            <input placeholder="New list name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New hit list name" data-testid="menu-list-name" autoFocus={lists.length === 0} />
            <button type="submit" disabled={!name.trim()} data-testid="menu-list-create">Add</button>
          </form>
        </div>
      )}
      {error && <div className="warn small context-error">{error}</div>}
    </ContextMenu>
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
  // A similarity query set elsewhere (the row menu's "Find similar", a restored state) shows in the box.
  useEffect(() => {
    if (query.similarTo?.smiles) setSimSmiles(query.similarTo.smiles);
    if (query.similarTo) setThreshold(String(query.similarTo.threshold));
  }, [query.similarTo?.smiles, query.similarTo?.threshold]);
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
