/**
 * The plot frame (plot.html), loaded in <iframe sandbox="allow-scripts">: it alone imports plotly,
 * whose WebGL traces need eval, under a CSP that allows eval but no network. It draws the spec it is
 * sent by postMessage and reports point selections back as compound ids.
 */
import Plotly, { type PlotlyEvent, type PlotlyHTMLElement } from 'plotly.js-dist-min';
import { idsAt, indicesOf, isToFrame, type FromFrame, type PlotSpec } from '../lib/plot-protocol.js';

const el = document.getElementById('plot')!;
let spec: PlotSpec | null = null;
let bound = false;

function send(msg: FromFrame): void {
  // The parent is our own app page; the frame's origin is opaque, so the target cannot be narrowed.
  window.parent.postMessage(msg, '*');
}

/** Plotly renders a few HTML-like tags in hover text: show names from files as plain text. */
const plain = (s: string) => s.replace(/</g, '‹').replace(/>/g, '›');

/**
 * Marker of the scatter: the colour scale stays on every point whatever is selected; selected points are
 * drawn larger with a dark outline, the others a little transparent (Plotly's own selected/unselected
 * styles only set opacity, never colour).
 */
function scatterMarker(s: Extract<PlotSpec, { kind: 'scatter' }>, sel: number[]): Record<string, unknown> {
  const any = sel.length > 0;
  const picked = new Uint8Array(s.ids.length);
  for (const i of sel) picked[i] = 1;
  const per = <T>(on: T, off: T): T[] => Array.from(picked, (p) => (p ? on : off));
  return {
    ...(s.color
      ? { color: s.color, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: plain(s.colorTitle ?? ''), side: 'right' }, thickness: 12 } }
      : { color: '#2563eb' }),
    size: any ? per(10, 5) : 5,
    line: { color: '#111827', width: any ? per(1.5, 0) : 0 },
  };
}

function traces(s: PlotSpec, selected: number[]): object[] {
  const sel = indicesOf(s.ids, selected);
  if (s.kind === 'scatter') {
    return [{
      type: 'scattergl',
      mode: 'markers',
      x: s.x,
      y: s.y,
      // The app shows a card with the structure and values next to the pointer (hover messages).
      hoverinfo: 'none',
      marker: scatterMarker(s, sel),
      selectedpoints: sel.length ? sel : null,
      selected: { marker: { opacity: 1 } },
      unselected: { marker: { opacity: 0.35 } },
    }];
  }
  return [{
    type: 'histogram',
    x: s.x,
    nbinsx: s.bins,
    marker: { color: '#2563eb' },
    selectedpoints: sel.length ? sel : null,
    selected: { marker: { color: '#dc2626' } },
    unselected: { marker: { opacity: 0.4 } },
  }];
}

function layout(s: PlotSpec): object {
  const axis = (t: string) => ({ title: { text: plain(t) }, zeroline: false, gridcolor: '#eef0f3', automargin: true });
  return {
    margin: { l: 56, r: 16, t: 12, b: 48 },
    dragmode: s.kind === 'scatter' ? 'lasso' : 'select',
    hovermode: 'closest',
    xaxis: axis(s.xTitle),
    yaxis: axis(s.kind === 'scatter' ? s.yTitle : 'compounds'),
    font: { family: 'system-ui, sans-serif', size: 12, color: '#1f2937' },
    paper_bgcolor: '#fff',
    plot_bgcolor: '#fff',
    // Keep zoom when only the selection changes.
    uirevision: `${s.kind}|${s.xTitle}|${s.kind === 'scatter' ? s.yTitle : ''}`,
    bargap: 0.02,
  };
}

const config = { displaylogo: false, responsive: true, scrollZoom: true, modeBarButtonsToRemove: ['sendDataToCloud'] };

function pointIndices(e: PlotlyEvent | undefined): number[] {
  const out: number[] = [];
  for (const p of e?.points ?? []) {
    if (p.pointNumbers) out.push(...p.pointNumbers);
    else if (p.pointIndex !== undefined) out.push(p.pointIndex);
    else if (p.pointNumber !== undefined) out.push(p.pointNumber);
  }
  return out;
}

async function render(s: PlotSpec, selected: number[]): Promise<void> {
  spec = s;
  const gd: PlotlyHTMLElement = await Plotly.react(el, traces(s, selected), layout(s), config);
  if (!bound) {
    bound = true;
    gd.on('plotly_selected', (e) => spec && e && send({ type: 'selected', ids: idsAt(spec.ids, pointIndices(e)) }));
    gd.on('plotly_deselect', () => send({ type: 'selected', ids: [] }));
    gd.on('plotly_hover', (e) => {
      if (!spec || spec.kind !== 'scatter') return;
      const id = idsAt(spec.ids, pointIndices(e).slice(0, 1))[0];
      if (id !== undefined) send({ type: 'hover', id, x: pointer.x, y: pointer.y });
    });
    gd.on('plotly_unhover', () => send({ type: 'hover', id: null, x: pointer.x, y: pointer.y }));
    gd.on('plotly_click', (e) => {
      if (!spec || spec.kind !== 'scatter') return;
      const ids = idsAt(spec.ids, pointIndices(e));
      if (ids.length) send({ type: 'selected', ids: ids.slice(0, 1) });
    });
  }
  send({ type: 'rendered', points: s.ids.length });
}

/** The pointer in the frame (Plotly's hover events on WebGL traces do not always carry the mouse event). */
const pointer = { x: 0, y: 0 };
document.addEventListener('mousemove', (e) => {
  pointer.x = e.clientX;
  pointer.y = e.clientY;
});
document.documentElement.addEventListener('mouseleave', () => send({ type: 'hover', id: null, x: pointer.x, y: pointer.y }));

function select(selected: number[]): Promise<unknown> {
  if (!spec) return Promise.resolve();
  const sel = indicesOf(spec.ids, selected);
  if (spec.kind === 'histogram') return Plotly.restyle(el, { selectedpoints: [sel.length ? sel : null] }, [0]);
  const m = scatterMarker(spec, sel);
  return Plotly.restyle(el, { selectedpoints: [sel.length ? sel : null], 'marker.size': [m.size], 'marker.line': [m.line] }, [0]);
}

async function exportImage(format: 'png' | 'svg'): Promise<void> {
  // Twice the pixels for a PNG (print and slides); the SVG keeps axes and text as vectors (WebGL points are an embedded raster).
  const dataUrl = await Plotly.toImage(el, { format, width: el.clientWidth, height: el.clientHeight, scale: format === 'png' ? 2 : 1 });
  send({ type: 'image', format, dataUrl });
}

window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !isToFrame(e.data)) return;
  const msg = e.data;
  const job = msg.type === 'render' ? render(msg.spec, msg.selected) : msg.type === 'select' ? select(msg.selected) : exportImage(msg.format);
  job.catch((err: Error) => send({ type: 'error', message: err.message }));
});

send({ type: 'ready' });
