/**
 * Fitting and nested evaluation of the mechanism-aware genotype transfer (core/predict/transfer.ts) on GDSC.
 *
 * Everything here works on the dense drug × cell-line response matrix. For a set of training drugs:
 * - the cell-line mean L(c) over the training drugs, each drug's mean M(d) of y − L over its lines, and its
 *   double-centred profile P_d(c) = y − M − L (NaN where not measured);
 * - per drug a ridge fit of P_d on the model's genotype features (the genotype-space form used for samples that are
 *   not reference lines); missing entries of the measured profile are filled from it.
 *
 * Nested evaluation (see core/train/oof-cache.ts for the two-tower predictions): for every outer fold f, the
 * transfer parameters (λ, weights, k, reliability power, per-tier gains) are chosen on the inner folds g ≠ f only,
 * each inner fold predicted from the drugs of neither f nor g; fold f is then predicted with those parameters from
 * all drugs not in f. Nothing of fold f chose anything that fold f reports.
 */
import { createHash } from 'node:crypto';
import { splitTargets, targetKey } from '../mechanism/targets.js';
import { tanimoto } from '../predict/infer.js';
import { addTransfer, mechanismKeys, NO_MECHANISM, reliabilities, TIERS, transferWeights, type EvidenceTier, type Mechanism, type Neighbour, type TierTable, type TransferParams } from '../predict/transfer.js';
import { conformalQuantile, pearson, spearman } from './metrics.js';
import type { Prepared } from './prepare.js';
import type { EvalSubgroup } from './subgroups.js';

export type MechanismMode = 'structure' | 'annotated';
export const MODES: MechanismMode[] = ['structure', 'annotated'];

/** Dense data shared by every fold. */
export interface DenseData {
  D: number;
  C: number;
  /** [D × C] ln IC50, NaN where not measured. */
  Y: Float32Array;
  /** [D × D] Tanimoto. */
  sims: Float64Array;
  /** Per drug: its declared mechanism as drugs.csv gives it. */
  mechanisms: Mechanism[];
  /** [C × F] model genotype inputs. */
  X: Float32Array;
  F: number;
}

export function denseData(prep: Prepared): DenseData {
  const D = prep.data.drugs.length;
  const C = prep.data.cellLines.cosmicIds.length;
  const Y = new Float32Array(D * C).fill(NaN);
  const { drug, cell, y } = prep.data.pairs;
  for (let p = 0; p < y.length; p++) Y[drug[p] * C + cell[p]] = y[p];
  const sims = new Float64Array(D * D);
  for (let a = 0; a < D; a++) {
    sims[a * D + a] = 1;
    for (let b = a + 1; b < D; b++) sims[a * D + b] = sims[b * D + a] = tanimoto(prep.raw[a].fingerprint, prep.raw[b].fingerprint);
  }
  const mechanisms = prep.data.drugs.map((g) => ({ targets: splitTargets(g.targets), pathway: g.pathway || null }));
  return { D, C, Y, sims, mechanisms, X: prep.genotypeDense, F: prep.genotypeDim };
}

export interface ProfileSet {
  /** Cell-line mean over the training drugs (global mean where a line has none). */
  L: Float64Array;
  /** Drug means M(d) (every drug, from its own measurements and L). */
  M: Float64Array;
  /** [D × C] measured profiles (NaN where missing). */
  P: Float32Array;
  /** [D × C] profiles with missing entries filled from the drug's ridge fit (training drugs only; 0 elsewhere). */
  filled: Float32Array;
  /** [D × C] ridge predictions cross-fitted over cell lines: what a non-reference panel gets. */
  ridgeCv: Float32Array;
  strength: Float64Array;
}

export interface RidgeFit {
  /** [D × F] coefficients for the listed drugs (others 0). */
  coef: Float32Array;
  intercept: Float64Array;
}

/** A Cholesky factor of XᵀX + αI over a set of lines (X centred on those lines); cached per line set. */
interface RidgeFactor {
  xm: Float64Array;
  chol: Float64Array;
}

const factorCache = new WeakMap<DenseData, Map<string, RidgeFactor>>();

function choleskyInPlace(A: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let s = A[j * n + j];
    for (let k = 0; k < j; k++) s -= A[j * n + k] * A[j * n + k];
    if (!(s > 0)) throw new Error('ridge: matrix not positive definite');
    const d = Math.sqrt(s);
    A[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = A[i * n + j];
      for (let k = 0; k < j; k++) t -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = t / d;
    }
  }
}

function ridgeFactor(dd: DenseData, lines: readonly number[], alpha: number): RidgeFactor {
  let byKey = factorCache.get(dd);
  if (!byKey) factorCache.set(dd, (byKey = new Map()));
  const key = `${alpha}:${createHash('sha1').update(Int32Array.from(lines)).digest('hex')}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const { F, X } = dd;
  const n = lines.length;
  const xm = new Float64Array(F);
  for (const c of lines) for (let f = 0; f < F; f++) xm[f] += X[c * F + f] / n;
  const A = new Float64Array(F * F);
  const xc = new Float64Array(F);
  for (const c of lines) {
    for (let f = 0; f < F; f++) xc[f] = X[c * F + f] - xm[f];
    for (let a = 0; a < F; a++) {
      const va = xc[a];
      if (va === 0) continue;
      const row = a * F;
      for (let b = 0; b <= a; b++) A[row + b] += va * xc[b];
    }
  }
  for (let a = 0; a < F; a++) A[a * F + a] += alpha;
  choleskyInPlace(A, F);
  const fac = { xm, chol: A };
  byKey.set(key, fac);
  return fac;
}

/** Solves L y = B (forward) or Lᵀ x = B (backward) in place for the lower-triangular factor L [F × F], B [F × m]. */
function substitute(chol: Float64Array, F: number, B: Float64Array, m: number, forward: boolean): void {
  for (let step = 0; step < F; step++) {
    const i = forward ? step : F - 1 - step;
    const row = i * m;
    for (let k = forward ? 0 : i + 1; forward ? k < i : k < F; k++) {
      const a = forward ? chol[i * F + k] : chol[k * F + i];
      if (a === 0) continue;
      const rk = k * m;
      for (let j = 0; j < m; j++) B[row + j] -= a * B[rk + j];
    }
    const di = chol[i * F + i];
    for (let j = 0; j < m; j++) B[row + j] /= di;
  }
}

/**
 * Ridge of every listed drug's profile (missing → 0) on the genotype features, fitted on the given lines. The
 * design is shared by all drugs, so its factor is computed once per line set and reused.
 */
export function ridgeProfiles(dd: DenseData, P: Float32Array, drugs: readonly number[], lines: readonly number[], alpha: number): RidgeFit {
  const { C, F, X } = dd;
  const n = lines.length;
  const { xm, chol } = ridgeFactor(dd, lines, alpha);
  const m = drugs.length;
  const B = new Float64Array(F * m);
  const ym = new Float64Array(m);
  drugs.forEach((d, j) => {
    let s = 0;
    for (const c of lines) {
      const v = P[d * C + c];
      if (Number.isFinite(v)) s += v;
    }
    ym[j] = s / n;
  });
  const r = new Float64Array(m);
  for (const c of lines) {
    drugs.forEach((d, j) => {
      const v = P[d * C + c];
      r[j] = (Number.isFinite(v) ? v : 0) - ym[j];
    });
    for (let f = 0; f < F; f++) {
      const x = X[c * F + f] - xm[f];
      if (x === 0) continue;
      const row = f * m;
      for (let j = 0; j < m; j++) B[row + j] += x * r[j];
    }
  }
  // Forward and back substitution with the cached factor, all right-hand sides at once.
  substitute(chol, F, B, m, true);
  substitute(chol, F, B, m, false);
  const coef = new Float32Array(dd.D * F);
  const intercept = new Float64Array(dd.D);
  drugs.forEach((d, j) => {
    let b0 = ym[j];
    for (let f = 0; f < F; f++) {
      coef[d * F + f] = B[f * m + j];
      b0 -= B[f * m + j] * xm[f];
    }
    intercept[d] = b0;
  });
  return { coef, intercept };
}

function ridgeApply(dd: DenseData, fit: RidgeFit, d: number, c: number): number {
  const { F, X } = dd;
  let v = fit.intercept[d];
  for (let f = 0; f < F; f++) {
    const x = X[c * F + f];
    if (x !== 0) v += x * fit.coef[d * F + f];
  }
  return v;
}

export const RIDGE_ALPHA = 100;

/** Profiles from the training drugs (mask over drugs). `ridgeCvFolds` > 0 also cross-fits the genotype-space form. */
export function profileSet(dd: DenseData, train: Uint8Array, ridgeCvFolds = 5, alpha = RIDGE_ALPHA): ProfileSet {
  const { D, C, Y } = dd;
  const L = new Float64Array(C);
  const n = new Float64Array(C);
  let gs = 0;
  let gn = 0;
  for (let d = 0; d < D; d++) {
    if (!train[d]) continue;
    for (let c = 0; c < C; c++) {
      const v = Y[d * C + c];
      if (Number.isFinite(v)) {
        L[c] += v;
        n[c]++;
        gs += v;
        gn++;
      }
    }
  }
  for (let c = 0; c < C; c++) L[c] = n[c] ? L[c] / n[c] : gs / Math.max(1, gn);
  const M = new Float64Array(D);
  const P = new Float32Array(D * C).fill(NaN);
  const strength = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let s = 0;
    let k = 0;
    for (let c = 0; c < C; c++) {
      const v = Y[d * C + c];
      if (Number.isFinite(v)) {
        s += v - L[c];
        k++;
      }
    }
    M[d] = k ? s / k : 0;
    let ss = 0;
    for (let c = 0; c < C; c++) {
      const v = Y[d * C + c];
      if (Number.isFinite(v)) {
        P[d * C + c] = v - L[c] - M[d];
        ss += (v - L[c] - M[d]) ** 2;
      }
    }
    strength[d] = k > 1 ? Math.sqrt(ss / (k - 1)) : 0;
  }
  const trainDrugs = Array.from({ length: D }, (_, d) => d).filter((d) => train[d]);
  const ridgeCv = new Float32Array(D * C);
  const filled = new Float32Array(D * C);
  if (ridgeCvFolds > 1) {
    for (let h = 0; h < ridgeCvFolds; h++) {
      const fitLines: number[] = [];
      const testLines: number[] = [];
      for (let c = 0; c < C; c++) (c % ridgeCvFolds === h ? testLines : fitLines).push(c);
      const fit = ridgeProfiles(dd, P, trainDrugs, fitLines, alpha);
      for (const d of trainDrugs) for (const c of testLines) ridgeCv[d * C + c] = ridgeApply(dd, fit, d, c);
    }
  }
  for (const d of trainDrugs) {
    for (let c = 0; c < C; c++) {
      const v = P[d * C + c];
      filled[d * C + c] = Number.isFinite(v) ? v : ridgeCv[d * C + c];
    }
  }
  return { L, M, P, filled, ridgeCv, strength };
}

// ------------------------------------------------------------------------------------------------
// Transfer predictions and the closed-form gain search
// ------------------------------------------------------------------------------------------------

export function neighbours(dd: DenseData, ps: ProfileSet, strengthPower: number, train: Uint8Array): Neighbour[] {
  // The median strength comes from the training drugs only.
  const rel = reliabilities(ps.strength, strengthPower, (d) => train[d] === 1);
  return dd.mechanisms.map((m, d) => {
    const k = mechanismKeys(m);
    return { targetKeys: k.keys, pathway: k.pathway, reliability: rel[d], mean: ps.M[d] };
  });
}

export interface DrugTransfer {
  drug: number;
  tier: EvidenceTier;
  /** Transfer profile with gain 1 ([C]): Σ w P / (λ + Σ w). */
  T: Float32Array;
  /** Evidence-weighted drug mean of the chosen drugs (NaN when none). */
  potency: number;
  /** Evidence-weighted standard deviation of the chosen drugs' means (NaN when none): the interval scale. */
  spread: number;
}

/** Transfer profiles (gain 1) of the test drugs from the training drugs. */
export function transferProfiles(dd: DenseData, profiles: Float32Array, nb: Neighbour[], train: Uint8Array, test: readonly number[], params: TransferParams, mode: MechanismMode): DrugTransfer[] {
  const { D, C } = dd;
  const p1: TransferParams = { ...params, gain: { target: 1, pathway: 1, neighbour: 1, structure: 0 }, potency: { target: 1, pathway: 1, neighbour: 1, structure: 0 } };
  return test.map((d) => {
    const mech = mode === 'annotated' ? mechanismKeys(dd.mechanisms[d]) : mechanismKeys(NO_MECHANISM);
    const tw = transferWeights(p1, nb, dd.sims.subarray(d * D, (d + 1) * D), mech, (e) => !train[e] || e === d);
    const T = new Float32Array(C);
    addTransfer(T, 0, C, tw, profiles);
    return { drug: d, tier: tw.tier, T, potency: tw.potency, spread: tw.spread };
  });
}

/** Per-drug sufficient statistics to score NPDP for any gain: a = base − L, t = T, b = y − L over measured lines. */
interface GainStats {
  tier: EvidenceTier;
  /** Measured lines, mean of base − L, mean of y − L, and the transferred potency minus the base's. */
  n: number;
  u: number;
  v: number;
  ab: number;
  tb: number;
  aa: number;
  at: number;
  tt: number;
  bb: number;
}

function gainStats(dd: DenseData, L: Float64Array, base: (d: number, c: number) => number, tr: DrugTransfer): GainStats | null {
  const { C, Y } = dd;
  const d = tr.drug;
  let n = 0;
  let sa = 0;
  let st = 0;
  let sb = 0;
  for (let c = 0; c < C; c++) {
    const y = Y[d * C + c];
    if (!Number.isFinite(y)) continue;
    n++;
    sa += base(d, c) - L[c];
    st += tr.T[c];
    sb += y - L[c];
  }
  if (n < 10) return null;
  const ma = sa / n;
  const mt = st / n;
  const mb = sb / n;
  const g: GainStats = { tier: tr.tier, n, u: mb - ma, v: Number.isFinite(tr.potency) ? tr.potency - ma : 0, ab: 0, tb: 0, aa: 0, at: 0, tt: 0, bb: 0 };
  for (let c = 0; c < C; c++) {
    const y = Y[d * C + c];
    if (!Number.isFinite(y)) continue;
    const a = base(d, c) - L[c] - ma;
    const t = tr.T[c] - mt;
    const b = y - L[c] - mb;
    g.ab += a * b;
    g.tb += t * b;
    g.aa += a * a;
    g.at += a * t;
    g.tt += t * t;
    g.bb += b * b;
  }
  return g;
}

function npdpAt(g: GainStats, beta: number): number {
  const den = (g.aa + 2 * beta * g.at + beta * beta * g.tt) * g.bb;
  return den > 0 ? (g.ab + beta * g.tb) / Math.sqrt(den) : NaN;
}

/**
 * Largest gain on the grid. Measured on the unseen-drug split (nested): a cap of 6 gives the same NPDP (0.223) but
 * overshoots amplitudes (global Pearson 0.33 below the two-tower's 0.38, RMSE 2.82, target-tier pair half-width
 * 4.45); 2 keeps RMSE lowest but halves the genotype effects (dabrafenib × BRAF_mut −1.4 against −4.4); 3 keeps
 * Pearson at the two-tower's level with effects of the measured size on median.
 */
export const MAX_GAIN = 3;
export const GAIN_GRID = Array.from({ length: 25 }, (_, i) => (i * MAX_GAIN) / 24);

export interface TierFit {
  gain: Record<EvidenceTier, number>;
  potency: Record<EvidenceTier, number>;
  score: number;
  perTier: Record<EvidenceTier, { drugs: number; npdp: number }>;
}

/**
 * Per tier, the gain of the transferred profile with the best mean NPDP (target, pathway; least squares for the
 * neighbour tier) and the least-squares potency weight ρ; the
 * score is the mean NPDP over all drugs with those gains. (A least-squares gain was tried: it keeps RMSE lower but
 * shrinks genotype effects to a tenth of their size — dabrafenib's BRAF-mutant effect −0.3 against −4.4 measured.)
 */
function fitTiers(stats: GainStats[]): TierFit {
  const gain: Record<EvidenceTier, number> = { target: 0, pathway: 0, neighbour: 0, structure: 0 };
  const potency: Record<EvidenceTier, number> = { target: 0, pathway: 0, neighbour: 0, structure: 0 };
  const perTier = {} as TierFit['perTier'];
  let total = 0;
  let n = 0;
  for (const tier of TIERS) {
    const gs = stats.filter((s) => s.tier === tier);
    if (tier !== 'structure') {
      // Gain: the grid value with the best mean NPDP of the tier's drugs (the genotype ranking is what the
      // prediction is for; the intervals are calibrated on the result, whatever its amplitude).
      let best = -Infinity;
      // The neighbour tier (structure only, no declared mechanism) takes the least-squares gain instead, relative
      // to each drug's profile variance: with it, unannotated compounds are no worse than the two-tower on any metric.
      if (tier === 'neighbour') {
        let num = 0;
        let den = 0;
        for (const g of gs) {
          if (!(g.bb > 0)) continue;
          num += (g.tb - g.at) / g.bb;
          den += g.tt / g.bb;
        }
        gain[tier] = den > 0 ? Math.max(0, Math.min(MAX_GAIN, num / den)) : 0;
      }
      for (const b of tier === 'neighbour' ? [] : GAIN_GRID) {
        let sum = 0;
        let k = 0;
        for (const g of gs) {
          const r = npdpAt(g, b);
          if (Number.isFinite(r)) {
            sum += r;
            k++;
          }
        }
        const m = k ? sum / k : -Infinity;
        if (m > best + 1e-9) {
          best = m;
          gain[tier] = b;
        }
      }
      // Potency weight ρ: least squares of the drug-level error on the transferred potency.
      let pn = 0;
      let pd = 0;
      for (const g of gs) {
        pn += g.n * g.u * g.v;
        pd += g.n * g.v * g.v;
      }
      potency[tier] = pd > 0 ? Math.max(0, Math.min(1, pn / pd)) : 0;
    }
    let sum = 0;
    let k = 0;
    for (const g of gs) {
      const r = npdpAt(g, gain[tier]);
      if (Number.isFinite(r)) {
        sum += r;
        k++;
      }
    }
    perTier[tier] = { drugs: gs.length, npdp: k ? sum / k : NaN };
    total += sum;
    n += k;
  }
  return { gain, potency, score: n ? total / n : NaN, perTier };
}

export interface GridPoint {
  targetJaccardPower: number;
  lambda: number;
  pathwayWeight: number;
  structureWeight: number;
  topK: number;
  strengthPower: number;
}

export const PARAM_GRID: GridPoint[] = (() => {
  const out: GridPoint[] = [];
  for (const targetJaccardPower of [0, 1]) for (const lambda of [0.25, 1, 4]) for (const pathwayWeight of [0.15, 0.4]) for (const structureWeight of [1, 10]) for (const topK of [10, 30]) for (const strengthPower of [0, 1])
    out.push({ targetJaccardPower, lambda, pathwayWeight, structureWeight, topK, strengthPower });
  return out;
})();

export const FIXED = { targetWeight: 1, simPower: 3, neighbourThreshold: 0.5 };

const ONES: Record<EvidenceTier, number> = { target: 1, pathway: 1, neighbour: 1, structure: 0 };

export function paramsOf(g: GridPoint, gain: Record<EvidenceTier, number> = ONES, potency: Record<EvidenceTier, number> = ONES, genotypeScale = 1): TransferParams {
  return { ...FIXED, ...g, gain, potency, genotypeScale };
}

/** One inner (or calibration) fold: training drugs, test drugs, their profile set and base (two-tower) predictions. */
export interface TuneFold {
  train: Uint8Array;
  test: number[];
  ps: ProfileSet;
  base: (d: number, c: number) => number;
}

export interface TuneResult {
  params: TransferParams;
  /** Inner mean NPDP per mode with the chosen parameters, and per tier (annotated mode). */
  score: number;
  perTier: Record<EvidenceTier, { drugs: number; npdp: number }>;
  /** The runner-up grid points (for the card's "how it was chosen" table). */
  top: { point: GridPoint; score: number }[];
}

/**
 * Chooses the parameters on the given folds: for every grid point, transfer profiles in both modes; per tier the
 * gain maximising the tier's mean NPDP (target / pathway from the annotated mode, neighbour from both modes
 * pooled); the grid point with the best mean NPDP over both modes wins.
 */
export function tune(dd: DenseData, folds: TuneFold[]): TuneResult {
  const scored: { point: GridPoint; fit: TierFit }[] = [];
  const nbCache = new Map<string, Neighbour[]>();
  const nbOf = (fi: number, f: TuneFold, gamma: number) => {
    const key = `${fi}:${gamma}`;
    let nb = nbCache.get(key);
    if (!nb) nbCache.set(key, (nb = neighbours(dd, f.ps, gamma, f.train)));
    return nb;
  };
  const statsOf = (point: GridPoint, source: 'measured' | 'genotype') => {
    const stats: GainStats[] = [];
    for (const [fi, f] of folds.entries()) {
      const nb = nbOf(fi, f, point.strengthPower);
      for (const mode of MODES) {
        const trs = transferProfiles(dd, source === 'measured' ? f.ps.filled : f.ps.ridgeCv, nb, f.train, f.test, paramsOf(point), mode);
        for (const tr of trs) {
          const g = gainStats(dd, f.ps.L, f.base, tr);
          if (g) stats.push(g);
        }
      }
    }
    return stats;
  };
  for (const point of PARAM_GRID) scored.push({ point, fit: fitTiers(statsOf(point, 'measured')) });
  scored.sort((a, b) => b.fit.score - a.fit.score);
  const best = scored[0];
  // Genotype-space profiles are noisier: one least-squares multiplier of the tier gains for them.
  let num = 0;
  let den = 0;
  for (const g of statsOf(best.point, 'genotype')) {
    const b = best.fit.gain[g.tier];
    num += b * (g.tb - g.at);
    den += b * b * g.tt;
  }
  const genotypeScale = den > 0 ? Math.max(0, Math.min(1.5, num / den)) : 0;
  return {
    params: paramsOf(best.point, best.fit.gain, best.fit.potency, Math.round(genotypeScale * 1000) / 1000),
    score: best.fit.score,
    perTier: best.fit.perTier,
    top: scored.slice(0, 5).map((s) => ({ point: s.point, score: s.fit.score })),
  };
}

// ------------------------------------------------------------------------------------------------
// Metrics
// ------------------------------------------------------------------------------------------------

/** Normalised per-drug Pearson: mean over drugs of Pearson(pred − L, y − L) across their lines. */
export function npdp(dd: DenseData, drugs: readonly number[], pred: (d: number, c: number) => number, L: (d: number) => Float64Array): { mean: number; perDrug: Map<number, number> } {
  const { C, Y } = dd;
  const per = new Map<number, number>();
  let s = 0;
  let n = 0;
  for (const d of drugs) {
    const a: number[] = [];
    const b: number[] = [];
    const Ld = L(d);
    for (let c = 0; c < C; c++) {
      const y = Y[d * C + c];
      if (!Number.isFinite(y)) continue;
      a.push(pred(d, c) - Ld[c]);
      b.push(y - Ld[c]);
    }
    if (a.length < 10) continue;
    const r = pearson(a, b);
    if (Number.isFinite(r)) {
      per.set(d, r);
      s += r;
      n++;
    }
  }
  return { mean: n ? s / n : NaN, perDrug: per };
}

/** Subgroup mean residuals and selectivity residuals of one drug (pred − measured), on its measured lines. */
export function groupResiduals(dd: DenseData, d: number, pred: (c: number) => number, sgs: EvalSubgroup[], minPairs = 5): { agg: number[]; sel: { sg: number; predicted: number; measured: number }[] } {
  const { C, Y } = dd;
  const agg: number[] = [];
  const sel: { sg: number; predicted: number; measured: number }[] = [];
  sgs.forEach((sg, gi) => {
    let pi = 0;
    let yi = 0;
    let ni = 0;
    let po = 0;
    let yo = 0;
    let no = 0;
    for (let c = 0; c < C; c++) {
      const y = Y[d * C + c];
      if (!Number.isFinite(y)) continue;
      const p = pred(c);
      if (sg.mask[c]) {
        pi += p;
        yi += y;
        ni++;
      } else {
        po += p;
        yo += y;
        no++;
      }
    }
    if (ni < minPairs) return;
    agg.push((pi - yi) / ni);
    if (no >= minPairs) sel.push({ sg: gi, predicted: po / no - pi / ni, measured: yo / no - yi / ni });
  });
  return { agg, sel };
}

export { conformalQuantile, spearman };

export function emptyTiers(v = NaN): TierTable {
  return { target: v, pathway: v, neighbour: v, structure: v };
}

export function tierKeysOf(dd: DenseData, d: number): string[] {
  return dd.mechanisms[d].targets.map(targetKey);
}
