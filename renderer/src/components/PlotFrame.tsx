/**
 * Hosts the sandboxed plot frame and talks to it by postMessage (plain data only). The frame has
 * an opaque origin: it cannot reach the API, the token or this page.
 */
import { useEffect, useRef, useState } from 'react';
import { isFromFrame, type PlotSpec, type ToFrame } from '../lib/plot-protocol.js';

export function PlotFrame(props: { spec: PlotSpec | null; selected: number[]; onSelect(ids: number[]): void; testId?: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);
  const [rendered, setRendered] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;
  const selectedRef = useRef(props.selected);
  selectedRef.current = props.selected;

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (!ref.current || e.source !== ref.current.contentWindow || !isFromFrame(e.data)) return;
      const m = e.data;
      if (m.type === 'ready') setReady(true);
      else if (m.type === 'rendered') setRendered(m.points);
      else if (m.type === 'selected') onSelect.current(m.ids);
      else if (m.type === 'error') setError(m.message);
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, []);

  const post = (msg: ToFrame) => ref.current?.contentWindow?.postMessage(msg, '*');
  useEffect(() => {
    if (!ready || !props.spec) return;
    setRendered(null);
    setError(null);
    post({ type: 'render', spec: props.spec, selected: selectedRef.current });
  }, [ready, props.spec]);
  useEffect(() => {
    if (ready && props.spec) post({ type: 'select', selected: props.selected });
  }, [props.selected]);

  return (
    <div className="plot-frame" data-testid={props.testId ?? 'plot'} data-rendered={rendered ?? ''}>
      <iframe ref={ref} src="plot.html" sandbox="allow-scripts" title="Plot" referrerPolicy="no-referrer" />
      {error && <div className="error-box">Plot failed: {error}</div>}
    </div>
  );
}
