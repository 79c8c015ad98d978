/**
 * Structure depictions through `compounds.depict`, cached by (SMILES, highlight, size) and fetched
 * a few at a time so scrolling a large grid never floods the engine. Requests for rows that left
 * the screen before their turn are dropped.
 */
import type { ApiClient } from '../../../core/api/client.js';
import { Lru } from './lru.js';

export interface DepictRequest {
  smiles: string;
  highlight?: string;
  width: number;
  height: number;
}

type Waiter = { resolve: (svg: string) => void; reject: (e: Error) => void };

export class DepictCache {
  private cache = new Lru<string, string>(3000);
  private queue: { key: string; req: DepictRequest }[] = [];
  private waiting = new Map<string, Waiter[]>();
  private active = 0;
  // 3 at a time: with the event stream and a page query, this stays within a browser's 6 connections per host.
  constructor(private api: ApiClient, private concurrency = 3) {}

  static key(r: DepictRequest): string {
    return `${r.width}x${r.height}|${r.highlight ?? ''}|${r.smiles}`;
  }

  peek(r: DepictRequest): string | undefined {
    return this.cache.get(DepictCache.key(r));
  }

  /** Resolves with the SVG; `cancel()` withdraws interest (the fetch is skipped if not started). */
  get(r: DepictRequest): { promise: Promise<string>; cancel: () => void } {
    const key = DepictCache.key(r);
    const hit = this.cache.get(key);
    if (hit !== undefined) return { promise: Promise.resolve(hit), cancel: () => {} };
    let waiter!: Waiter;
    const promise = new Promise<string>((resolve, reject) => (waiter = { resolve, reject }));
    const list = this.waiting.get(key);
    if (list) list.push(waiter);
    else {
      this.waiting.set(key, [waiter]);
      this.queue.push({ key, req: r });
      this.pump();
    }
    const cancel = () => {
      const l = this.waiting.get(key);
      if (!l) return;
      const i = l.indexOf(waiter);
      if (i >= 0) l.splice(i, 1);
      if (l.length === 0) {
        this.waiting.delete(key);
        const q = this.queue.findIndex((e) => e.key === key);
        if (q >= 0) this.queue.splice(q, 1);
      }
    };
    return { promise, cancel };
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      // Newest first: the rows the user scrolled to last are the ones on screen.
      const next = this.queue.pop()!;
      this.active++;
      const { smiles, highlight, width, height } = next.req;
      this.api
        .call('compounds.depict', highlight ? { smiles, highlight, width, height } : { smiles, width, height })
        .then(
          ({ svg }) => {
            this.cache.set(next.key, svg);
            for (const w of this.waiting.get(next.key) ?? []) w.resolve(svg);
          },
          (err: Error) => {
            for (const w of this.waiting.get(next.key) ?? []) w.reject(err);
          },
        )
        .finally(() => {
          this.waiting.delete(next.key);
          this.active--;
          this.pump();
        });
    }
  }
}

export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
