/**
 * View settings kept in the project (`settings.get`/`settings.set`): loaded once per view, saved as soon as
 * they change (one save in flight at a time, the newest value last), so a reload, a second tab or the desktop
 * app show the same grid. A project that cannot be written (read-only) keeps the change for this page only.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../../core/api/client.js';

class SettingSaver {
  private pending: { value: unknown } | null = null;
  private saving = false;
  constructor(private api: ApiClient, private key: string) {}

  save(value: unknown): void {
    this.pending = { value };
    if (!this.saving) void this.flush();
  }

  private async flush(): Promise<void> {
    this.saving = true;
    while (this.pending) {
      const { value } = this.pending;
      this.pending = null;
      await this.api.call('settings.set', { key: this.key, value }).catch(() => undefined);
    }
    this.saving = false;
  }
}

/**
 * A project setting: `[value, set, loaded]`. `read` turns the stored JSON into a value (and must tolerate
 * anything: the file may come from another version). A change made before the stored value arrived wins.
 */
export function useProjectSetting<T>(api: ApiClient, key: string, read: (stored: unknown) => T): [T, (next: T | ((cur: T) => T)) => void, boolean] {
  const readRef = useRef(read);
  readRef.current = read;
  const [value, setValue] = useState<T>(() => read(null));
  const [loaded, setLoaded] = useState(false);
  const changed = useRef(false);
  const saver = useRef<SettingSaver | null>(null);
  if (!saver.current) saver.current = new SettingSaver(api, key);
  useEffect(() => {
    let live = true;
    api.call('settings.get', { key }).then(
      (r) => {
        if (!live) return;
        if (!changed.current) setValue(readRef.current(r.value));
        setLoaded(true);
      },
      () => live && setLoaded(true),
    );
    return () => {
      live = false;
    };
  }, [api, key]);
  const current = useRef(value);
  current.current = value;
  const set = useCallback((next: T | ((cur: T) => T)) => {
    changed.current = true;
    const v = typeof next === 'function' ? (next as (c: T) => T)(current.current) : next;
    if (v === current.current) return;
    current.current = v;
    setValue(v);
    saver.current!.save(v);
  }, []);
  return [value, set, loaded];
}

/** Column widths (px) as stored under a grid's setting: numbers in the range a header can be dragged to. */
export function readWidths(v: unknown): Record<string, number> {
  const widths: Record<string, number> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, w] of Object.entries(v as Record<string, unknown>)) if (typeof w === 'number' && w >= 40 && w <= 1200) widths[k] = Math.round(w);
  }
  return widths;
}

/** Applies stored widths to a grid's columns. */
export function withWidths<C extends { key: string; width: number }>(columns: C[], widths: Record<string, number>): C[] {
  return columns.map((c) => (widths[c.key] ? { ...c, width: widths[c.key] } : c));
}
