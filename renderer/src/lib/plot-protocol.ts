/**
 * Messages between the app and the sandboxed plot frame (plot.html). Plain data only: the frame
 * has no API access; it draws what it is sent and reports selections back.
 */
export interface ScatterSpec {
  kind: 'scatter';
  ids: number[];
  x: (number | null)[];
  y: (number | null)[];
  color: (number | null)[] | null;
  labels: string[];
  xTitle: string;
  yTitle: string;
  colorTitle: string | null;
}

export interface HistogramSpec {
  kind: 'histogram';
  ids: number[];
  x: (number | null)[];
  xTitle: string;
  bins: number;
}

export type PlotSpec = ScatterSpec | HistogramSpec;

export type ToFrame =
  | { type: 'render'; spec: PlotSpec; selected: number[] }
  | { type: 'select'; selected: number[] };

export type FromFrame =
  | { type: 'ready' }
  | { type: 'rendered'; points: number }
  | { type: 'selected'; ids: number[] }
  | { type: 'open'; id: number }
  | { type: 'error'; message: string };

export function isFromFrame(v: unknown): v is FromFrame {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'ready' || t === 'rendered' || t === 'selected' || t === 'open' || t === 'error';
}

export function isToFrame(v: unknown): v is ToFrame {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  return t === 'render' || t === 'select';
}

/** Ids of points (in `ids` order) whose index is in `indices`; ignores out-of-range indices. */
export function idsAt(ids: number[], indices: Iterable<number>): number[] {
  const out: number[] = [];
  for (const i of indices) if (i >= 0 && i < ids.length) out.push(ids[i]);
  return out;
}

/** Indices of `ids` that are in `selected`. */
export function indicesOf(ids: number[], selected: Iterable<number>): number[] {
  const set = new Set(selected);
  const out: number[] = [];
  ids.forEach((id, i) => {
    if (set.has(id)) out.push(i);
  });
  return out;
}
