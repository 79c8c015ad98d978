/**
 * Probability of response, checked nested: for each outer fold f, the residual distributions (or the normal σ) are
 * built from the out-of-fold residuals of the drugs of the other folds only, and the probabilities of fold f's
 * pairs and subgroup means are compared with what was measured (reliability bins, Brier score).
 *
 * Methods compared (the card reports all; the one with the best held-out reliability — lowest expected calibration
 * error, summed over both modes and both units — is shipped; the Brier scores are reported next to it):
 * - `normal`: the tier's interval read as a normal distribution, σ = cross-fitted 90 % half-width / z (what ranked
 *   rows carried before `probability.json`);
 * - `empirical`: p = F_r(threshold − prediction), F_r the CDF of the tier's signed residuals (measured − predicted);
 * - `stratified`: the same with one residual distribution per quartile of the prediction within the tier, because
 *   the error of a prediction depends on where it lies (a very potent prediction is more often too potent).
 */
import type { EvidenceTier } from '../api/contract.js';
import { pResponseCalibrated, reliability, thresholdLn, tierCalibration, type CalibrationKind, type ProbabilityCalibrationFile, type Reliability, type TierCalibration } from '../predict/probability.js';
import { normalCdf, zFor } from '../util/normal.js';
import { conformalQuantile } from './metrics.js';

export const PROBABILITY_METHODS = ['normal', 'empirical', 'stratified'] as const;
export type ProbabilityMethod = (typeof PROBABILITY_METHODS)[number];
const TIERS: readonly EvidenceTier[] = ['target', 'pathway', 'neighbour', 'structure'];

/** Prediction quartiles of the `stratified` method. */
export const STRATA = 4;
/** A tier with fewer calibration residuals borrows the structure tier's distribution (as the intervals do). */
export const MIN_TIER_UNITS = 200;

/** Held-out units (pairs or subgroup means) of one predictor: fold of the drug, evidence tier, prediction, measured. */
export interface ProbabilityUnits {
  fold: number[];
  tier: EvidenceTier[];
  pred: number[];
  y: number[];
}

export function emptyUnits(): ProbabilityUnits {
  return { fold: [], tier: [], pred: [], y: [] };
}

export function pushUnit(u: ProbabilityUnits, fold: number, tier: EvidenceTier, pred: number, y: number): void {
  if (!Number.isFinite(pred) || !Number.isFinite(y)) return;
  u.fold.push(fold);
  u.tier.push(tier);
  u.pred.push(pred);
  u.y.push(y);
}

/** One tier's probability function, built from calibration units. */
type TierFn = (pred: number, thr: number) => number;

function indexesOf(u: ProbabilityUnits, keep: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < u.pred.length; i++) if (keep(i)) out.push(i);
  return out;
}

/** The calibration of one tier by a method, from the units `idx` of `u`. */
function tierFn(u: ProbabilityUnits, idx: number[], method: ProbabilityMethod, level: number): TierFn {
  if (method === 'normal') {
    const sigma = conformalQuantile(idx.map((i) => Math.abs(u.y[i] - u.pred[i])), level) / zFor(level);
    return (pred, thr) => normalCdf((thr - pred) / sigma);
  }
  const tc = tierCalibration(idx.map((i) => u.pred[i]), idx.map((i) => u.y[i] - u.pred[i]), method === 'stratified' ? STRATA : 1);
  return (pred, thr) => pResponseCalibrated(tc, pred, thr);
}

/** Calibration units of a tier: its own, or the structure tier's when it has fewer than MIN_TIER_UNITS. */
function tierUnits(calib: ProbabilityUnits, tier: EvidenceTier, keep: (i: number) => boolean): number[] {
  const own = indexesOf(calib, (i) => calib.tier[i] === tier && keep(i));
  if (own.length >= MIN_TIER_UNITS || tier === 'structure') return own;
  return indexesOf(calib, (i) => calib.tier[i] === 'structure' && keep(i));
}

/**
 * Probabilities of the `test` units, each fold's from calibration units of the other folds only. `calib` are the
 * residuals the tiers are calibrated from (may be the pooled units of several modes); `test` the predictor checked.
 */
export function heldOutProbabilities(calib: ProbabilityUnits, test: ProbabilityUnits, method: ProbabilityMethod, thresholdLnUm: number, level = 0.9): number[] {
  const p = new Array<number>(test.pred.length).fill(NaN);
  const folds = [...new Set(test.fold)].sort((a, b) => a - b);
  for (const f of folds) {
    const fns = new Map<EvidenceTier, TierFn>();
    for (const t of TIERS) {
      const idx = tierUnits(calib, t, (i) => calib.fold[i] !== f);
      if (idx.length >= 20) fns.set(t, tierFn(calib, idx, method, level));
    }
    for (let i = 0; i < test.pred.length; i++) {
      if (test.fold[i] !== f) continue;
      const fn = fns.get(test.tier[i]) ?? fns.get('structure');
      if (fn) p[i] = fn(test.pred[i], thresholdLnUm);
    }
  }
  return p;
}

/** Mean |mean predicted − observed| over the bins, weighted by their units (expected calibration error). */
export function calibrationError(r: Reliability): number {
  let s = 0;
  let n = 0;
  for (const b of r.bins) {
    s += b.n * Math.abs(b.meanP - b.observed);
    n += b.n;
  }
  return n ? s / n : NaN;
}

export interface MethodCheck {
  method: ProbabilityMethod;
  reliability: Reliability;
  ece: number;
}

/** Held-out reliability of every method for one predictor at one threshold. */
export function compareMethods(calib: ProbabilityUnits, test: ProbabilityUnits, thresholdUm: number, level = 0.9): MethodCheck[] {
  const thr = thresholdLn(thresholdUm);
  const outcome = test.y.map((y) => (y < thr ? 1 : 0));
  return PROBABILITY_METHODS.map((method) => {
    const r = reliability(heldOutProbabilities(calib, test, method, thr, level), outcome);
    return { method, reliability: r, ece: calibrationError(r) };
  });
}

/** The shipped calibration of one kind: every tier from all units (no fold held out). */
export function calibrationOf(calib: ProbabilityUnits, method: Exclude<ProbabilityMethod, 'normal'>): Record<EvidenceTier, TierCalibration> {
  const out = {} as Record<EvidenceTier, TierCalibration>;
  for (const t of TIERS) {
    const idx = tierUnits(calib, t, () => true);
    out[t] = tierCalibration(idx.map((i) => calib.pred[i]), idx.map((i) => calib.y[i] - calib.pred[i]), method === 'stratified' ? STRATA : 1);
  }
  return out;
}

export function calibrationFile(calib: Record<CalibrationKind, ProbabilityUnits>, method: Exclude<ProbabilityMethod, 'normal'>, calibratedOn: string, provenance: unknown): ProbabilityCalibrationFile {
  const round = (tc: TierCalibration): TierCalibration => ({ bounds: tc.bounds.map((v) => Math.round(v * 1e4) / 1e4), quantiles: tc.quantiles.map((q) => q.map((v) => Math.round(v * 1e4) / 1e4)), n: tc.n });
  const kind = (k: CalibrationKind) => Object.fromEntries(Object.entries(calibrationOf(calib[k], method)).map(([t, tc]) => [t, round(tc)])) as Record<EvidenceTier, TierCalibration>;
  return { format: 'strata-probability/1', method, pair: kind('pair'), aggregate: kind('aggregate'), calibratedOn, provenance };
}

/**
 * Units of one predictor over held-out drugs: every measured pair, and every subgroup mean (mean over the subgroup's
 * measured lines, predicted vs measured, at least `minMembers` lines) — what ranked rows carry.
 */
export function unitsOf(
  drugs: readonly number[],
  C: number,
  at: { fold: (d: number) => number; tier: (d: number) => EvidenceTier; pred: (d: number, c: number) => number; y: (d: number, c: number) => number },
  subgroups: readonly { mask: Uint8Array }[],
  minMembers = 5,
): Record<CalibrationKind, ProbabilityUnits> {
  const pair = emptyUnits();
  const aggregate = emptyUnits();
  for (const d of drugs) {
    const f = at.fold(d);
    const t = at.tier(d);
    const ps = new Float64Array(C).fill(NaN);
    const ys = new Float64Array(C).fill(NaN);
    for (let c = 0; c < C; c++) {
      const y = at.y(d, c);
      if (!Number.isFinite(y)) continue;
      ps[c] = at.pred(d, c);
      ys[c] = y;
      pushUnit(pair, f, t, ps[c], y);
    }
    for (const sg of subgroups) {
      let sp = 0;
      let sy = 0;
      let n = 0;
      for (let c = 0; c < C; c++) {
        if (!sg.mask[c] || !Number.isFinite(ys[c]) || !Number.isFinite(ps[c])) continue;
        sp += ps[c];
        sy += ys[c];
        n++;
      }
      if (n >= minMembers) pushUnit(aggregate, f, t, sp / n, sy / n);
    }
  }
  return { pair, aggregate };
}

export function concatUnits(...us: ProbabilityUnits[]): ProbabilityUnits {
  const out = emptyUnits();
  for (const u of us) for (let i = 0; i < u.pred.length; i++) pushUnit(out, u.fold[i], u.tier[i], u.pred[i], u.y[i]);
  return out;
}

export type ProbabilityPredictor = 'annotated' | 'structure' | 'cellLineMean';

export interface ProbabilityReport {
  thresholdUm: number;
  /** The method with the best held-out reliability (lowest ECE summed over annotated + structure-only, pairs + subgroup means): shipped. */
  chosen: ProbabilityMethod;
  /** Held-out checks at the default threshold, per predictor, per kind, per method. */
  checks: Record<ProbabilityPredictor, Record<CalibrationKind, MethodCheck[]>>;
  /** Other thresholds (annotated predictor): every method, pairs and subgroup means. */
  thresholds: { thresholdUm: number; pair: MethodCheck[]; aggregate: MethodCheck[] }[];
}

const OTHER_THRESHOLDS_UM = [0.1, 10];

/**
 * The nested check of every method for the two mechanism modes and the cell-line-mean baseline, and the shipped
 * calibration of the chosen method (null when `normal` wins: ranked rows then read the interval). The two modes'
 * units are pooled to calibrate the tiers (target and pathway only occur in the annotated mode), as the intervals are.
 */
export function probabilityCheck(units: Record<ProbabilityPredictor, Record<CalibrationKind, ProbabilityUnits>>, level = 0.9, thresholdUm = 1): ProbabilityReport & { calibration: ProbabilityCalibrationFile | null } {
  const pooled = {
    pair: concatUnits(units.annotated.pair, units.structure.pair),
    aggregate: concatUnits(units.annotated.aggregate, units.structure.aggregate),
  };
  const checks = {} as ProbabilityReport['checks'];
  for (const key of ['annotated', 'structure', 'cellLineMean'] as const) {
    const calib = key === 'cellLineMean' ? units.cellLineMean : pooled;
    checks[key] = { pair: compareMethods(calib.pair, units[key].pair, thresholdUm, level), aggregate: compareMethods(calib.aggregate, units[key].aggregate, thresholdUm, level) };
  }
  const score = (m: ProbabilityMethod) => {
    let s = 0;
    for (const key of ['annotated', 'structure'] as const) for (const kind of ['pair', 'aggregate'] as const) s += checks[key][kind].find((c) => c.method === m)!.ece;
    return s;
  };
  const chosen = [...PROBABILITY_METHODS].sort((a, b) => score(a) - score(b))[0];
  const thresholds = OTHER_THRESHOLDS_UM.map((t) => ({ thresholdUm: t, pair: compareMethods(pooled.pair, units.annotated.pair, t, level), aggregate: compareMethods(pooled.aggregate, units.annotated.aggregate, t, level) }));
  const calibration = chosen === 'normal' ? null : calibrationFile(pooled, chosen,
    `nested 5-fold unseen-drug out-of-fold residuals (measured − predicted, ln µM) of the two-tower model plus mechanism transfer, per evidence tier (target/pathway: drugs declaring their drugs.csv mechanism; neighbour/structure: both modes)${chosen === 'stratified' ? `, per quartile of the prediction within the tier` : ''}; per cell line and per subgroup mean (tissues and driver mutations, ≥ 5 measured lines)`,
    { method: chosen, heldOutBrier: { annotated: checks.annotated.pair.find((c) => c.method === chosen)!.reliability.brier, cellLineMean: checks.cellLineMean.pair.find((c) => c.method === chosen)!.reliability.brier } });
  return { thresholdUm, chosen, checks, thresholds, calibration };
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const METHOD_TEXT: Record<ProbabilityMethod, string> = {
  normal: 'normal (interval read as a normal, σ = half-width / 1.645)',
  empirical: 'empirical residual CDF per tier',
  stratified: `empirical residual CDF per tier and prediction quartile`,
};

/** The card's probability paragraph and tables, from the report alone. */
export function renderProbability(pr: ProbabilityReport, shipped = true): string {
  const L: string[] = [];
  const get = (key: ProbabilityPredictor, kind: CalibrationKind, m: ProbabilityMethod) => pr.checks[key][kind].find((c) => c.method === m)!;
  const ch = get('annotated', 'pair', pr.chosen).reliability;
  L.push(`Probability of response, P(ln IC50 < ln ${pr.thresholdUm} µM), checked nested: each fold's probabilities come from the residuals of the other folds' drugs only; ${shipped ? 'shipped method' : 'best method on this split (the shipped one is chosen on the unseen-drug split)'} (best held-out reliability: lowest ECE summed over both modes, cell lines and subgroup means): **${METHOD_TEXT[pr.chosen]}**${shipped ? ' (`probability.json`)' : ''}. ${ch.n} held-out pairs, ${(ch.baseRate * 100).toFixed(1)} % respond (base-rate Brier ${f3(ch.brierBaseRate)}). ECE = mean |mean predicted − observed| over the bins, weighted by their units.`, '');
  L.push('| predictor | unit | method | Brier | ECE |', '|---|---|---|---|---|');
  for (const key of ['annotated', 'structure', 'cellLineMean'] as const) {
    for (const kind of ['pair', 'aggregate'] as const) {
      for (const c of pr.checks[key][kind]) {
        const name = key === 'cellLineMean' ? 'cell-line-mean baseline' : key === 'annotated' ? 'annotated' : 'structure only';
        const b = c.method === pr.chosen ? (v: string) => `**${v}**` : (v: string) => v;
        L.push(`| ${name} | ${kind === 'pair' ? 'cell line' : 'subgroup mean'} | ${c.method} | ${b(f3(c.reliability.brier))} | ${b(f3(c.ece))} |`);
      }
    }
  }
  L.push('', `Reliability, annotated, per cell line (predicted probability bin: held-out pairs, mean predicted → observed frequency), before (normal) and after (${pr.chosen}):`, '');
  L.push('| bin | pairs (normal) | normal: predicted → observed | pairs | ' + `${pr.chosen}: predicted → observed |`, '|---|---|---|---|---|');
  const before = get('annotated', 'pair', 'normal').reliability.bins;
  const after = ch.bins;
  for (let i = 0; i < after.length; i++) {
    const a = before[i];
    const b = after[i];
    if (!a.n && !b.n) continue;
    L.push(`| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${a.n} | ${a.n ? `${f3(a.meanP)} → ${f3(a.observed)}` : '–'} | ${b.n} | ${b.n ? `${f3(b.meanP)} → ${f3(b.observed)}` : '–'} |`);
  }
  const agg = get('annotated', 'aggregate', pr.chosen).reliability;
  L.push('', `Reliability, annotated, per subgroup mean (${agg.n} held-out drug × subgroup means, ${pr.chosen}):`, '');
  L.push('| bin | means | mean predicted | observed |', '|---|---|---|---|');
  for (const b of agg.bins) if (b.n) L.push(`| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${b.n} | ${f3(b.meanP)} | ${f3(b.observed)} |`);
  L.push('', 'Other thresholds (annotated; Brier / ECE per method):', '');
  L.push('| threshold | unit | base rate | ' + PROBABILITY_METHODS.join(' | ') + ' |', '|---|---|---|' + PROBABILITY_METHODS.map(() => '---|').join(''));
  for (const t of pr.thresholds) {
    for (const kind of ['pair', 'aggregate'] as const) {
      const cs = t[kind];
      L.push(`| ${t.thresholdUm} µM | ${kind === 'pair' ? 'cell line' : 'subgroup mean'} | ${(cs[0].reliability.baseRate * 100).toFixed(1)} % | ${cs.map((c) => `${f3(c.reliability.brier)} / ${f3(c.ece)}`).join(' | ')} |`);
    }
  }
  L.push('');
  return L.join('\n');
}
