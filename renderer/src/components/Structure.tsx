import { createContext, useContext, useEffect, useState } from 'react';
import { DepictCache, svgDataUrl } from '../lib/depict.js';

export const DepictContext = createContext<DepictCache | null>(null);

/**
 * A 2D depiction from RDKit (SVG shown as an image: an <img> never runs script inside the SVG).
 * `highlight` is a SMARTS whose match is highlighted.
 */
export function Structure(props: { smiles: string; highlight?: string; width: number; height: number; svg?: string }) {
  const cache = useContext(DepictContext);
  const { smiles, highlight, width, height } = props;
  const req = { smiles, highlight: highlight || undefined, width, height };
  const [svg, setSvg] = useState<string | undefined>(() => props.svg ?? cache?.peek(req));
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    if (props.svg) {
      setSvg(props.svg);
      return;
    }
    if (!cache || !smiles) return;
    setFailed(null);
    const hit = cache.peek(req);
    if (hit) {
      setSvg(hit);
      return;
    }
    setSvg(undefined);
    const { promise, cancel } = cache.get(req);
    let live = true;
    promise.then(
      (s) => live && setSvg(s),
      (e: Error) => live && setFailed(e.message),
    );
    return () => {
      live = false;
      cancel();
    };
    // req is rebuilt on each render: its fields are the dependencies.
  }, [cache, smiles, highlight, width, height, props.svg]);
  if (failed) return <div className="structure structure-failed" style={{ width, height }} title={failed}>no depiction</div>;
  if (!svg) return <div className="structure structure-loading" style={{ width, height }} aria-busy="true" />;
  return <img className="structure" data-testid="structure" src={svgDataUrl(svg)} width={width} height={height} alt={smiles} title={smiles} draggable={false} />;
}
