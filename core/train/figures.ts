/** Small, dependency-free SVG figures for the model card (pure functions: data in, SVG text out). */

const W = 520;
const H = 360;
const M = { l: 60, r: 20, t: 36, b: 60 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#7f7f7f'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    body,
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="14" y="${(M.t + H - M.b) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(M.t + H - M.b) / 2})">${esc(yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** A square 2-D histogram over [lo, hi]² (x → columns, y → rows), stored in evaluation.json for the figure. */
export interface Histogram2d {
  lo: number;
  hi: number;
  bins: number;
  /** Row-major [y bin × x bin]. */
  counts: number[];
  n: number;
}

export function histogram2d(x: ArrayLike<number>, y: ArrayLike<number>, bins = 50): Histogram2d {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    lo = Math.min(lo, x[i], y[i]);
    hi = Math.max(hi, x[i], y[i]);
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  const counts = new Array<number>(bins * bins).fill(0);
  const span = hi - lo || 1;
  for (let i = 0; i < x.length; i++) {
    const bx = Math.min(bins - 1, Math.floor(((x[i] - lo) / span) * bins));
    const by = Math.min(bins - 1, Math.floor(((y[i] - lo) / span) * bins));
    counts[by * bins + bx]++;
  }
  return { lo, hi, bins, counts, n: x.length };
}

/** Predicted-vs-measured density (2-D histogram, log colour scale) with the identity line. */
export function densityScatterSvg(opts: { hist: Histogram2d; title: string; xLabel: string; yLabel: string }): string {
  const { lo, hi, bins, counts } = opts.hist;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const maxC = Math.max(1, ...counts);
  const cw = pw / bins;
  const ch = ph / bins;
  const cells: string[] = [];
  for (let by = 0; by < bins; by++) {
    for (let bx = 0; bx < bins; bx++) {
      const c = counts[by * bins + bx];
      if (!c) continue;
      const t = Math.log1p(c) / Math.log1p(maxC);
      const shade = Math.round(235 - 200 * t);
      cells.push(`<rect x="${(M.l + bx * cw).toFixed(1)}" y="${(M.t + ph - (by + 1) * ch).toFixed(1)}" width="${(cw + 0.3).toFixed(1)}" height="${(ch + 0.3).toFixed(1)}" fill="rgb(${shade},${shade},255)"/>`);
    }
  }
  const sx = (v: number) => M.l + ((v - lo) / (hi - lo || 1)) * pw;
  const sy = (v: number) => M.t + ph - ((v - lo) / (hi - lo || 1)) * ph;
  const ticks = niceTicks(lo, hi);
  const axes = [
    `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<line x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(hi)}" y2="${sy(hi)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    ...ticks.map((t) => `<text x="${sx(t).toFixed(1)}" y="${M.t + ph + 14}" text-anchor="middle">${fmt(t)}</text>`),
    ...ticks.map((t) => `<text x="${M.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`),
    `<text x="${M.l + 6}" y="${M.t + 14}" fill="#555">n = ${opts.hist.n} pairs; darker = more (log scale); dashed: identity</text>`,
  ];
  return frame(opts.title, opts.xLabel, opts.yLabel, [...cells, ...axes].join('\n'));
}

/** Grouped bar chart; `series` names the bars inside each group. NaN values are drawn as "n/a". */
export function groupedBarSvg(opts: { groups: string[]; series: string[]; values: number[][]; title: string; yLabel: string; yMin?: number; yMax?: number }): string {
  const { groups, series, values } = opts;
  const flat = values.flat().filter(Number.isFinite);
  const lo0 = Math.min(opts.yMin ?? 0, ...flat);
  const hi0 = Math.max(opts.yMax ?? 0, ...flat);
  // 5 % headroom so the longest bar does not touch the frame.
  const lo = lo0 < 0 ? lo0 - 0.05 * (hi0 - lo0) : lo0;
  const hi = hi0 > 0 && opts.yMax === undefined ? hi0 + 0.05 * (hi0 - lo0) : hi0;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b - 16;
  const sy = (v: number) => M.t + ph - ((v - lo) / (hi - lo || 1)) * ph;
  const gw = pw / Math.max(1, groups.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  const parts: string[] = [`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`];
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${sy(0).toFixed(1)}" y2="${sy(0).toFixed(1)}" stroke="#333"/>`);
  groups.forEach((g, gi) => {
    series.forEach((_, si) => {
      const v = values[gi]?.[si];
      const x = M.l + gi * gw + gw * 0.1 + si * bw;
      if (v === undefined || !Number.isFinite(v)) {
        parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(sy(0) - 3).toFixed(1)}" text-anchor="middle" font-size="8" fill="#999">n/a</text>`);
        return;
      }
      const y0 = sy(Math.max(0, v));
      const h = Math.abs(sy(v) - sy(0));
      parts.push(`<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g} / ${series[si]}: ${v.toFixed(3)}`)}</title></rect>`);
    });
    // Group labels may hold "\n" for a second line.
    const cx = (M.l + gi * gw + gw / 2).toFixed(1);
    const lines = g.split('\n');
    parts.push(`<text x="${cx}" y="${M.t + ph + 14}" text-anchor="middle" font-size="10">${lines.map((l, li) => `<tspan x="${cx}" dy="${li ? 12 : 0}">${esc(l)}</tspan>`).join('')}</text>`);
  });
  let lx = M.l;
  series.forEach((s, si) => {
    parts.push(`<rect x="${lx}" y="${H - 30}" width="10" height="10" fill="${COLORS[si % COLORS.length]}"/><text x="${lx + 14}" y="${H - 21}">${esc(s)}</text>`);
    lx += 30 + s.length * 6.2;
  });
  return frame(opts.title, '', opts.yLabel, parts.join('\n'));
}
