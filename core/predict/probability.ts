/**
 * Probability of response: P(ln IC50 < threshold) for a prediction, from the calibrated predictive
 * distribution. The distribution is empirical, not assumed normal: the residuals (measured −
 * predicted) of drug-grouped out-of-fold predictions in the same evidence tier, kept as quantiles.
 * So p = F_r(threshold − prediction), where F_r is the CDF of those residuals; on the folds it was
 * built from, it is calibrated by construction, and `reliability` checks it on folds it was not.
 *
 * Default threshold: 1 µM (ln IC50 = 0). It is the usual cut for cellular potency of a lead (an
 * IC50 below 1 µM in a cell line), and below the top of GDSC's screened range for most drugs;
 * users set their own (`thresholdUm`). Subgroup means use the distribution of subgroup-mean
 * residuals, which is narrower than that of single lines.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EvidenceTier } from '../api/contract.js';
import { normalCdf, zFor } from '../util/normal.js';

/**
 * P(ln IC50 < threshold) of a prediction with a central interval [low, high] at `level`, reading the
 * interval as a normal predictive distribution (σ = half-width / z). Null when there is no interval.
 * This is what ranked rows carry (`pResponse`): the interval is the calibrated one of the row's
 * evidence tier, so the probability follows its calibration; `evaluate --mechanism` checks it.
 */
export function pResponseOfInterval(prediction: number, low: number, high: number, thresholdLnUm = 0, z = Z90): number | null {
  const hw = (high - low) / 2;
  if (!(hw > 0) || !Number.isFinite(prediction)) return null;
  return normalCdf((thresholdLnUm - prediction) / (hw / z));
}

/** Residual quantiles at levels (i + 0.5) / n, ascending. */
export interface ResidualDistribution {
  quantiles: number[];
}

export const DEFAULT_THRESHOLD_UM = 1;

const Z90 = zFor(0.9);

/** ln IC50 (µM) of a threshold in µM. */
export function thresholdLn(thresholdUm = DEFAULT_THRESHOLD_UM): number {
  if (!(thresholdUm > 0) || !Number.isFinite(thresholdUm)) throw new RangeError(`response threshold ${thresholdUm} µM: give a concentration > 0`);
  return Math.log(thresholdUm);
}

/** `n` quantiles of the finite residuals (type 7 interpolation). */
export function residualDistribution(residuals: ArrayLike<number>, n = 99): ResidualDistribution {
  const xs = Array.from(residuals).filter(Number.isFinite).sort((a, b) => a - b);
  if (xs.length < 20) throw new RangeError(`a residual distribution needs at least 20 residuals, got ${xs.length}`);
  const quantiles: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = (i + 0.5) / n;
    const h = (xs.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(xs.length - 1, lo + 1);
    quantiles.push(xs[lo] + (h - lo) * (xs[hi] - xs[lo]));
  }
  return { quantiles };
}

/** P(residual ≤ x): linear between the quantile points; beyond the outermost ones, half a step toward 0 or 1. */
export function residualCdf(d: ResidualDistribution, x: number): number {
  const q = d.quantiles;
  const n = q.length;
  if (!Number.isFinite(x)) return x > 0 ? 1 : 0;
  if (x <= q[0]) return 0.5 / n / 2;
  if (x >= q[n - 1]) return 1 - 0.5 / n / 2;
  // Binary search for q[i] ≤ x < q[i+1].
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (q[mid] <= x) lo = mid;
    else hi = mid;
  }
  const span = q[hi] - q[lo];
  const f = span > 0 ? (x - q[lo]) / span : 0.5;
  return (lo + 0.5 + f) / n;
}

/** P(ln IC50 < threshold) for a prediction (ln IC50, µM) with residual distribution d. */
export function pResponse(d: ResidualDistribution, prediction: number, thresholdLnUm = 0): number {
  return residualCdf(d, thresholdLnUm - prediction);
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  n: number;
  meanP: number;
  observed: number;
}

export interface Reliability {
  bins: ReliabilityBin[];
  brier: number;
  /** Brier score of always predicting the base rate (climatology). */
  brierBaseRate: number;
  baseRate: number;
  n: number;
}

/** Predicted probabilities in equal-width bins vs the observed frequency; Brier score. */
export function reliability(p: ArrayLike<number>, outcome: ArrayLike<number>, nBins = 10): Reliability {
  const bins: ReliabilityBin[] = Array.from({ length: nBins }, (_, i) => ({ lo: i / nBins, hi: (i + 1) / nBins, n: 0, meanP: 0, observed: 0 }));
  let se = 0;
  let pos = 0;
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i];
    const o = outcome[i];
    if (!Number.isFinite(pi) || !Number.isFinite(o)) continue;
    const b = bins[Math.min(nBins - 1, Math.floor(pi * nBins))];
    b.n++;
    b.meanP += pi;
    b.observed += o;
    se += (pi - o) ** 2;
    pos += o;
    n++;
  }
  for (const b of bins) {
    if (b.n) {
      b.meanP /= b.n;
      b.observed /= b.n;
    }
  }
  const base = n ? pos / n : NaN;
  return { bins, brier: n ? se / n : NaN, brierBaseRate: base * (1 - base), baseRate: base, n };
}

// ------------------------------------------------------------------------------------------------
// Shipped calibration: residual distributions per evidence tier, optionally per prediction stratum
// ------------------------------------------------------------------------------------------------

/**
 * Signed residuals (measured − predicted, ln µM) of one tier. `bounds` cut the prediction axis into
 * `quantiles.length` strata (ascending; empty: one distribution for every prediction); stratum i holds
 * predictions in [bounds[i-1], bounds[i]).
 */
export interface TierCalibration {
  bounds: number[];
  quantiles: number[][];
  /** Residuals the distributions were built from. */
  n: number;
}

export type CalibrationKind = 'pair' | 'aggregate';

/** `probability.json` beside a model (written by `evaluate --mechanism`, checksummed in model.json `probability`). */
export interface ProbabilityCalibrationFile {
  format: 'strata-probability/1';
  method: string;
  /** Per-line predictions and subgroup means (mean ln IC50 over a subgroup's lines). */
  pair: Record<EvidenceTier, TierCalibration>;
  aggregate: Record<EvidenceTier, TierCalibration>;
  calibratedOn: string;
  provenance?: unknown;
}

/** Distributions of one tier from (prediction, residual) pairs: `strata` equal-count strata of the prediction. */
export function tierCalibration(pred: ArrayLike<number>, resid: ArrayLike<number>, strata = 1, n = 99): TierCalibration {
  const idx = Array.from({ length: pred.length }, (_, i) => i).filter((i) => Number.isFinite(pred[i]) && Number.isFinite(resid[i]));
  idx.sort((a, b) => pred[a] - pred[b]);
  const m = Math.max(1, Math.min(strata, Math.floor(idx.length / 20)));
  const bounds: number[] = [];
  const quantiles: number[][] = [];
  for (let s = 0; s < m; s++) {
    const part = idx.slice(Math.floor((s * idx.length) / m), Math.floor(((s + 1) * idx.length) / m));
    if (s > 0) bounds.push(pred[part[0]]);
    quantiles.push(residualDistribution(part.map((i) => resid[i]), n).quantiles);
  }
  return { bounds, quantiles, n: idx.length };
}

/** P(ln IC50 < threshold) of a prediction under a tier's calibration. */
export function pResponseCalibrated(tc: TierCalibration, prediction: number, thresholdLnUm = 0): number {
  let s = 0;
  while (s < tc.bounds.length && prediction >= tc.bounds[s]) s++;
  return residualCdf({ quantiles: tc.quantiles[s] }, thresholdLnUm - prediction);
}

/** How a run turns predictions into probabilities: the threshold and, when the model ships one, its calibration. */
export interface ResponseModel {
  thresholdUm: number;
  thresholdLn: number;
  calibration: ProbabilityCalibrationFile | null;
}

export function responseModel(calibration: ProbabilityCalibrationFile | null, thresholdUm = DEFAULT_THRESHOLD_UM): ResponseModel {
  return { thresholdUm, thresholdLn: thresholdLn(thresholdUm), calibration };
}

/**
 * P(ln IC50 < threshold) of a prediction: from the model's empirical residual distribution of the tier when it has
 * one, else reading the interval [low, high] as a normal distribution (a lab's own model without `probability.json`).
 */
export function pResponseOf(rm: ResponseModel, kind: CalibrationKind, tier: EvidenceTier, prediction: number, low: number, high: number): number | null {
  if (!Number.isFinite(prediction)) return null;
  const tc = rm.calibration?.[kind]?.[tier];
  if (tc) return pResponseCalibrated(tc, prediction, rm.thresholdLn);
  return pResponseOfInterval(prediction, low, high, rm.thresholdLn);
}

/** The response model of a run with a loaded model: its `probability.json` when its manifest names one. */
export function modelResponse(model: { dir: string; manifest: { probability?: { file: string; sha256: string } } }, thresholdUm = DEFAULT_THRESHOLD_UM): ResponseModel {
  const p = model.manifest.probability;
  return responseModel(p ? loadCalibration(model.dir, p.file, p.sha256) : null, thresholdUm);
}

const TIER_NAMES: readonly EvidenceTier[] = ['target', 'pathway', 'neighbour', 'structure'];

/** Checks the shape of a calibration file; throws naming the field. */
export function checkCalibration(x: unknown, where: string): ProbabilityCalibrationFile {
  const f = x as ProbabilityCalibrationFile;
  if (!f || f.format !== 'strata-probability/1') throw new Error(`${where}: format is not strata-probability/1`);
  for (const kind of ['pair', 'aggregate'] as const) {
    for (const t of TIER_NAMES) {
      const tc = f[kind]?.[t];
      const ok = tc && Array.isArray(tc.bounds) && Array.isArray(tc.quantiles) && tc.quantiles.length === tc.bounds.length + 1 &&
        tc.quantiles.every((q) => Array.isArray(q) && q.length >= 2 && q.every((v, i) => Number.isFinite(v) && (i === 0 || v >= q[i - 1])));
      if (!ok) throw new Error(`${where}: ${kind}.${t} is not a list of ascending residual quantiles per prediction stratum`);
    }
  }
  return f;
}

const loaded = new Map<string, { key: string; cal: ProbabilityCalibrationFile }>();

/** A model's calibration file, checked against the manifest's sha256 (cached per file and mtime). */
export function loadCalibration(dir: string, file: string, sha256: string): ProbabilityCalibrationFile {
  const path = join(dir, file);
  const st = statSync(path);
  const key = `${st.mtimeMs}:${st.size}:${sha256}`;
  const hit = loaded.get(path);
  if (hit && hit.key === key) return hit.cal;
  const text = readFileSync(path);
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== sha256) throw new Error(`${path}: manifest says sha256 ${sha256}, the file has ${sha}`);
  const cal = checkCalibration(JSON.parse(text.toString('utf8')), path);
  loaded.set(path, { key, cal });
  return cal;
}
