/**
 * Drug-grouped evaluation of calibration by measured lines (used by the bench and the tests): for each
 * outer fold, the basis comes from the training drugs, the hyperparameters from an inner split of them
 * (inner basis drugs vs inner residual drugs), and every held-out drug gets K random lines measured and
 * the rest predicted. The prior is `prior(drug, fold)` or, by default, the cell-line-mean baseline of the
 * fold's training drugs (line mean + mean drug offset). Reports per K: RMSE and per-drug Pearson on the
 * unmeasured lines, global Pearson over all of them, normalised per-drug Pearson (line means subtracted), 90 % coverage and half-width.
 */
import { pearson } from '../train/metrics.js';
import type { GdscData } from '../train/data.js';
import { makeRng } from '../train/twotower.js';
import { zFor } from '../util/normal.js';
import { calibrate, contrastVariance, doubleCentre, fitHyper, profileBasis, suggestLines, type CalibrationHyper, type ProfileBasis } from './calibrate.js';

export interface MeasuredEvalRow {
  k: number;
  drugs: number;
  rmse: number;
  /** Pearson over every unmeasured pair of every held-out drug (potency differences between drugs included). */
  pearson: number;
  perDrugPearson: number;
  npdp: number;
  coverage: number;
  halfWidth: number;
}

export interface MeasuredEvalOptions {
  folds: number;
  ks: number[];
  seed: number;
  /** Level of the reported interval. */
  level?: number;
  /** How the measured lines are picked: at random, or the greedy panel-wide choice of `suggestLines` (one order per fold, filtered to the lines the drug was measured on). */
  choose?: 'random' | 'suggest';
  onFold?: (fold: number, hyper: CalibrationHyper) => void;
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Response matrix rows per drug group (NaN = not measured), lines in data order. */
export function responseRows(data: GdscData): Float64Array[] {
  const nL = data.cellLines.cosmicIds.length;
  const rows = data.drugs.map(() => new Float64Array(nL).fill(NaN));
  const { drug, cell, y } = data.pairs;
  for (let i = 0; i < y.length; i++) rows[drug[i]][cell[i]] = y[i];
  return rows;
}

interface FoldSetup {
  test: number[];
  /** Line means of the fold's training drugs (NaN-free) and the prior of a held-out drug. */
  lineMean: Float64Array;
  naive: (d: number) => Float64Array;
  basis: ProfileBasis;
  hyper: CalibrationHyper;
}

/** Drug-grouped folds, each with its basis (training drugs) and hyperparameters (an inner split of them). */
function* drugFolds(data: GdscData, R: Float64Array[], opts: MeasuredEvalOptions, prior?: (drug: number, trainDrugs: number[]) => Float64Array): Generator<FoldSetup> {
  const nL = data.cellLines.cosmicIds.length;
  const r = makeRng(opts.seed);
  const order = shuffle(data.drugs.map((_, i) => i), r);
  const fold = new Int32Array(order.length);
  order.forEach((d, i) => (fold[d] = i % opts.folds));
  const rows = Int32Array.from({ length: nL }, (_, i) => i);
  for (let f = 0; f < opts.folds; f++) {
    const train = order.filter((d) => fold[d] !== f);
    const test = order.filter((d) => fold[d] === f);
    const basisPrior = (drugs: number[]) => {
      const dc = doubleCentre(drugs.map((d) => R[d]), nL);
      let off = 0;
      for (const m of dc.drugMean) off += m;
      off /= Math.max(1, dc.drugMean.length);
      // A line no training drug was measured on takes the mean of the line means.
      const known = [...dc.lineMean].filter(Number.isFinite);
      const fallback = known.reduce((s, v) => s + v, 0) / Math.max(1, known.length);
      const lineMean = Float64Array.from(dc.lineMean, (m) => (Number.isFinite(m) ? m : fallback));
      return { dc, lineMean, naive: (d: number) => (prior ? prior(d, drugs) : Float64Array.from(lineMean, (m) => m + off)) };
    };
    // Hyperparameters on an inner split: basis from 80 % of the training drugs, residuals of the other 20 %.
    const inner = train.filter((_, i) => i % 5 !== 0);
    const held = train.filter((_, i) => i % 5 === 0);
    const ib = basisPrior(inner);
    const innerBasis = profileBasis(ib.dc.profiles, nL);
    const residuals = held.map((d) => {
      const p = ib.naive(d);
      return Float64Array.from(R[d], (v, l) => v - p[l]);
    });
    const hyper = fitHyper(innerBasis, residuals, rows);
    opts.onFold?.(f, hyper);
    const ob = basisPrior(train);
    yield { test, lineMean: ob.lineMean, naive: ob.naive, basis: profileBasis(ob.dc.profiles, nL), hyper };
  }
}

export function evaluateMeasured(data: GdscData, opts: MeasuredEvalOptions, prior?: (drug: number, trainDrugs: number[]) => Float64Array): MeasuredEvalRow[] {
  const R = responseRows(data);
  const nL = data.cellLines.cosmicIds.length;
  const level = opts.level ?? 0.9;
  const z = zFor(level);
  const acc = opts.ks.map((k) => ({ k, se: 0, n: 0, cover: 0, hw: 0, pd: [] as number[], np: [] as number[], allP: [] as number[], allY: [] as number[] }));
  const rows = Int32Array.from({ length: nL }, (_, i) => i);
  for (const { test, lineMean, naive, basis, hyper } of drugFolds(data, R, opts, prior)) {
    const kMax = Math.max(...opts.ks);
    const suggested = opts.choose === 'suggest' ? suggestLines(basis, hyper, null, [...rows], Math.min(nL, kMax * 3)).lines : null;
    for (const d of test) {
      const measuredLines = [...Array(nL).keys()].filter((l) => Number.isFinite(R[d][l]));
      if (measuredLines.length < 50) continue;
      const p = naive(d);
      const has = new Set(measuredLines);
      const perm = suggested ? suggested.filter((l) => has.has(l)) : shuffle([...measuredLines], makeRng(opts.seed * 7919 + d));
      for (const a of acc) {
        const meas = perm.slice(0, a.k).map((l) => ({ line: l, value: R[d][l] }));
        const isMeasured = new Set(meas.map((m) => m.line));
        const c = calibrate(basis, hyper, p, rows, meas, (l) => p[l]);
        const pr: number[] = [];
        const ys: number[] = [];
        const prn: number[] = [];
        const ysn: number[] = [];
        for (const l of measuredLines) {
          if (isMeasured.has(l)) continue;
          const y = R[d][l];
          const e = y - c.mean[l];
          a.se += e * e;
          a.n++;
          if (Math.abs(e) <= z * c.sd[l]) a.cover++;
          a.hw += z * c.sd[l];
          pr.push(c.mean[l]);
          ys.push(y);
          prn.push(c.mean[l] - lineMean[l]);
          ysn.push(y - lineMean[l]);
        }
        for (let i = 0; i < pr.length; i++) {
          a.allP.push(pr[i]);
          a.allY.push(ys[i]);
        }
        const q = pearson(pr, ys);
        if (Number.isFinite(q)) a.pd.push(q);
        // The baseline (K = 0 with the naive prior) predicts a constant normalised response: Pearson 0, not rounding noise.
        const spread = Math.max(...prn) - Math.min(...prn);
        const qn = spread > 1e-9 ? pearson(prn, ysn) : 0;
        a.np.push(Number.isFinite(qn) ? qn : 0);
      }
    }
  }
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
  return acc.map((a) => ({ k: a.k, drugs: a.np.length, rmse: Math.sqrt(a.se / Math.max(1, a.n)), pearson: pearson(a.allP, a.allY), perDrugPearson: mean(a.pd), npdp: mean(a.np), coverage: a.cover / Math.max(1, a.n), halfWidth: a.hw / Math.max(1, a.n) }));
}

export interface SelectivityEvalRow {
  k: number;
  subgroup: string;
  drugs: number;
  /** Mean absolute error of the subgroup-minus-rest contrast (ln), measured contrast over all the drug's lines. */
  mae: number;
  /** Share of drugs whose measured contrast lies in the 90 % interval, and the median half-width. */
  coverage: number;
  medianHalfWidth: number;
  /**
   * Coverage of the measured contrast by the predictive interval: the contrast's posterior variance plus the noise
   * (β) of the lines it averages that were not measured — the measured contrast is itself a noisy number.
   */
  predictiveCoverage: number;
}

/**
 * Which lines to measure, judged on what the suggestion optimises: a subgroup's selectivity (mean over the
 * subgroup's lines minus the rest's). Per K, drugs held out as in `evaluateMeasured`; the K lines are random or the
 * greedy choice of `suggestLines` for that subgroup's contrast (one order per fold, filtered to the lines the drug
 * was measured on). Reports the contrast's error against the drug's measured contrast (all its lines) and the
 * interval (noise-free posterior variance of the contrast given the measured lines, `contrastVariance`).
 */
export function evaluateSelectivity(data: GdscData, opts: MeasuredEvalOptions & { subgroups: string[] }): SelectivityEvalRow[] {
  const R = responseRows(data);
  const nL = data.cellLines.cosmicIds.length;
  const z = zFor(opts.level ?? 0.9);
  const F = data.genotype.features.length;
  const rows = Int32Array.from({ length: nL }, (_, i) => i);
  const members = opts.subgroups.map((name) => {
    const j = data.genotype.features.findIndex((f) => f.name === name);
    if (j < 0) throw new Error(`no genotype feature ${name}`);
    return Uint8Array.from({ length: nL }, (_, l) => data.genotype.matrix[l * F + j]);
  });
  const acc = opts.subgroups.flatMap((subgroup, g) => opts.ks.map((k) => ({ k, g, subgroup, err: [] as number[], hw: [] as number[], cover: 0, coverPred: 0 })));
  const kMax = Math.max(...opts.ks);
  for (const { test, naive, basis, hyper } of drugFolds(data, R, opts)) {
    const suggested = members.map((m) => {
      if (opts.choose !== 'suggest') return null;
      const nIn = m.reduce((a, v) => a + v, 0);
      const c = Float64Array.from(m, (v) => (v ? 1 / nIn : -1 / (nL - nIn)));
      return suggestLines(basis, hyper, c, [...rows], Math.min(nL, kMax * 3)).lines;
    });
    for (const d of test) {
      const measuredLines = [...Array(nL).keys()].filter((l) => Number.isFinite(R[d][l]));
      if (measuredLines.length < 50) continue;
      const p = naive(d);
      const has = new Set(measuredLines);
      members.forEach((m, g) => {
        const inG = measuredLines.filter((l) => m[l]);
        const outG = measuredLines.length - inG.length;
        if (inG.length < 3 || outG < 3) return;
        const c = new Float64Array(nL);
        for (const l of measuredLines) c[l] = m[l] ? 1 / inG.length : -1 / outG;
        let truth = 0;
        for (const l of measuredLines) truth += c[l] * R[d][l];
        const sug = suggested[g];
        const perm = sug ? sug.filter((l) => has.has(l)) : shuffle([...measuredLines], makeRng(opts.seed * 7919 + d));
        for (const a of acc) {
          if (a.g !== g) continue;
          const lines = perm.slice(0, a.k);
          const cal = calibrate(basis, hyper, p, rows, lines.map((l) => ({ line: l, value: R[d][l] })), (l) => p[l]);
          let pred = 0;
          for (const l of measuredLines) pred += c[l] * cal.mean[l];
          const v = contrastVariance(basis, hyper, c, lines);
          const hw = z * Math.sqrt(v);
          const known = new Set(lines);
          let noise = 0;
          for (const l of measuredLines) if (!known.has(l)) noise += c[l] * c[l];
          a.err.push(Math.abs(pred - truth));
          a.hw.push(hw);
          if (Math.abs(pred - truth) <= hw) a.cover++;
          if (Math.abs(pred - truth) <= z * Math.sqrt(v + hyper.beta * noise)) a.coverPred++;
        }
      });
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length ? s[s.length >> 1] : NaN;
  };
  return acc.map((a) => ({ k: a.k, subgroup: a.subgroup, drugs: a.err.length, mae: a.err.reduce((x, y) => x + y, 0) / Math.max(1, a.err.length), coverage: a.cover / Math.max(1, a.err.length), medianHalfWidth: median(a.hw), predictiveCoverage: a.coverPred / Math.max(1, a.err.length) }));
}
