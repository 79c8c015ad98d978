/** Number and text formatting for dense scientific tables. Pure; no DOM. */

/**
 * Fixed decimals by magnitude (383.4, 16.07, 1.785, 0.199), exponent outside 1e-3..1e6; integers
 * stay integers; never "-0". Minus is U+2212 for legibility in dense tables.
 */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return v.toString().replace('-', '−');
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(Math.max(1, digits - 2)).replace('-', '−');
  const whole = a >= 1 ? Math.floor(Math.log10(a)) + 1 : 1;
  const d = Math.max(0, Math.min(digits - 1, digits - whole));
  const s = v.toFixed(d);
  return (s.startsWith('-') && Number(s) === 0 ? s.slice(1) : s).replace('-', '−');
}

export function formatValue(v: number | string | boolean | null | undefined, type?: 'number' | 'text' | 'boolean'): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean' || type === 'boolean') return v === true || v === 1 || v === 'true' ? 'yes' : v === false || v === 0 || v === 'false' ? 'no' : String(v);
  if (typeof v === 'number') return formatNumber(v);
  return v;
}

export function formatInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatRate(perSecond: number, unit = 'rec'): string {
  if (!perSecond) return '—';
  return `${perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1)} ${unit}/s`;
}

/** IC50 in µM from ln IC50 (µM), for display next to the log value. */
export function ic50uM(lnIc50: number): number {
  return Math.exp(lnIc50);
}

export function basename(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

export function dirname(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i <= 0 ? (i === 0 ? p.slice(0, 1) : '.') : p.slice(0, i);
}

/** Local date and time as YYYY-MM-DD HH:MM (sortable, unambiguous). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** How a compound is named in a view: its display name, else its external id, else `#id`. */
export function compoundLabel(c: { displayName?: string | null; name: string | null }, id: number): string {
  return c.displayName || c.name || `#${id}`;
}

/** Tooltip naming both the display name and the external id when they differ. */
export function compoundTitle(c: { displayName?: string | null; name: string | null }, id: number): string {
  return [c.displayName, c.name, `#${id}`].filter((x, i, a) => x && a.indexOf(x) === i).join(' · ');
}

/** Header of a probability of response: "P(IC50 < 1 µM)" (the run's threshold; 1 µM for runs without one). */
export function pResponseLabel(thresholdUm: number | null | undefined): string {
  return `P(IC50 < ${formatNumber(thresholdUm ?? 1, 3)} µM)`;
}

/** A probability as a whole percentage, "–" when there is none. */
export function formatProbability(p: number | null | undefined): string {
  return p == null || !Number.isFinite(p) ? '–' : `${Math.round(p * 100)} %`;
}
