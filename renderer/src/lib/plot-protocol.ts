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

export type ImageFormat = 'png' | 'svg';

export type ToFrame =
  | { type: 'render'; spec: PlotSpec; selected: number[] }
  | { type: 'select'; selected: number[] }
  /** Draw the plot as an image and post it back (`image`): the sandboxed frame cannot download. */
  | { type: 'export'; format: ImageFormat };

export type FromFrame =
  | { type: 'ready' }
  | { type: 'rendered'; points: number }
  | { type: 'selected'; ids: number[] }
  | { type: 'open'; id: number }
  /** The point under the pointer (null: none), and the pointer in the frame's CSS pixels. */
  | { type: 'hover'; id: number | null; x: number; y: number }
  /** The exported image as a data URL (`data:image/png;base64,…` or `data:image/svg+xml,…`). */
  | { type: 'image'; format: ImageFormat; dataUrl: string }
  | { type: 'error'; message: string };

const FROM_FRAME = new Set(['ready', 'rendered', 'selected', 'open', 'hover', 'image', 'error']);
const TO_FRAME = new Set(['render', 'select', 'export']);

export function isFromFrame(v: unknown): v is FromFrame {
  if (typeof v !== 'object' || v === null) return false;
  return FROM_FRAME.has((v as { type?: unknown }).type as string);
}

export function isToFrame(v: unknown): v is ToFrame {
  if (typeof v !== 'object' || v === null) return false;
  return TO_FRAME.has((v as { type?: unknown }).type as string);
}

/** The most bytes an exported image may have (a 2× PNG of a large plot is a few MB). */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * The bytes of an image data URL the frame posted, or null when it is not a PNG or SVG data URL (the frame
 * is sandboxed, but what it posts is checked like any input). No fetch: the app's CSP allows no data: connects.
 */
export function imageBytes(format: ImageFormat, dataUrl: string): Uint8Array | null {
  if (typeof dataUrl !== 'string' || dataUrl.length > MAX_IMAGE_BYTES * 1.4) return null;
  const comma = dataUrl.indexOf(',');
  if (comma < 0) return null;
  const head = dataUrl.slice(0, comma);
  const body = dataUrl.slice(comma + 1);
  const mime = format === 'png' ? 'image/png' : 'image/svg+xml';
  if (!head.startsWith(`data:${mime}`)) return null;
  try {
    if (head.endsWith(';base64')) {
      const bin = atob(body);
      const out = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
      return out;
    }
    return new TextEncoder().encode(decodeURIComponent(body));
  } catch {
    return null;
  }
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
