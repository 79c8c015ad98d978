/**
 * A virtualised table: only the rows on screen (plus a small overscan) exist in the DOM, and the
 * caller supplies rows by index (possibly not loaded yet), so the row count can be in the millions.
 */
import { useEffect, useRef, type MouseEvent, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { SortDir } from '../../../core/api/contract.js';

export interface Column<T> {
  key: string;
  label: string;
  /** Tooltip for the header (description). */
  title?: string;
  unit?: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  sortable?: boolean;
  render(row: T, index: number): ReactNode;
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
  onRowClick?(row: T, index: number, e: MouseEvent): void;
  onRowOpen?(row: T, index: number): void;
  testId?: string;
  emptyText?: ReactNode;
  /** Changes of this value scroll back to the top (a new query). */
  resetKey?: string;
  className?: string;
}

export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { columns, rowCount, rowHeight, getRow, onRange } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 6,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index : -1;
  useEffect(() => {
    if (last >= first) onRange?.(first, last);
  }, [first, last, onRange]);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    virtualizer.measure();
  }, [props.resetKey, rowHeight, virtualizer]);

  const totalWidth = columns.reduce((s, c) => s + c.width, 0);
  return (
    <div className={`vt ${props.className ?? ''}`} ref={scrollRef} data-testid={props.testId} role="grid" aria-rowcount={rowCount} tabIndex={0}>
      <div className="vt-head" role="row" style={{ width: totalWidth }}>
        {columns.map((c) => {
          const sorted = props.sort?.column === c.key ? props.sort.dir : null;
          const sortable = c.sortable !== false && props.onSort;
          return (
            <div
              key={c.key}
              role="columnheader"
              aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
              className={`vt-th ${sortable ? 'sortable' : ''} align-${c.align ?? 'left'}`}
              style={{ width: c.width }}
              title={c.title ?? c.label}
              data-testid={`col-${c.key}`}
              onClick={sortable ? () => props.onSort!(c.key) : undefined}
            >
              <span className="vt-th-label">{c.label}</span>
              {c.unit && <span className="unit">{c.unit}</span>}
              {sorted && <span className="sort-mark">{sorted === 'asc' ? '▲' : '▼'}</span>}
            </div>
          );
        })}
      </div>
      {rowCount === 0 && props.emptyText !== undefined && <div className="vt-empty" data-testid="grid-empty">{props.emptyText}</div>}
      <div className="vt-body" style={{ height: virtualizer.getTotalSize(), width: totalWidth }}>
        {items.map((vi) => {
          const row = getRow(vi.index);
          const selected = row !== undefined && props.isSelected?.(row);
          return (
            <div
              key={props.rowKey ? props.rowKey(row, vi.index) : vi.index}
              role="row"
              aria-rowindex={vi.index + 2}
              aria-selected={selected || undefined}
              className={`vt-row ${vi.index % 2 ? 'odd' : ''} ${selected ? 'selected' : ''} ${row === undefined ? 'loading' : ''}`}
              data-testid={row === undefined ? 'row-loading' : 'row'}
              data-index={vi.index}
              style={{ height: rowHeight, transform: `translateY(${vi.start}px)` }}
              onClick={row !== undefined && props.onRowClick ? (e) => props.onRowClick!(row, vi.index, e) : undefined}
              onDoubleClick={row !== undefined && props.onRowOpen ? () => props.onRowOpen!(row, vi.index) : undefined}
            >
              {columns.map((c) => (
                <div key={c.key} role="gridcell" className={`vt-td align-${c.align ?? 'left'}`} style={{ width: c.width }} data-col={c.key}>
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
