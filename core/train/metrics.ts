/** Regression metrics on ln IC50 (pure functions, float64 accumulation). */

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i] - a[j]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && a[order[j + 1]] === a[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[order[t]] = avg;
    i = j + 1;
  }
  return r;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

export function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i] - y[i]) ** 2;
  return y.length ? Math.sqrt(s / y.length) : NaN;
}

/**
 * Mean over groups (e.g. drugs) of the Pearson correlation within the group (across its cell lines). Groups with
 * fewer than `minSize` pairs or no variance are skipped.
 */
export function meanGroupPearson(pred: ArrayLike<number>, y: ArrayLike<number>, group: ArrayLike<number>, minSize = 10): { mean: number; groups: number } {
  const by = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const g = group[i];
    let l = by.get(g);
    if (!l) by.set(g, (l = []));
    l.push(i);
  }
  let s = 0;
  let n = 0;
  for (const idx of by.values()) {
    if (idx.length < minSize) continue;
    const r = pearson(idx.map((i) => pred[i]), idx.map((i) => y[i]));
    if (Number.isFinite(r)) {
      s += r;
      n++;
    }
  }
  return { mean: n ? s / n : NaN, groups: n };
}

export interface RegressionMetrics {
  n: number;
  pearson: number;
  spearman: number;
  rmse: number;
  /** Mean per-drug Pearson across cell lines (drugs with ≥ 10 pairs). */
  perDrugPearson: number;
  drugs: number;
}

export function regressionMetrics(pred: ArrayLike<number>, y: ArrayLike<number>, drug: ArrayLike<number>): RegressionMetrics {
  const pd = meanGroupPearson(pred, y, drug);
  return { n: y.length, pearson: pearson(pred, y), spearman: spearman(pred, y), rmse: rmse(pred, y), perDrugPearson: pd.mean, drugs: pd.groups };
}

/** The q-quantile (0..1) with the conformal finite-sample correction: the ⌈(n+1)q⌉-th smallest value. */
export function conformalQuantile(scores: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(scores).sort();
  if (s.length === 0) return NaN;
  const k = Math.min(s.length, Math.ceil((s.length + 1) * q)) - 1;
  return s[Math.max(0, k)];
}
