/** The subset of plotly.js used by the plot frame (plotly.js-dist-min ships no types). */
declare module 'plotly.js-dist-min' {
  export interface PlotlyPoint {
    pointIndex?: number;
    pointNumber?: number;
    pointNumbers?: number[];
    curveNumber: number;
  }
  export interface PlotlyEvent {
    points: PlotlyPoint[];
  }
  export interface PlotlyHTMLElement extends HTMLElement {
    on(event: 'plotly_selected' | 'plotly_click' | 'plotly_hover', cb: (e: PlotlyEvent | undefined) => void): void;
    on(event: 'plotly_deselect' | 'plotly_afterplot' | 'plotly_unhover', cb: () => void): void;
    removeAllListeners?(event: string): void;
  }
  const Plotly: {
    react(el: HTMLElement, data: object[], layout: object, config?: object): Promise<PlotlyHTMLElement>;
    restyle(el: HTMLElement, update: object, traces?: number[]): Promise<void>;
    purge(el: HTMLElement): void;
    /** A data URL: `data:image/png;base64,…`, or `data:image/svg+xml,…` (URI-encoded). */
    toImage(el: HTMLElement, opts: { format: 'png' | 'svg' | 'jpeg' | 'webp'; width?: number; height?: number; scale?: number }): Promise<string>;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
