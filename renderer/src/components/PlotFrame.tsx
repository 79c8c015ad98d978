/**
 * Hosts the sandboxed plot frame and talks to it by postMessage (plain data only). The frame has
 * an opaque origin: it cannot reach the API, the token or this page. It reports the hovered point
 * (this page draws the structure card) and hands exported images here, where the download happens.
 */
import { forwardRef, useEffect, useImperativeHandle, useRef, useState } from 'react';
import { imageBytes, isFromFrame, type ImageFormat, type PlotSpec, type ToFrame } from '../lib/plot-protocol.js';

export interface PlotHover {
  id: number;
  /** Pointer position in the page (CSS pixels, viewport coordinates). */
  clientX: number;
  clientY: number;
}

export interface PlotFrameHandle {
  /** Draw the plot as PNG or SVG and download it as `name`.png/.svg. */
  exportImage(format: ImageFormat, name: string): void;
}

interface Props {
  spec: PlotSpec | null;
  selected: number[];
  onSelect(ids: number[]): void;
  onHover?(h: PlotHover | null): void;
  testId?: string;
}

function download(bytes: Uint8Array, type: string, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export const PlotFrame = forwardRef<PlotFrameHandle, Props>(function PlotFrame(props, handle) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);
  const [rendered, setRendered] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onSelect = useRef(props.onSelect);
  onSelect.current = props.onSelect;
  const onHover = useRef(props.onHover);
  onHover.current = props.onHover;
  const selectedRef = useRef(props.selected);
  selectedRef.current = props.selected;
  // File name of each export asked for and not answered yet.
  const pendingExport = useRef(new Map<ImageFormat, string>());

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (!ref.current || e.source !== ref.current.contentWindow || !isFromFrame(e.data)) return;
      const m = e.data;
      if (m.type === 'ready') setReady(true);
      else if (m.type === 'rendered') setRendered(m.points);
      else if (m.type === 'selected') onSelect.current(m.ids);
      else if (m.type === 'error') setError(m.message);
      else if (m.type === 'hover') {
        const box = ref.current.getBoundingClientRect();
        onHover.current?.(typeof m.id === 'number' ? { id: m.id, clientX: box.left + Number(m.x), clientY: box.top + Number(m.y) } : null);
      } else if (m.type === 'image') {
        const name = pendingExport.current.get(m.format);
        const bytes = name ? imageBytes(m.format, m.dataUrl) : null;
        pendingExport.current.delete(m.format);
        if (name && bytes) download(bytes, m.format === 'png' ? 'image/png' : 'image/svg+xml', name);
        else if (name) setError(`the ${m.format.toUpperCase()} export was not an image`);
      }
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, []);

  const post = (msg: ToFrame) => ref.current?.contentWindow?.postMessage(msg, '*');
  useImperativeHandle(handle, () => ({
    exportImage(format, name) {
      pendingExport.current.set(format, `${name}.${format}`);
      post({ type: 'export', format });
    },
  }));
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
    <div className="plot-frame" data-testid={props.testId ?? 'plot'} data-rendered={rendered ?? ''} onMouseLeave={() => onHover.current?.(null)}>
      <iframe ref={ref} src="plot.html" sandbox="allow-scripts" title="Plot" referrerPolicy="no-referrer" />
      {error && <div className="error-box">Plot failed: {error}</div>}
    </div>
  );
});
