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

function traces(s: PlotSpec, selected: number[]): object[] {
  const sel = indicesOf(s.ids, selected);
  if (s.kind === 'scatter') {
    return [{
      type: 'scattergl',
      mode: 'markers',
      x: s.x,
      y: s.y,
      text: s.labels.map(plain),
      // 4 significant digits, as in the tables.
      hovertemplate: `%{text}<br>${plain(s.xTitle)}: %{x:.4~g}<br>${plain(s.yTitle)}: %{y:.4~g}${s.colorTitle ? `<br>${plain(s.colorTitle)}: %{marker.color:.4~g}` : ''}<extra></extra>`,
      marker: s.color
        ? { size: 5, color: s.color, colorscale: 'Viridis', showscale: true, colorbar: { title: { text: s.colorTitle ?? '' }, thickness: 12 } }
        : { size: 5, color: '#2563eb' },
      selectedpoints: sel.length ? sel : null,
      selected: { marker: { color: '#dc2626', size: 8, opacity: 1 } },
      unselected: { marker: { opacity: 0.3 } },
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
    gd.on('plotly_click', (e) => {
      if (!spec || spec.kind !== 'scatter') return;
      const ids = idsAt(spec.ids, pointIndices(e));
      if (ids.length) send({ type: 'selected', ids: ids.slice(0, 1) });
    });
  }
  send({ type: 'rendered', points: s.ids.length });
}

window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !isToFrame(e.data)) return;
  const msg = e.data;
  const job = msg.type === 'render'
    ? render(msg.spec, msg.selected)
    : spec
      ? Plotly.restyle(el, { selectedpoints: [indicesOf(spec.ids, msg.selected).length ? indicesOf(spec.ids, msg.selected) : null] }, [0])
      : Promise.resolve();
  job.catch((err: Error) => send({ type: 'error', message: err.message }));
});

send({ type: 'ready' });
