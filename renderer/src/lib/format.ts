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

/** Fixed decimals, U+2212 minus, never "-0"; exponent from 1e9 on. */
export function formatFixed(v: number | null | undefined, decimals: number): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Math.abs(v) >= 1e9) return v.toExponential(2).replace('-', '−');
  const s = v.toFixed(decimals);
  return (s.startsWith('-') && Number(s) === 0 ? s.slice(1) : s).replace('-', '−');
}

/**
 * Decimals shown per column key (descriptor keys are RDKit's names). One format per column, in every view:
 * masses and surface areas to 0.1, logP and the topological indices to 0.01, QED and similarities to 0.001,
 * counts as integers. Columns not listed fall back to `formatNumber` (4 significant digits).
 */
export const COLUMN_DECIMALS: Readonly<Record<string, number>> = {
  exactmw: 4, amw: 1, tpsa: 1, labuteASA: 1, CrippenMR: 1,
  CrippenClogP: 2, FractionCSP3: 2, hallKierAlpha: 2, kappa1: 2, kappa2: 2, kappa3: 2, Phi: 2,
  chi0v: 2, chi1v: 2, chi2v: 2, chi3v: 2, chi4v: 2, chi0n: 2, chi1n: 2, chi2n: 2, chi3n: 2, chi4n: 2,
  QED: 3, qed: 3, similarity: 3, _similarity: 3, domainScore: 2, tanimoto: 2, desirability: 3,
  pIc50: 2, selectivity: 2, spread: 2,
};
/** Integer-valued columns (counts): shown without decimals. */
const COUNT_COLUMN = /^(Num[A-Z]|lipinskiHB[AD]$|lipinski_violations$|pains_alerts$|heavy_atoms$|id$|record_no$|source_id$|count$|members$|rank$)/;

/** Decimals of a column, or null when it has no fixed format. */
export function columnDecimals(key: string): number | null {
  if (Object.hasOwn(COLUMN_DECIMALS, key)) return COLUMN_DECIMALS[key];
  return COUNT_COLUMN.test(key) ? 0 : null;
}

/** A number in its column's format (`COLUMN_DECIMALS`); columns without one as `formatNumber`. */
export function formatColumn(key: string, v: number | null | undefined): string {
  const d = columnDecimals(key);
  return d === null ? formatNumber(v) : formatFixed(v, d);
}

/** A cell value; numbers in the format of their column when `key` is given. */
export function formatValue(v: number | string | boolean | null | undefined, type?: 'number' | 'text' | 'boolean', key?: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean' || type === 'boolean') return v === true || v === 1 || v === 'true' ? 'yes' : v === false || v === 0 || v === 'false' ? 'no' : String(v);
  if (typeof v === 'number') return key ? formatColumn(key, v) : formatNumber(v);
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

/**
 * A concentration given in µM, in the unit that keeps it readable: nM below 1 µM (never "0.00 µM"), µM up to
 * 1000 µM, mM above; 3 significant digits.
 */
export function formatConcentration(uM: number | null | undefined): string {
  if (uM === null || uM === undefined || Number.isNaN(uM)) return '';
  if (!Number.isFinite(uM)) return uM > 0 ? '∞' : '0';
  const r = Number(uM.toPrecision(3));
  const [v, unit] = r < 1 ? [r * 1000, 'nM'] : r >= 1000 ? [r / 1000, 'mM'] : [r, 'µM'];
  const d = v === 0 ? 0 : Math.max(0, Math.min(4, 2 - Math.floor(Math.log10(Math.abs(v)))));
  return `${formatFixed(v, d)} ${unit}`;
}

/** IC50 from ln IC50 (µM), in nM/µM/mM (`formatConcentration`). */
export function formatIc50(lnIc50: number | null | undefined): string {
  return lnIc50 === null || lnIc50 === undefined ? '' : formatConcentration(Math.exp(lnIc50));
}

/** pIC50 = −log10(IC50 / M) from ln IC50 (µM). */
export function pIc50FromLn(lnIc50: number): number {
  return 6 - lnIc50 / Math.LN10;
}

/**
 * A difference of ln IC50 as a difference of log10 units (Δ pIC50 when the sign is "more potent = positive"):
 * Δ log10 = Δ ln / ln 10. Every potency difference the views show is in log10 units: 1 = 10-fold.
 */
export function lnToLog10(d: number): number;
export function lnToLog10(d: number | null | undefined): number | null;
export function lnToLog10(d: number | null | undefined): number | null {
  return d === null || d === undefined ? null : d / Math.LN10;
}

/** A log10 quantity (pIC50, Δ pIC50, SD of log10 IC50) with 2 decimals. */
export function formatLog10(v: number | null | undefined): string {
  return formatFixed(v, 2);
}

/** How to read a Δ pIC50 (tooltip text). */
export const DELTA_PIC50_HELP = 'Δ pIC50 in log10 units: +1 means 10-fold more potent (lower IC50), −1 means 10-fold less potent; 0.3 ≈ 2-fold.';

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
