/**
 * Rows of a query fetched on demand in fixed blocks, so a million-row result is never loaded whole:
 * the grid asks for the visible range, blocks are fetched after scrolling settles, at most a few at
 * a time, and the least recently used blocks are dropped. One instance per query; a new query makes
 * a new instance (old answers are ignored).
 */
import type { Page } from '../../../core/api/contract.js';
import { Lru } from './lru.js';

export interface PagedRowsOptions {
  blockSize?: number;
  /** Blocks kept in memory. */
  maxBlocks?: number;
  /** Quiet time after the last range change before fetching. */
  settleMs?: number;
  concurrency?: number;
}

export class PagedRows<T> {
  total: number | null = null;
  elapsedMs: number | null = null;
  error: Error | null = null;
  private readonly blockSize: number;
  private readonly settleMs: number;
  private readonly concurrency: number;
  private blocks: Lru<number, T[]>;
  private inflight = new Set<number>();
  private wanted: [number, number] = [0, 0];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private version = 0;
  private listeners = new Set<() => void>();

  constructor(
    private fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
    opts: PagedRowsOptions = {},
  ) {
    this.blockSize = opts.blockSize ?? 100;
    this.settleMs = opts.settleMs ?? 40;
    this.concurrency = opts.concurrency ?? 2;
    this.blocks = new Lru(opts.maxBlocks ?? 40);
  }

  /** Increments whenever rows, total or error change (for useSyncExternalStore). */
  getVersion = (): number => this.version;

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  row(i: number): T | undefined {
    return this.blocks.get(Math.floor(i / this.blockSize))?.[i % this.blockSize];
  }

  /** Start fetching the first block immediately (the first paint should not wait for a scroll). */
  start(): void {
    this.request(0, this.blockSize - 1, true);
  }

  /** The grid shows rows [first, last]; fetch what is missing once scrolling settles. */
  request(first: number, last: number, now = false): void {
    this.wanted = [Math.max(0, first), Math.max(0, last)];
    if (this.timer) clearTimeout(this.timer);
    if (now) this.pump();
    else this.timer = setTimeout(() => this.pump(), this.settleMs);
  }

  private missing(): number[] {
    const [a, b] = this.wanted;
    const maxRow = this.total === null ? b : Math.min(b, this.total - 1);
    const out: number[] = [];
    for (let blk = Math.floor(a / this.blockSize); blk <= Math.floor(maxRow / this.blockSize); blk++) {
      if (!this.blocks.has(blk) && !this.inflight.has(blk)) out.push(blk);
    }
    return out;
  }

  private pump(): void {
    if (this.disposed || this.error) return;
    for (const blk of this.missing()) {
      if (this.inflight.size >= this.concurrency) break;
      void this.load(blk);
    }
  }

  private async load(blk: number): Promise<void> {
    this.inflight.add(blk);
    try {
      const page = await this.fetchPage(blk * this.blockSize, this.blockSize);
      if (this.disposed) return;
      this.blocks.set(blk, page.rows);
      this.total = page.total;
      this.elapsedMs = page.elapsedMs;
    } catch (err) {
      if (this.disposed) return;
      this.error = err instanceof Error ? err : new Error(String(err));
    } finally {
      this.inflight.delete(blk);
    }
    this.changed();
    this.pump();
  }

  get loading(): boolean {
    return this.inflight.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }
}
