/**
 * The probability of response is calibrated on drugs it never saw: real GDSC v17 responses, drugs dealt into 5
 * folds; the residual distributions are built from the drugs of folds 0–2 only and checked on the drugs of folds
 * 3–4. The predictor is quick and needs no training: each line's mean over the calibration drugs plus the drug's
 * potency offset from 5 of its own lines (as a lab that measured a few lines has; those lines are not scored).
 * With a predictor that knows nothing of the drug (the cell-line mean alone) a check on two folds measures the
 * folds' base rates (12–29 % respond across these folds), not the calibration. `evaluate --mechanism` runs the
 * cross-fitted check on the two-tower model with mechanism transfer (model card).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reliability, thresholdLn } from '../../core/predict/probability.js';
import { assignFolds } from '../../core/train/cv.js';
import { loadGdsc } from '../../core/train/data.js';
import { makeRng } from '../../core/train/twotower.js';
import { calibrationError, heldOutProbabilities, unitsOf, type ProbabilityUnits } from '../../core/train/probability-eval.js';
import { evalSubgroups } from '../../core/train/subgroups.js';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/gdsc_v17');

function subset(u: ProbabilityUnits, keep: (fold: number) => boolean): ProbabilityUnits {
  const out: ProbabilityUnits = { fold: [], tier: [], pred: [], y: [] };
  u.pred.forEach((_, i) => {
    if (!keep(u.fold[i])) return;
    out.fold.push(u.fold[i]);
    out.tier.push(u.tier[i]);
    out.pred.push(u.pred[i]);
    out.y.push(u.y[i]);
  });
  return out;
}

test('P(IC50 < threshold) from residuals of some drug folds is reliable on the drugs of the others (GDSC v17)', () => {
  const data = loadGdsc(DATA);
  const D = data.drugs.length;
  const C = data.cellLines.cosmicIds.length;
  const Y = new Float64Array(D * C).fill(NaN);
  for (let p = 0; p < data.pairs.y.length; p++) Y[data.pairs.drug[p] * C + data.pairs.cell[p]] = data.pairs.y[p];
  const fold = assignFolds(D, 5, 1);
  const calibFold = (f: number) => f <= 2;
  const sum = new Float64Array(C);
  const cnt = new Float64Array(C);
  for (let d = 0; d < D; d++) {
    if (!calibFold(fold[d])) continue;
    for (let c = 0; c < C; c++) {
      if (!Number.isFinite(Y[d * C + c])) continue;
      sum[c] += Y[d * C + c];
      cnt[c]++;
    }
  }
  const L = Float64Array.from(sum, (v, c) => v / cnt[c]);
  const rng = makeRng(3);
  const measured = new Uint8Array(D * C);
  const offset = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    const lines = Array.from({ length: C }, (_, c) => c).filter((c) => Number.isFinite(Y[d * C + c]));
    const k = Math.min(5, lines.length);
    for (let j = 0; j < k; j++) {
      const i = j + Math.floor(rng() * (lines.length - j));
      [lines[j], lines[i]] = [lines[i], lines[j]];
      measured[d * C + lines[j]] = 1;
      offset[d] += (Y[d * C + lines[j]] - L[lines[j]]) / k;
    }
  }
  const drugs = Array.from({ length: D }, (_, d) => d);
  const units = unitsOf(drugs, C, { fold: (d) => fold[d], tier: () => 'structure', pred: (d, c) => L[c] + offset[d], y: (d, c) => (measured[d * C + c] ? NaN : Y[d * C + c]) }, evalSubgroups(data));
  const thr = thresholdLn(1);

  // Per cell line: every well-filled bin within 0.07 of what was observed, ECE < 0.025, far better than the base rate.
  const calib = subset(units.pair, calibFold);
  const held = subset(units.pair, (f) => !calibFold(f));
  assert.ok(held.pred.length > 40_000, `${held.pred.length} held-out pairs`);
  assert.ok(!held.fold.some(calibFold) && !calib.fold.some((f) => !calibFold(f)), 'disjoint drug folds');
  const outcome = held.y.map((y) => (y < thr ? 1 : 0));
  const good = reliability(heldOutProbabilities(calib, held, 'empirical', thr), outcome);
  assert.ok(good.bins.filter((b) => b.n >= 500).length >= 8, 'probabilities spread over the range');
  for (const b of good.bins) if (b.n >= 500) assert.ok(Math.abs(b.meanP - b.observed) < 0.07, `bin ${b.lo.toFixed(1)}: predicted ${b.meanP.toFixed(3)}, observed ${b.observed.toFixed(3)} (${b.n})`);
  assert.ok(calibrationError(good) < 0.025, `ECE ${calibrationError(good).toFixed(3)}`);
  assert.ok(good.brier < 0.7 * good.brierBaseRate, `Brier ${good.brier.toFixed(3)} vs base rate ${good.brierBaseRate.toFixed(3)}`);
  // The same check fails a distribution that is too narrow (the calibration residuals halved: overconfident) …
  const narrow = { ...calib, y: calib.y.map((y, i) => calib.pred[i] + (y - calib.pred[i]) / 2) };
  const bad = reliability(heldOutProbabilities(narrow, held, 'empirical', thr), outcome);
  assert.ok(bad.bins.some((b) => b.n >= 500 && Math.abs(b.meanP - b.observed) >= 0.07) && calibrationError(bad) >= 0.025, `overconfident: ECE ${calibrationError(bad).toFixed(3)}`);
  // … and one whose centre is off by 1 ln unit.
  const shifted = { ...calib, y: calib.y.map((y) => y + 1) };
  assert.ok(calibrationError(reliability(heldOutProbabilities(shifted, held, 'empirical', thr), outcome)) >= 0.025, 'biased distribution');

  // Subgroup means (fewer units: the looser check): calibrated overall and better than the base rate.
  const aggCalib = subset(units.aggregate, calibFold);
  const aggHeld = subset(units.aggregate, (f) => !calibFold(f));
  const agg = reliability(heldOutProbabilities(aggCalib, aggHeld, 'empirical', thr), aggHeld.y.map((y) => (y < thr ? 1 : 0)));
  assert.ok(agg.n > 1_000 && calibrationError(agg) < 0.03 && agg.brier < 0.7 * agg.brierBaseRate, `subgroup means: ECE ${calibrationError(agg).toFixed(3)}, Brier ${agg.brier.toFixed(3)} vs ${agg.brierBaseRate.toFixed(3)}`);
});
