/**
 * A virtualised table: only the rows on screen (plus a small overscan) exist in the DOM, and the
 * caller supplies rows by index (possibly not loaded yet), so the row count can be in the millions.
 *
 * A grid as a spreadsheet user expects: leading `frozen` columns stay while scrolling sideways; a header's
 * right edge drags to resize (`onColumnResize`), a header drags to another place (`onColumnMove`); the keyboard
 * moves a focused row (arrows, Page Up/Down, Home/End; Shift extends the selection), Enter opens it, Space
 * toggles it, Ctrl/Cmd+C copies (`onCopy`), right click or the context-menu key opens `onRowContextMenu`.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent as ReactPointerEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { SortDir } from '../../../core/api/contract.js';
import './VirtualTable.css';

export interface Column<T> {
  key: string;
  label: string;
  /** Tooltip for the header (description). */
  title?: string;
  unit?: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  sortable?: boolean;
  /** Extra class of the column's cells (not its header). */
  cellClassName?: string;
  /** Stays at the left edge while the grid scrolls sideways (leading columns only). */
  frozen?: boolean;
  /** Resizable by its header's right edge when the table has `onColumnResize` (default true). */
  resizable?: boolean;
  /** Can be dragged to another place when the table has `onColumnMove` (default: unless frozen). */
  movable?: boolean;
  render(row: T, index: number): ReactNode;
}

/** The modifier keys of a click (or of a Shift+arrow move, which extends the selection like a Shift+click). */
export interface RowClickEvent {
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** For a Shift+arrow move: the row focused before it (where the extension starts when nothing anchors it). */
  from?: number | null;
}

export interface VirtualTableProps<T> {
  columns: Column<T>[];
  rowCount: number;
  rowHeight: number;
  getRow(index: number): T | undefined;
  rowKey?(row: T | undefined, index: number): string | number;
  /** Called with the first and last index on screen whenever it changes. */
  onRange?(first: number, last: number): void;
  sort?: { column: string; dir: SortDir } | null;
  onSort?(column: string): void;
  isSelected?(row: T): boolean;
  onRowClick?(row: T, index: number, e: RowClickEvent): void;
  onRowOpen?(row: T, index: number): void;
  /** The keyboard moved the focused row (without Shift): where a later Shift+move or Shift+click starts. */
  onRowFocus?(index: number): void;
  /** Space on the focused row. */
  onRowToggle?(row: T, index: number): void;
  /** Ctrl/Cmd+C in the grid, with the focused row's index (null when none). */
  onCopy?(focused: number | null): void;
  /** Right click on a row, or the context-menu key / Shift+F10 on the focused one; x, y in viewport pixels. */
  onRowContextMenu?(row: T, index: number, at: { x: number; y: number }): void;
  onColumnResize?(key: string, width: number): void;
  /** A column dragged before `before` (null: to the end). */
  onColumnMove?(key: string, before: string | null): void;
  testId?: string;
  emptyText?: ReactNode;
  /** Changes of this value scroll back to the top (a new query). */
  resetKey?: string;
  className?: string;
}

const MIN_WIDTH = 40;
const MAX_WIDTH = 1200;
/** Pixels a header must travel before a press becomes a drag (else it is a click: sort). */
const DRAG_SLOP = 5;

const clampWidth = (w: number) => Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, w)));

/** Follows the pointer from a press until release (listeners on the window, so leaving the header is fine). */
function track(e: ReactPointerEvent, move: (dx: number, ev: PointerEvent) => void, up: (dx: number, ev: PointerEvent) => void): void {
  const x0 = e.clientX;
  const onMove = (ev: PointerEvent) => move(ev.clientX - x0, ev);
  const onUp = (ev: PointerEvent) => {
    window.removeEventListener('pointermove', onMove);
    window.removeEventListener('pointerup', onUp);
    window.removeEventListener('pointercancel', onUp);
    up(ev.clientX - x0, ev);
  };
  window.addEventListener('pointermove', onMove);
  window.addEventListener('pointerup', onUp);
  window.addEventListener('pointercancel', onUp);
}

export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { columns, rowCount, rowHeight, getRow, onRange } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 6,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : -1;
  const [focus, setFocus] = useState<number | null>(null);
  /** A width being dragged (applied live, reported on release). */
  const [live, setLive] = useState<{ key: string; width: number } | null>(null);
  /** A header being dragged, and where it would land. */
  const [moving, setMoving] = useState<{ key: string; before: string | null } | null>(null);
  /** A drag ends with a click on the header it started on: that click is not a sort. */
  const noClick = useRef(false);

  useEffect(() => {
    if (last >= first) onRange?.(first, last);
  }, [first, last, onRange]);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    setFocus(null);
    virtualizer.measure();
  }, [props.resetKey, virtualizer]);
  const focusRef = useRef(focus);
  focusRef.current = focus;
  // Another row height: the focused row stays in view (else the rows at the same scroll offset would show).
  useEffect(() => {
    virtualizer.measure();
    if (focusRef.current !== null) reveal(focusRef.current);
    // reveal is rebuilt each render; rowHeight is what matters.
  }, [rowHeight, virtualizer]);
  useEffect(() => {
    // Functional: a reset queued by a new query in the same commit wins.
    setFocus((f) => (f !== null && f >= rowCount ? (rowCount ? rowCount - 1 : null) : f));
  }, [rowCount]);

  const widthOf = (c: Column<T>) => (live?.key === c.key ? live.width : c.width);
  const totalWidth = columns.reduce((s, c) => s + widthOf(c), 0);
  // Sticky offsets of the leading frozen columns.
  const frozenLeft = new Map<string, number>();
  let lastFrozen: string | null = null;
  for (let i = 0, left = 0; i < columns.length && columns[i].frozen; i++) {
    frozenLeft.set(columns[i].key, left);
    left += widthOf(columns[i]);
    lastFrozen = columns[i].key;
  }
  const cellStyle = (c: Column<T>) => {
    const left = frozenLeft.get(c.key);
    return left === undefined ? { width: widthOf(c) } : { width: widthOf(c), left };
  };
  const frozenClass = (c: Column<T>) => (frozenLeft.has(c.key) ? ` vt-frozen${c.key === lastFrozen ? ' vt-frozen-last' : ''}` : '');
  const movable = (c: Column<T>) => !!props.onColumnMove && (c.movable ?? !frozenLeft.has(c.key));

  /** Brings row `i` fully into view below the sticky header. */
  const reveal = (i: number) => {
    const el = scrollRef.current;
    if (!el) return;
    const head = headRef.current?.offsetHeight ?? 0;
    const top = i * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (head + top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = head + top + rowHeight - el.clientHeight;
  };
  const pageRows = () => {
    const el = scrollRef.current;
    const head = headRef.current?.offsetHeight ?? 0;
    return Math.max(1, Math.floor(((el?.clientHeight ?? rowHeight) - head) / rowHeight));
  };
  const rowElement = (i: number) => scrollRef.current?.querySelector<HTMLElement>(`[role="row"][data-index="${i}"]`) ?? null;

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    // Keys typed into a control inside a cell are the control's.
    if ((e.target as HTMLElement).closest('input, select, textarea, button, a') && e.target !== e.currentTarget) return;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && (e.key === 'c' || e.key === 'C') && props.onCopy) {
      // Text the user selected in the page is copied as text.
      if (String(window.getSelection() ?? '')) return;
      e.preventDefault();
      props.onCopy(focus);
      return;
    }
    if (!rowCount) return;
    let next: number | null = null;
    const cur = focus ?? -1;
    switch (e.key) {
      case 'ArrowDown': next = Math.min(rowCount - 1, cur + 1); break;
      case 'ArrowUp': next = Math.max(0, cur < 0 ? 0 : cur - 1); break;
      case 'PageDown': next = Math.min(rowCount - 1, Math.max(0, cur) + pageRows()); break;
      case 'PageUp': next = Math.max(0, cur - pageRows()); break;
      case 'Home': next = 0; break;
      case 'End': next = rowCount - 1; break;
      default: break;
    }
    if (next !== null) {
      e.preventDefault();
      setFocus(next);
      reveal(next);
      const row = getRow(next);
      if (e.shiftKey && row !== undefined) props.onRowClick?.(row, next, { shiftKey: true, ctrlKey: e.ctrlKey, metaKey: e.metaKey, from: focus });
      else if (!e.shiftKey) props.onRowFocus?.(next);
      return;
    }
    if (focus === null) return;
    const row = getRow(focus);
    if (row === undefined) return;
    if (e.key === 'Enter' && props.onRowOpen) {
      e.preventDefault();
      props.onRowOpen(row, focus);
    } else if (e.key === ' ' && props.onRowToggle) {
      e.preventDefault();
      props.onRowToggle(row, focus);
    } else if ((e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) && props.onRowContextMenu) {
      e.preventDefault();
      reveal(focus);
      const r = rowElement(focus)?.getBoundingClientRect();
      props.onRowContextMenu(row, focus, r ? { x: r.left + 24, y: r.top + r.height / 2 } : { x: 24, y: 24 });
    }
  };

  const startResize = (e: ReactPointerEvent, c: Column<T>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.stopPropagation();
    const w0 = c.width;
    track(e, (dx) => setLive({ key: c.key, width: clampWidth(w0 + dx) }), (dx) => {
      setLive(null);
      noClick.current = true;
      setTimeout(() => (noClick.current = false), 0);
      const w = clampWidth(w0 + dx);
      if (w !== w0) props.onColumnResize!(c.key, w);
    });
  };

  /** Where a header dropped at viewport x lands: before the first movable header whose middle is right of x. */
  const dropTarget = (x: number, key: string): string | null => {
    const heads = headRef.current?.querySelectorAll<HTMLElement>('[role="columnheader"]') ?? [];
    for (const h of heads) {
      const k = h.dataset.key!;
      const c = columns.find((col) => col.key === k);
      if (!c || frozenLeft.has(k)) continue;
      const r = h.getBoundingClientRect();
      if (x < r.left + r.width / 2) return k === key ? key : k;
    }
    return null;
  };
  const startMove = (e: ReactPointerEvent, c: Column<T>) => {
    if (e.button !== 0 || !movable(c)) return;
    let dragging = false;
    track(e, (dx, ev) => {
      if (!dragging && Math.abs(dx) < DRAG_SLOP) return;
      dragging = true;
      setMoving({ key: c.key, before: dropTarget(ev.clientX, c.key) });
    }, (_dx, ev) => {
      setMoving(null);
      if (!dragging) return;
      noClick.current = true;
      setTimeout(() => (noClick.current = false), 0);
      const before = dropTarget(ev.clientX, c.key);
      if (before === c.key) return;
      // Dropped right after itself: no move.
      const order = columns.map((col) => col.key);
      const at = order.indexOf(c.key);
      if ((before === null && at === order.length - 1) || (before !== null && order[at + 1] === before)) return;
      props.onColumnMove!(c.key, before);
    });
  };

  const focusedRow = focus !== null && focus >= first && focus <= last ? focus : null;
  return (
    <div
      className={`vt ${props.className ?? ''}`}
      ref={scrollRef}
      data-testid={props.testId}
      role="grid"
      aria-rowcount={rowCount}
      aria-activedescendant={focusedRow !== null ? `${props.testId ?? 'vt'}-row-${focusedRow}` : undefined}
      data-focused-row={focus ?? undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className={`vt-head ${moving ? 'moving' : ''}`} role="row" style={{ width: totalWidth }} ref={headRef}>
        {columns.map((c) => {
          const sorted = props.sort?.column === c.key ? props.sort.dir : null;
          const sortable = c.sortable !== false && props.onSort;
          const resizable = props.onColumnResize && c.resizable !== false;
          const drop = moving && moving.before === c.key && moving.key !== c.key ? ' drop-before' : moving && moving.before === null && c.key === columns[columns.length - 1].key && moving.key !== c.key ? ' drop-after' : '';
          return (
            <div
              key={c.key}
              role="columnheader"
              aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
              className={`vt-th ${sortable ? 'sortable' : ''} ${movable(c) ? 'movable' : ''} align-${c.align ?? 'left'}${frozenClass(c)}${moving?.key === c.key ? ' dragged' : ''}${drop}`}
              style={cellStyle(c)}
              title={c.title ?? c.label}
              data-testid={`col-${c.key}`}
              data-key={c.key}
              onPointerDown={(e) => startMove(e, c)}
              onClick={sortable ? () => !noClick.current && props.onSort!(c.key) : undefined}
            >
              <span className="vt-th-label">{c.label}</span>
              {c.unit && <span className="unit">{c.unit}</span>}
              {sorted && <span className="sort-mark">{sorted === 'asc' ? '▲' : '▼'}</span>}
              {resizable && (
                <span
                  className="vt-resize"
                  data-testid={`resize-${c.key}`}
                  title="Drag to resize"
                  aria-hidden="true"
                  onPointerDown={(e) => startResize(e, c)}
                  onClick={(e) => e.stopPropagation()}
                />
              )}
            </div>
          );
        })}
      </div>
      {rowCount === 0 && props.emptyText !== undefined && <div className="vt-empty" data-testid="grid-empty">{props.emptyText}</div>}
      <div className="vt-body" style={{ height: virtualizer.getTotalSize(), width: totalWidth }}>
        {items.map((vi) => {
          const row = getRow(vi.index);
          const selected = row !== undefined && props.isSelected?.(row);
          const focused = vi.index === focus;
          return (
            <div
              key={props.rowKey ? props.rowKey(row, vi.index) : vi.index}
              id={`${props.testId ?? 'vt'}-row-${vi.index}`}
              role="row"
              aria-rowindex={vi.index + 2}
              aria-selected={selected || undefined}
              className={`vt-row ${vi.index % 2 ? 'odd' : ''} ${selected ? 'selected' : ''} ${focused ? 'focused' : ''} ${row === undefined ? 'loading' : ''}`}
              data-testid={row === undefined ? 'row-loading' : 'row'}
              data-index={vi.index}
              data-focused={focused || undefined}
              style={{ height: rowHeight, width: totalWidth, transform: `translateY(${vi.start}px)` }}
              onClick={row !== undefined ? (e) => {
                setFocus(vi.index);
                props.onRowClick?.(row, vi.index, e);
              } : undefined}
              onDoubleClick={row !== undefined && props.onRowOpen ? () => props.onRowOpen!(row, vi.index) : undefined}
              onContextMenu={row !== undefined && props.onRowContextMenu ? (e) => {
                e.preventDefault();
                setFocus(vi.index);
                props.onRowContextMenu!(row, vi.index, { x: e.clientX, y: e.clientY });
              } : undefined}
            >
              {columns.map((c) => (
                <div key={c.key} role="gridcell" className={`vt-td align-${c.align ?? 'left'}${frozenClass(c)}${c.cellClassName ? ` ${c.cellClassName}` : ''}`} style={cellStyle(c)} data-col={c.key}>
                  {row === undefined ? (c === columns[0] ? <span className="muted">…</span> : null) : c.render(row, vi.index)}
                </div>
              ))}
            </div>
          );
        })}
      </div>
    </div>
  );
}
